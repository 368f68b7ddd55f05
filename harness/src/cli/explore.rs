//! `highwater explore`: stateright's Explorer on loopback, for a configuration or for the
//! configuration of a trace file, opened at its path.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use highwater_model::{ClusterModel, ModelConfig};
use highwater_traces::Action;
use stateright::Model;

use super::config_opts::ConfigOpts;
use crate::exit_codes;
use crate::run::DEFAULT_LIVENESS_BOUND;
use crate::tracefile;

/// `highwater explore` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct ExploreOpts {
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Explore the configuration, semantics and seeded bugs of this trace file, opened at its
    /// path (the configuration flags are then left out).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Where to serve the Explorer; loopback only.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Bounded liveness in the Explorer's property checks: steps a fair continuation may take.
    #[arg(long, default_value_t = DEFAULT_LIVENESS_BOUND, value_parser = super::at_least_one)]
    pub liveness_bound: usize,
}

/// Run `explore`: serves until interrupted.
pub fn exec(opts: ExploreOpts) -> u8 {
    let (cfg, steps, what) = match &opts.trace {
        Some(file) => {
            if opts.config.to_args() != ["--preset", "default"] {
                eprintln!(
                    "error: --trace takes the configuration from the trace file; leave out the configuration flags"
                );
                return exit_codes::USAGE;
            }
            match tracefile::load(file) {
                Ok((trace, cfg)) => (cfg, Some(trace.path()), format!("the trace {}", file.display())),
                Err(error) => {
                    eprintln!("error: {error}");
                    return exit_codes::USAGE;
                }
            }
        }
        None => match opts.config.resolve_or_report() {
            Ok(cfg) => (cfg, None, format!("preset {}", opts.config.preset)),
            Err(code) => return code,
        },
    };
    if !opts.addr.ip().is_loopback() {
        eprintln!("error: --addr {} is not a loopback address; the Explorer has no authentication", opts.addr);
        return exit_codes::USAGE;
    }
    // stateright's server panics on an address it cannot bind; binding first turns that into
    // an error the user can act on.
    if let Err(error) = TcpListener::bind(opts.addr) {
        eprintln!(
            "error: --addr {}: cannot listen there: {error} (is another Explorer running? try --addr 127.0.0.1:3001)",
            opts.addr
        );
        return exit_codes::USAGE;
    }
    let model = ClusterModel::new(cfg.clone()).with_liveness_bound(opts.liveness_bound);
    let fragment = match &steps {
        Some(actions) => match encode(&cfg, actions) {
            Ok(encoded) => format!("#/steps/{encoded}"),
            Err(error) => {
                eprintln!("error: {}: {error}", opts.trace.as_ref().expect("a trace").display());
                return exit_codes::USAGE;
            }
        },
        None => String::new(),
    };
    println!(
        "Explorer for {what} ({}): http://{}/{fragment}  (Ctrl-C to stop)",
        crate::describe::rules(&cfg),
        opts.addr
    );
    println!("Click \"Run to completion\" before expecting property discoveries.");
    model.checker().serve(opts.addr);
    exit_codes::OK
}

/// stateright's encoding of a path for an Explorer link: the initial state's index, then each
/// action's index among those the model offers where it is taken.
pub fn encode(cfg: &ModelConfig, actions: &[Action]) -> Result<String, String> {
    let model = ClusterModel::new(cfg.clone());
    let states = tracefile::walk(&model, actions).map_err(|e| e.to_string())?;
    let mut parts = vec!["0".to_string()];
    let mut offered = Vec::new();
    for (state, action) in states.iter().zip(actions) {
        offered.clear();
        model.actions(state, &mut offered);
        let index = offered.iter().position(|a| a == action).expect("walk checked that it is offered");
        parts.push(index.to_string());
    }
    Ok(parts.join("/"))
}
