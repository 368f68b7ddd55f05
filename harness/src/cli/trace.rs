//! `highwater trace show FILE`: a trace as a table, one row per step, with what each step changed;
//! `trace walk` writes a random walk; `trace rerecord` brings trace files up to date with the model.

use std::path::{Path, PathBuf};

use highwater_model::ClusterModel;
use highwater_traces::Trace;

use super::config_opts::ConfigOpts;
use crate::exit_codes;
use crate::ops::rerecord::{NotRerecorded, Rerecorded};
use crate::rng::Rng;
use crate::tracefile::load;
use crate::tracefile::{self, plural, TraceInfo};
use crate::viewdiff::{self, FieldDiff};

/// `highwater trace` subcommands.
#[derive(Clone, Debug, clap::Subcommand)]
// Parsed once per run: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum TraceCommand {
    /// Print a trace file as a table: each step, and what it changed (roles, leader epochs, LEO,
    /// HW, ISR, preferred replicas, records delivered, coverage events).
    Show {
        /// The trace file.
        file: PathBuf,
    },
    /// Write a seeded random walk of the correct model as a trace file (to replay, or to edit
    /// by hand into a scenario).
    Walk {
        #[command(flatten)]
        config: ConfigOpts,
        /// Steps (fewer if the model runs out of things to do).
        #[arg(long, default_value_t = 30)]
        steps: usize,
        /// Seed: the same seed gives the same walk.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Record trace files again, in place, through today's model: the same steps and `#meta`,
    /// the states the model now reaches. For a corpus after a deliberate change to the model's
    /// rules; a file whose steps the model no longer takes, or that no longer shows its recorded
    /// verdict, is left as it was (exit 1).
    Rerecord {
        /// The trace files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `highwater trace` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct TraceOpts {
    #[command(subcommand)]
    pub command: TraceCommand,
}

/// Fields `show` leaves out: the log is summed up by its end offset, and the highest epochs
/// seen repeat the epochs shown.
fn shown(change: &FieldDiff) -> bool {
    !(change.field == "log" || change.field == "maximal_isr" || change.field.starts_with("epochs_seen"))
}

/// Run `trace`.
pub fn exec(opts: TraceOpts) -> u8 {
    match opts.command {
        TraceCommand::Show { file } => match load(&file) {
            Ok((trace, cfg)) => {
                print!("{}", show(&file, &trace, &cfg));
                exit_codes::OK
            }
            Err(error) => {
                eprintln!("error: {error}");
                exit_codes::USAGE
            }
        },
        TraceCommand::Walk { config, steps, seed, out } => walk(&config, steps, seed, &out),
        TraceCommand::Rerecord { files } => rerecord(&files),
    }
}

fn rerecord(files: &[PathBuf]) -> u8 {
    let mut code = exit_codes::OK;
    for file in files {
        match crate::ops::rerecord::rerecord(file) {
            Ok(Rerecorded::Unchanged) => println!("{}: unchanged", file.display()),
            Ok(Rerecorded::Updated { changed }) => {
                println!("{}: re-recorded, {changed} states changed", file.display())
            }
            Err(NotRerecorded::Changed(why)) => {
                eprintln!("error: {why}; left as it was");
                code = code.max(exit_codes::VIOLATED);
            }
            Err(NotRerecorded::Input(why)) => {
                eprintln!("error: {why}");
                code = exit_codes::USAGE;
            }
        }
    }
    code
}

fn walk(config: &ConfigOpts, steps: usize, seed: u64, out: &Path) -> u8 {
    let cfg = match config.resolve_or_report() {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    let model = ClusterModel::new(cfg.clone());
    let (actions, _) = tracefile::random_walk(&model, &mut Rng::for_sample(seed, 0), steps);
    let info = TraceInfo {
        preset: &config.preset,
        property: None,
        checker: "walk",
        seed,
        steps_found: actions.len(),
        liveness_bound: 0,
        continuation_from: None,
    };
    let trace = tracefile::build(&model, &cfg, &actions, &info).expect("a walk is a path");
    match tracefile::write_whole(out, trace.to_json()) {
        Ok(()) => {
            println!("wrote {}: a walk of {} steps", out.display(), actions.len());
            exit_codes::OK
        }
        Err(error) => {
            eprintln!("error: {}: cannot write: {error}", out.display());
            exit_codes::USAGE
        }
    }
}

/// The table.
pub fn show(file: &Path, trace: &Trace, cfg: &highwater_model::ModelConfig) -> String {
    let meta = &trace.meta;
    let mut out = format!(
        "{}: {} after {} (preset {}, {}; {} checker, seed {}, {} as found)\ncluster: {}\n",
        file.display(),
        if meta.preset.starts_with("kafka ") {
            "a real Apache Kafka run".to_string()
        } else if meta.property.is_empty() {
            "a walk of the correct model".to_string()
        } else {
            format!("{} {}", meta.property, meta.verdict)
        },
        plural(trace.path().len(), "step"),
        meta.preset,
        crate::describe::rules(cfg),
        meta.checker,
        meta.seed,
        plural(meta.steps_found.parse().unwrap_or_default(), "step"),
        crate::describe::cluster(cfg),
    );
    if let Some(v) = crate::narrate::verdict(trace) {
        out.push_str(&format!("verdict at step {}: {}\n", v.step, v.sentence));
    }
    out.push_str(&format!("\n{:>4}  {:<34} changes\n", "step", "action"));
    for (i, state) in trace.states.iter().enumerate() {
        let action = state.action.as_ref().map_or_else(|| "init".to_string(), ToString::to_string);
        let changes: Vec<String> = match i {
            0 => vec![format!(
                "controller: leader broker-{} epoch {} ISR [{}]",
                state.view.controller.leader,
                state.view.controller.leader_epoch,
                state.view.controller.isr.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            )],
            _ => viewdiff::diff(&trace.states[i - 1].view, &state.view)
                .iter()
                .filter(|c| shown(c))
                .map(FieldDiff::describe_change)
                .collect(),
        };
        let changes = if changes.is_empty() { "(nothing observable)".to_string() } else { changes.join("; ") };
        if trace.continuation_from() == Some(i.saturating_sub(1)) && i > 0 {
            out.push_str(&format!(
                "      -- {}; the fair continuation follows\n",
                crate::narrate::continuation_divider(trace)
            ));
        }
        out.push_str(&format!("{i:>4}  {action:<34} {changes}\n"));
        for m in &state.messages {
            out.push_str(&format!("{:>6}{}\n", "", crate::narrate::message_line(m)));
        }
    }
    out
}
