//! `highwater availability`: KIP-392's first question, "how would this change affect
//! availability of the cluster when a rack is unreachable?", answered per scenario.
//!
//! Each scenario (`scenario`) is run twice, with rack-aware selection and with leader-only
//! fetching, and under each fetch semantics asked for. On each side:
//! - the model judges the availability claims exhaustively on the scenario's small
//!   configuration (`judge`);
//! - the protocol crate's `sim::Cluster` runs the scenario on Kafka's timings and measures
//!   what the consumer read, and when (`timed`).
//!
//! The two sides then give the verdict (`verdict`): improved, impaired or the same.

pub mod curves;
pub mod judge;
pub mod scenario;
pub mod timed;
pub mod verdict;

use std::ops::ControlFlow;
use std::sync::Mutex;

use highwater_model::{ClusterModel, Selector, Semantics};
use serde::Serialize;

use judge::Judgement;
use scenario::Scenario;
use timed::{Figures, Timings};
use verdict::Verdict;

/// How to run the matrix.
#[derive(Clone, Debug)]
pub struct Options {
    /// Kafka's timings and the timed run's schedule.
    pub timings: Timings,
    /// Steps a fair continuation may take.
    pub bound: usize,
    /// Distinct states a scenario's search may explore before its verdicts are unknown.
    pub max_states: usize,
    /// The fetch semantics to run each scenario under.
    pub semantics: Vec<Semantics>,
    /// Only the scenarios whose name contains this.
    pub only: Option<String>,
}

/// One selector's side of a scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// `rack-aware` or `leader-only`.
    pub selector: &'static str,
    /// The model's verdicts.
    pub model: Judgement,
    /// The timed run's figures.
    pub timed: Figures,
}

/// One scenario under one semantics.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `placement/fault`.
    pub scenario: String,
    /// Where the consumer sits, in words.
    pub placement: &'static str,
    /// The outage, in words.
    pub outage: String,
    /// The fetch semantics, by name.
    pub semantics: &'static str,
    #[serde(skip)]
    pub(crate) semantics_rule: Semantics,
    /// With rack-aware selection.
    pub rack_aware: Side,
    /// With leader-only fetching.
    pub leader_only: Side,
    /// Improved, impaired or the same, and why.
    pub verdict: Verdict,
    #[serde(skip)]
    pub(crate) source: Scenario,
}

impl Row {
    /// The model configuration of one side, for its traces.
    pub fn model_config(&self, selector: Selector) -> highwater_model::ModelConfig {
        self.source.model_config(selector, self.semantics_rule)
    }
}

/// Why the matrix did not run to the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// `--scenario` matches none (a usage error).
    NoScenario(String),
    /// A timed run went past its step budget (inconclusive).
    Inconclusive(String),
    /// The simulated cluster refused a scenario's step.
    Refused(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NoScenario(m) | Failure::Inconclusive(m) | Failure::Refused(m) => f.write_str(m),
        }
    }
}

/// Seconds, to a tenth, from milliseconds, as every report prints them.
pub fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// Run one side of a scenario.
fn side(scenario: &Scenario, selector: Selector, semantics: Semantics, options: &Options) -> Result<Side, Failure> {
    let model = ClusterModel::new(scenario.model_config(selector, semantics));
    let fault = &scenario.fault;
    let judgement = judge::judge(&model, |a| fault.allows(a), options.bound, options.max_states);
    let figures =
        timed::run(scenario.cluster_config(selector, semantics), fault, &options.timings).map_err(|e| match e {
            timed::TimedError::Budget(m) => Failure::Inconclusive(format!("{}: {m}", scenario.name())),
            timed::TimedError::Refused(m) => Failure::Refused(format!("{}: {m}", scenario.name())),
        })?;
    Ok(Side { selector: scenario::selector_name(selector), model: judgement, timed: figures })
}

/// The scenarios `options` choose; none is a usage error, which names them all.
fn chosen(options: &Options) -> Result<Vec<Scenario>, Failure> {
    let scenarios = scenario::matrix();
    let names: Vec<String> = scenarios.iter().map(Scenario::name).collect();
    let chosen: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| options.only.as_ref().is_none_or(|only| s.name().contains(only.as_str())))
        .collect();
    if chosen.is_empty() {
        return Err(Failure::NoScenario(format!(
            "no scenario's name contains `{}`; the scenarios are {}",
            options.only.as_deref().unwrap_or_default(),
            names.join(", ")
        )));
    }
    Ok(chosen)
}

/// The rows a whole run of `options` gives: one per chosen scenario and semantics.
pub fn planned(options: &Options) -> usize {
    chosen(options).map_or(0, |c| c.len() * options.semantics.len())
}

/// Run the matrix, reporting each row to `progress` as it is done, in the matrix's order. An
/// interrupt ends it early, with the rows done so far.
///
/// The sides of the matrix are independent searches and simulations, so they run on every core
/// (`threads` of them). Each row is reported and returned in the matrix's order whatever order
/// the threads finish in, so the output is the same with any number of threads.
pub fn run(options: &Options, threads: usize, mut progress: impl FnMut(&Row)) -> Result<Vec<Row>, Failure> {
    let chosen = chosen(options)?;
    let planned: Vec<(&Scenario, Semantics)> =
        chosen.iter().flat_map(|s| options.semantics.iter().map(move |&semantics| (s, semantics))).collect();
    let tasks: Vec<(usize, Selector)> =
        (0..planned.len()).flat_map(|row| [(row, Selector::RackAware), (row, Selector::Leader)]).collect();
    let start_order: Vec<usize> = (0..tasks.len()).collect();
    // The first side to fail, by its place in the matrix: it ends the run, whatever an
    // interrupt or the rows before it do.
    let failure: Mutex<Option<(usize, Failure)>> = Mutex::new(None);
    let mut rows = Vec::new();
    let mut sides: Vec<Side> = Vec::new();
    crate::pool::in_order(
        threads,
        &start_order,
        |index| {
            if crate::interrupt::requested() {
                return None;
            }
            let (row, selector) = tasks[index];
            let (scenario, semantics) = planned[row];
            match side(scenario, selector, semantics, options) {
                Ok(side) => Some(side),
                Err(error) => {
                    let mut failure = failure.lock().expect("no worker panics holding it");
                    if failure.as_ref().is_none_or(|(first, _)| index < *first) {
                        *failure = Some((index, error));
                    }
                    None
                }
            }
        },
        |_, side| {
            // A row whose search an interrupt cut short would read as a bound's unknowns.
            if crate::interrupt::requested() {
                return ControlFlow::Break(());
            }
            sides.push(side);
            // A row is put together as soon as both its sides are in: rack-aware, then leader-only.
            if sides.len() == 2 {
                let (scenario, semantics) = planned[rows.len()];
                let leader_only = sides.pop().expect("two sides");
                let rack_aware = sides.pop().expect("two sides");
                let row = assemble(scenario, semantics, rack_aware, leader_only, options);
                progress(&row);
                rows.push(row);
            }
            ControlFlow::Continue(())
        },
    );
    match failure.into_inner().expect("no worker panics holding it") {
        Some((_, error)) => Err(error),
        None => Ok(rows),
    }
}

fn assemble(scenario: &Scenario, semantics: Semantics, rack_aware: Side, leader_only: Side, options: &Options) -> Row {
    let verdict = verdict::decide(&rack_aware, &leader_only, &options.timings);
    Row {
        scenario: scenario.name(),
        placement: scenario.placement.about,
        outage: scenario.fault.describe(),
        semantics: semantics.name(),
        semantics_rule: semantics,
        rack_aware,
        leader_only,
        verdict,
        source: scenario.clone(),
    }
}
