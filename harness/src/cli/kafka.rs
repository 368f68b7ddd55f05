//! `highwater kafka`: the model's scenarios on a real Apache Kafka cluster (`highwater-kafka`).
//!
//! `up` starts the cluster and leaves it running, `down` stops whatever a run left, `run`
//! starts its own cluster, runs scenarios, judges each history, compares the outage scenarios'
//! availability figures with `highwater availability`'s predictions for the same timings, and
//! stops the cluster, on failure too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use highwater_kafka::cluster::{self, Cluster};
use highwater_kafka::figures::Figures;
use highwater_kafka::maven::{self, Source};
use highwater_kafka::scenario::{self, Outcome, Scenario, Timings};
use highwater_kafka::KafkaError;
use highwater_model::{Selector, Semantics};
use serde::Serialize;

use crate::exit_codes;
use crate::ops::availability::{scenario as matrix, timed};
use crate::ops::kafka_trace;

/// Output format of `run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A report for people.
    Text,
    /// One JSON object for machines, histories included.
    Json,
    /// One self-contained HTML page, histories included.
    Html,
}

/// `highwater kafka` subcommands.
#[derive(Clone, Debug, clap::Args)]
pub struct KafkaOpts {
    #[command(subcommand)]
    command: KafkaCommand,
}

#[derive(Clone, Debug, clap::Subcommand)]
enum KafkaCommand {
    /// Start the cluster (a controller, brokers 1, 2, 3 in racks a, b, b, each place in a
    /// network namespace) and leave it running.
    Up(UpOpts),
    /// Stop every process and remove every namespace a cluster left, whoever started it.
    Down,
    /// Start a cluster, run scenarios on it, judge them, and stop it.
    Run(RunOpts),
}

/// Which Kafka, and where its files go.
#[derive(Clone, Debug, clap::Args)]
struct ClusterArgs {
    /// The Apache Kafka release to resolve from Maven Central.
    #[arg(long, default_value = maven::DEFAULT_VERSION, conflicts_with = "classpath")]
    kafka_version: String,
    /// Run this classpath instead (jars and directories separated by `:`; a build of Kafka
    /// being changed): it must hold `kafka.Kafka` and `kafka.tools.StorageTool`.
    #[arg(long)]
    classpath: Option<String>,
    /// Where the cluster's configuration, data and logs go.
    #[arg(long, default_value = "highwater-kafka")]
    dir: PathBuf,
}

impl ClusterArgs {
    fn source(&self) -> Source {
        match &self.classpath {
            Some(cp) => Source::Classpath(cp.clone()),
            None => Source::Release(self.kafka_version.clone()),
        }
    }
}

#[derive(Clone, Debug, clap::Args)]
struct UpOpts {
    #[command(flatten)]
    cluster: ClusterArgs,
}

#[derive(Clone, Debug, clap::Args)]
struct RunOpts {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Run this scenario (again for more); `--list` names them.
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    scenario: Vec<String>,
    /// Run every scenario.
    #[arg(long)]
    all: bool,
    /// Name the scenarios and stop.
    #[arg(long)]
    list: bool,
    /// `text`, `json` or `html`.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report here rather than to standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write the JSON report, histories included, to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write each scenario's history to DIR/<scenario>.history.json, the same as a trace file
    /// to DIR/<scenario>.json, and the trace viewer for them to DIR/viewer.html.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Run `highwater kafka`.
pub fn exec(opts: KafkaOpts) -> u8 {
    let result = match opts.command {
        KafkaCommand::Up(up) => self::up(&up.cluster),
        KafkaCommand::Down => down(),
        KafkaCommand::Run(run) => self::run(&run),
    };
    match result {
        Ok(code) => code,
        Err(KafkaError::Input(message)) => {
            eprintln!("error: {message}");
            exit_codes::USAGE
        }
        Err(error) => {
            eprintln!("error: {error}");
            eprintln!("nothing was judged; `highwater kafka down` removes anything left behind");
            exit_codes::INCONCLUSIVE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, KafkaError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| KafkaError::Environment(format!("cannot start the I/O runtime: {e}")))
}

fn absolute(dir: &Path) -> Result<PathBuf, KafkaError> {
    std::fs::create_dir_all(dir).map_err(|e| KafkaError::io(dir, e))?;
    dir.canonicalize().map_err(|e| KafkaError::io(dir, e))
}

fn start(args: &ClusterArgs, timings: &Timings) -> Result<(tokio::runtime::Runtime, Cluster), KafkaError> {
    let source = args.source();
    maven::check_source(&source)?;
    let dir = absolute(&args.dir)?;
    eprintln!("resolving {}", source.describe());
    let classpath = maven::classpath(&source, &dir)?;
    eprintln!("starting the controller and brokers 1 (rack a), 2 and 3 (rack b) under {}", dir.display());
    let runtime = runtime()?;
    let mut cluster = Cluster::start(&dir, classpath, timings.broker_settings())?;
    runtime.block_on(cluster.await_registered(Duration::from_secs(90)))?;
    runtime.block_on(cluster.check_versions())?;
    Ok((runtime, cluster))
}

fn up(args: &ClusterArgs) -> Result<u8, KafkaError> {
    let (_runtime, cluster) = start(args, &Timings::default())?;
    // The processes outlive this one; `down` finds them by their namespaces.
    std::mem::forget(cluster);
    for node in &cluster::NODES {
        let what = node.rack.map_or("controller".to_string(), |r| format!("broker {} in rack {r}", node.id));
        println!("{what}: {} (namespace {})", node.endpoint(), highwater_kafka::netns::namespace(node.place));
    }
    println!("the cluster is up; `highwater kafka down` stops it");
    Ok(exit_codes::OK)
}

fn down() -> Result<u8, KafkaError> {
    let stopped = cluster::stop_all()?;
    println!("stopped {} processes, removed {} namespaces", stopped.processes, stopped.namespaces);
    Ok(exit_codes::OK)
}

/// A scenario's outcome beside the model's prediction.
#[derive(Serialize)]
struct Judged {
    #[serde(flatten)]
    outcome: Outcome,
    /// `highwater availability`'s figures for the same scenario and timings.
    #[serde(skip_serializing_if = "Option::is_none")]
    predicted: Option<Figures>,
    /// Which scenario of `highwater availability` made the prediction.
    #[serde(skip_serializing_if = "Option::is_none")]
    predicted_by: Option<String>,
}

/// The whole run.
#[derive(Serialize)]
struct Report {
    kafka: String,
    timings: Timings,
    scenarios: Vec<Judged>,
}

fn run(opts: &RunOpts) -> Result<u8, KafkaError> {
    let catalogue = scenario::all();
    if opts.list {
        for s in &catalogue {
            println!("{:<26} {}", s.name, s.about);
        }
        return Ok(exit_codes::OK);
    }
    let chosen: Vec<Scenario> = if opts.all {
        catalogue
    } else if opts.scenario.is_empty() {
        return Err(KafkaError::Input("give --scenario NAME or --all (`--list` names the scenarios)".into()));
    } else {
        let mut chosen = Vec::new();
        for name in &opts.scenario {
            let s = catalogue.iter().find(|s| &s.name == name).ok_or_else(|| {
                let names: Vec<&str> = catalogue.iter().map(|s| s.name.as_str()).collect();
                KafkaError::Input(format!(
                    "--scenario `{name}`: no such scenario; expected one of {}",
                    names.join(", ")
                ))
            })?;
            chosen.push(s.clone());
        }
        chosen
    };
    let timings = Timings::default();
    let (runtime, mut cluster) = start(&opts.cluster, &timings)?;
    let mut judged = Vec::new();
    for s in &chosen {
        eprintln!("scenario {}: {}", s.name, s.about);
        let outcome = runtime.block_on(scenario::run(&mut cluster, s, &timings))?;
        eprintln!("  {}", if outcome.passed() { "passed" } else { "FAILED" });
        let predicted_by = s.availability_name();
        let predicted = predicted_by.as_deref().and_then(|name| predict(name, &timings));
        judged.push(Judged { outcome, predicted, predicted_by });
    }
    let stopped = cluster.stop()?;
    eprintln!("stopped {} processes, removed {} namespaces", stopped.processes, stopped.namespaces);
    let kafka = opts.cluster.source().describe();
    if let Some(dir) = &opts.out {
        write_histories(dir, &judged, &kafka)?;
    }
    let report = Report { kafka, timings, scenarios: judged };
    let rendered = match opts.format {
        Format::Text => text(&report),
        Format::Json => {
            serde_json::to_string_pretty(&report).map_err(|e| KafkaError::Environment(e.to_string()))? + "\n"
        }
        Format::Html => html(&report)?,
    };
    match &opts.output {
        Some(path) => write_whole(path, &rendered)?,
        None => print!("{rendered}"),
    }
    if let Some(path) = &opts.json {
        write_whole(path, &(serde_json::to_string_pretty(&report).expect("a report is plain data") + "\n"))?;
    }
    let passed = report.scenarios.iter().all(|j| j.outcome.passed());
    Ok(if passed { exit_codes::OK } else { exit_codes::VIOLATED })
}

/// Each scenario's history as JSON and as a trace file, and the trace viewer for them all.
fn write_histories(dir: &Path, judged: &[Judged], kafka: &str) -> Result<(), KafkaError> {
    std::fs::create_dir_all(dir).map_err(|e| KafkaError::Input(format!("{}: cannot create: {e}", dir.display())))?;
    let mut traces = Vec::new();
    for j in judged {
        let name = &j.outcome.scenario;
        let history = serde_json::to_string_pretty(&j.outcome.history).expect("a history is plain data");
        write_whole(&dir.join(format!("{name}.history.json")), &history)?;
        let trace = dir.join(format!("{name}.json"));
        write_whole(&trace, &kafka_trace::trace(&j.outcome, kafka).to_json())?;
        traces.push(trace);
    }
    let viewer = dir.join("viewer.html");
    crate::viewer::write_for_files(&traces, &viewer, &format!("highwater kafka run on {kafka}"))
        .map_err(KafkaError::Input)?;
    eprintln!("wrote {}: the trace viewer for {} scenarios", viewer.display(), traces.len());
    Ok(())
}

fn write_whole(path: &Path, text: &str) -> Result<(), KafkaError> {
    crate::tracefile::write_whole(path, text)
        .map_err(|e| KafkaError::Input(format!("{}: cannot write: {e}", path.display())))
}

/// `highwater availability`'s timed run of the matching scenario, on the real run's timings,
/// under rack-aware selection and Kafka's semantics.
fn predict(name: &str, t: &Timings) -> Option<Figures> {
    let s = matrix::matrix().into_iter().find(|s| s.name() == name)?;
    let timings = timed::Timings {
        metadata_max_age_ms: t.metadata_max_age_ms,
        replica_lag_time_max_ms: t.replica_lag_time_max_ms,
        request_timeout_ms: t.request_timeout_ms,
        replica_socket_timeout_ms: t.replica_socket_timeout_ms,
        fetch_max_wait_ms: t.fetch_max_wait_ms,
        retry_backoff_ms: t.retry_backoff_ms,
        broker_session_timeout_ms: t.broker_session_timeout_ms,
        produce_interval_ms: t.produce_interval_ms,
        outage_start_ms: t.outage_start_ms,
        outage_duration_ms: t.outage_duration_ms,
        after_heal_ms: t.after_heal_ms,
        ..timed::Timings::default()
    };
    let f = timed::run(s.cluster_config(Selector::RackAware, Semantics::Apache), &s.fault, &timings).ok()?;
    Some(Figures {
        first_visible_after_ms: f.first_visible_after_ms,
        longest_stall_ms: f.longest_stall_ms,
        read_during_outage: f.read_during_outage,
        produced_during_outage: f.produced_during_outage,
        fetches: f.fetches,
        fetches_across_racks: f.fetches_across_racks,
    })
}

fn ms(v: Option<u64>) -> String {
    v.map_or("never".to_string(), |v| format!("{:.1} s", v as f64 / 1000.0))
}

fn text(report: &Report) -> String {
    let mut out = format!("highwater kafka run on {}\n", report.kafka);
    for j in &report.scenarios {
        let o = &j.outcome;
        out += &format!("\n{} — {}\n", o.scenario, o.about);
        out += &format!("  {}\n", if o.passed() { "passed" } else { "FAILED" });
        for v in &o.verdicts {
            out += &format!("  {:<8} {:<28} {}\n", if v.holds { "holds" } else { "VIOLATED" }, v.property, v.detail);
        }
        for e in &o.expectations {
            out += &format!("  {:<8} {}: {}\n", if e.met { "seen" } else { "NOT SEEN" }, e.what, e.detail);
        }
        if let Some(real) = &o.figures {
            out += "  availability          real Kafka   model (highwater availability)\n";
            let p = j.predicted.as_ref();
            let row = |name: &str, real: String, model: Option<String>| {
                format!("  {name:<21} {real:<12} {}\n", model.unwrap_or_else(|| "-".into()))
            };
            out +=
                &row("first record visible", ms(real.first_visible_after_ms), p.map(|p| ms(p.first_visible_after_ms)));
            out += &row("longest stall", ms(Some(real.longest_stall_ms)), p.map(|p| ms(Some(p.longest_stall_ms))));
            out += &row(
                "read during outage",
                format!("{}/{}", real.read_during_outage, real.produced_during_outage),
                p.map(|p| format!("{}/{}", p.read_during_outage, p.produced_during_outage)),
            );
            out += &row(
                "cross-rack fetches",
                format!("{}/{}", real.fetches_across_racks, real.fetches),
                p.map(|p| format!("{}/{}", p.fetches_across_racks, p.fetches)),
            );
        }
    }
    let failed = report.scenarios.iter().filter(|j| !j.outcome.passed()).count();
    out += &format!("\n{} scenarios, {failed} failed\n", report.scenarios.len());
    out
}

fn html(report: &Report) -> Result<String, KafkaError> {
    let data =
        serde_json::to_string(report).map_err(|e| KafkaError::Environment(e.to_string()))?.replace('<', "\\u003c");
    let body = escape(&text(report));
    Ok(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>highwater kafka run</title>\n\
         <style>body{{font-family:system-ui,sans-serif;margin:2em}}pre{{background:#f6f6f6;padding:1em}}\
         table{{border-collapse:collapse;font-size:90%}}td,th{{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left}}</style>\n\
         </head><body><h1>highwater kafka run</h1><pre id=\"report\">{body}</pre><div id=\"histories\"></div>\n\
         <script id=\"data\" type=\"application/json\">{data}</script>\n<script>{HISTORY_SCRIPT}</script></body></html>\n"
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Each scenario's history as a table, built from the embedded report.
const HISTORY_SCRIPT: &str = r#"
const report = JSON.parse(document.getElementById('data').textContent);
const root = document.getElementById('histories');
for (const s of report.scenarios) {
  const details = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = s.scenario + ': ' + s.history.events.length + ' events';
  details.appendChild(summary);
  const table = document.createElement('table');
  for (const e of s.history.events) {
    const row = table.insertRow();
    const rest = Object.assign({}, e);
    delete rest.at_ms; delete rest.event;
    for (const text of [(e.at_ms / 1000).toFixed(3) + ' s', e.event, JSON.stringify(rest)]) {
      row.insertCell().textContent = text;
    }
  }
  details.appendChild(table);
  root.appendChild(details);
}
"#;
