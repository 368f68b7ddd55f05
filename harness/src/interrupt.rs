//! SIGINT and SIGTERM stop a long run without losing it: the handler only raises a flag, and
//! the run that polls it stops as a bound would, reporting what it found so far as inconclusive
//! (or violated, if it found a violation).

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Take SIGINT and SIGTERM from now on (once; a second call changes nothing). A second
/// interrupt, while the first one's report is still being made, ends the process at once with
/// the shell's code for SIGINT, 130.
pub fn install() {
    // An error means a handler is installed already, which is the one this would install.
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

/// Why a run that an interrupt stopped stopped, as every report words it.
pub const STOPPED_BY: &str = "an interrupt (SIGINT or SIGTERM)";

/// Whether an interrupt came.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
