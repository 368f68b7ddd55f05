//! `highwater view FILE...`: the trace viewer, one self-contained HTML file.

use std::path::PathBuf;

use crate::exit_codes;
use crate::tracefile::plural;
use crate::viewer;

/// `highwater view` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct ViewOpts {
    /// Trace files (`check --out`, `bugs --verify`, `conform`, `trace walk` write them).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The HTML file to write: scripts, styles and the traces inside, no network request; open it
    /// from disk or as a CI artifact.
    #[arg(long, default_value = "report.html")]
    pub out: PathBuf,
}

/// Run `view`.
pub fn exec(opts: ViewOpts) -> u8 {
    let title = match opts.files.as_slice() {
        [one] => format!("highwater: {}", one.display()),
        many => format!("highwater: {}", plural(many.len(), "trace")),
    };
    match viewer::write_for_files(&opts.files, &opts.out, &title) {
        Ok(()) => {
            println!("wrote {}: {} (open it in a browser)", opts.out.display(), plural(opts.files.len(), "trace"));
            exit_codes::OK
        }
        Err(error) => {
            eprintln!("error: {error}");
            exit_codes::USAGE
        }
    }
}
