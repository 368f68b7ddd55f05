//! Coverage ("sometimes"): behaviours a run must reach, or it proved nothing about them.

use highwater_traces::{ClusterView, Happened};

/// Whether the run has reached `what` by this state.
pub fn reached(view: &ClusterView, what: Happened) -> bool {
    view.ghost.happened.contains(&what)
}
