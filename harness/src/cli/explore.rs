//! `highwater explore`: stateright's Explorer on loopback for a configuration.

use std::net::SocketAddr;

use highwater_model::ClusterModel;
use stateright::Model;

use super::config_opts::ConfigOpts;
use crate::exit_codes;

/// `highwater explore` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct ExploreOpts {
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Where to serve the Explorer; loopback only.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
}

/// Run `explore`: serves until interrupted.
pub fn exec(opts: ExploreOpts) -> u8 {
    let cfg = match opts.config.resolve_or_report() {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    if !opts.addr.ip().is_loopback() {
        eprintln!("error: --addr {} is not a loopback address; the Explorer has no authentication", opts.addr);
        return exit_codes::USAGE;
    }
    println!("Explorer for preset {}: http://{}/  (Ctrl-C to stop)", opts.config.preset, opts.addr);
    println!("Click \"Run to completion\" before expecting property discoveries.");
    ClusterModel::new(cfg).checker().serve(opts.addr);
    exit_codes::OK
}
