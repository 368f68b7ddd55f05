//! The fair continuation on the protocol crate: what a liveness counterexample means there.
//! From where a trace leaves the implementation, faults stop by the model's rules
//! (`highwater_model::fair`), and a round robin over the implementation's own deliveries and
//! timers must reach the goal within the bound, as the model's continuation must.

use highwater_model::fair::{fair_choice, is_fault_or_input, next_healing};
use highwater_traces::ClusterView;

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
        let mut last_taken = Vec::new();
        for _ in 0..bound {
            if goal(&self.view()) {
                return true;
            }
            let mut actions = self.enabled_actions(&no_records);
            actions.retain(|a| !is_fault_or_input(a));
            let Some(next) = fair_choice(&actions, &last_taken) else { break };
            if self.step(&next).is_err() {
                break;
            }
            last_taken.push(next);
        }
        goal(&self.view())
    }
}
