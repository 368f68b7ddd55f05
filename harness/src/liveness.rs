//! Bounded liveness by sampling: random walks (seeded, faults included) to a state, then faults
//! stop by the rules of `highwater_model::fair` (racks heal; crashed brokers restart only when
//! the partition has no live leader), and a fair continuation of at most `bound` steps must
//! reach each liveness goal. Not exhaustive, and reported as sampled.

use highwater_model::fair::{continue_fairly, stop_faults};
use highwater_model::ClusterModel;
use highwater_properties::{Kind, ALL};
use highwater_traces::Action;

use crate::rng::Rng;

/// How to sample.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct LivenessOptions {
    /// Random walks.
    pub samples: usize,
    /// Steps per walk before faults stop.
    pub walk_steps: usize,
    /// Steps the fair continuation may take.
    pub bound: usize,
    /// Seed of the walks.
    pub seed: u64,
}

/// A liveness property's sampled outcome.
pub struct LivenessOutcome {
    /// The property.
    pub name: &'static str,
    /// The walk, the healing and the continuation that missed the goal, if one did.
    pub counterexample: Option<Vec<Action>>,
}

/// Sample every liveness property of `model`.
pub fn check(model: &ClusterModel, options: LivenessOptions) -> Vec<LivenessOutcome> {
    let liveness: Vec<_> = ALL.iter().filter(|p| p.kind == Kind::Liveness).collect();
    let mut outcomes: Vec<LivenessOutcome> =
        liveness.iter().map(|p| LivenessOutcome { name: p.name, counterexample: None }).collect();
    for sample in 0..options.samples {
        let mut rng = Rng::for_sample(options.seed, sample as u64);
        let (walk, states) = crate::tracefile::random_walk(model, &mut rng, options.walk_steps);
        let state = states.last().expect("a walk starts with the initial state");
        let (healed, heal) = stop_faults(model, state);
        for (property, outcome) in liveness.iter().zip(&mut outcomes) {
            if outcome.counterexample.is_some() {
                continue;
            }
            let (continuation, reached) = continue_fairly(model, &healed, property.check, options.bound);
            if !reached {
                outcome.counterexample = Some(walk.iter().chain(&heal).chain(&continuation).cloned().collect());
            }
        }
    }
    outcomes
}
