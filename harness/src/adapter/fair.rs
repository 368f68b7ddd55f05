//! The fair continuation on the protocol crate: what a liveness counterexample means there.
//! From where a trace leaves the implementation, faults stop by the model's rules
//! (`highwater_model::fair`), and a round robin over the implementation's own deliveries and
//! timers must reach the goal within the bound, as the model's continuation must.

use highwater_model::fair::{fair_schedule, next_healing};
use highwater_traces::{Action, ClusterView};

use super::{Budget, Implementation};

impl Implementation {
    /// Stop faults, then continue fairly for at most `bound` steps: whether `goal` held by the
    /// end. Healing and the continuation change `self`.
    pub fn reaches_fairly(&mut self, goal: fn(&ClusterView) -> bool, bound: usize) -> bool {
        self.crashes_left = 0;
        self.outages_left = 0;
        let no_records = Budget { records: 0 };
        while let Some(heal) = next_healing(&self.enabled_actions(&no_records), &self.view()) {
            if self.step(&heal).is_err() {
                return false;
            }
        }
        let enabled = |imp: &Implementation| imp.enabled_actions(&no_records);
        let step = |imp: &mut Implementation, action: &Action| imp.step(action).is_ok();
        fair_schedule(self, bound, enabled, step, |imp| goal(&imp.view())).1
    }
}
