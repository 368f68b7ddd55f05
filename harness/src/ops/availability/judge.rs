//! The availability claims judged on one scenario's model, exhaustively: a breadth-first search
//! of every state the scenario reaches with its outage never healed, each claim judged in every
//! state with the outage on (`highwater_properties::availability`).
//!
//! The search is our own rather than stateright's because a claim's verdict needs what
//! stateright's properties cannot carry: the views on both sides of a step (a `Step` witness)
//! and a continuation judged against the state it starts from (a `Stall` witness).

use std::collections::{HashSet, VecDeque};

use highwater_model::fair::continue_with_faults_kept;
use highwater_model::view::view;
use highwater_model::{ClusterModel, ClusterState};
use highwater_properties::availability::{Claim, Judged, CLAIMS};
use highwater_traces::{Action, ClusterView};
use serde::Serialize;
use stateright::Model;

/// A claim's verdict on one scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ClaimStatus {
    /// Judged under the fault in every state with the outage on, and kept.
    #[serde(rename = "holds")]
    Holds,
    /// A state with the outage on from which the continuation misses the goal.
    #[serde(rename = "FAILS")]
    Fails,
    /// A witness some run gives.
    #[serde(rename = "witnessed")]
    Witnessed,
    /// A witness no run gives (the search was exhaustive).
    #[serde(rename = "not witnessed")]
    NotWitnessed,
    /// The search stopped at its state bound before a verdict.
    #[serde(rename = "unknown")]
    Unknown,
}

impl ClaimStatus {
    /// As the report prints it.
    pub fn word(self) -> &'static str {
        match self {
            ClaimStatus::Holds => "holds",
            ClaimStatus::Fails => "FAILS",
            ClaimStatus::Witnessed => "witnessed",
            ClaimStatus::NotWitnessed => "not witnessed",
            ClaimStatus::Unknown => "unknown",
        }
    }
}

/// One claim's verdict and the path that shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimVerdict {
    /// The claim's name.
    pub claim: &'static str,
    /// Its verdict.
    pub status: ClaimStatus,
    /// The steps to the state that shows it, then (for a continuation) the continuation.
    #[serde(skip)]
    pub path: Option<Vec<Action>>,
    /// Where the continuation starts in `path`, if it has one.
    #[serde(skip)]
    pub continuation_from: Option<usize>,
}

/// What the search found on one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Judgement {
    /// Distinct states explored.
    pub unique_states: usize,
    /// Whether every reachable state was explored.
    pub complete: bool,
    /// One per claim, in catalogue order.
    pub verdicts: Vec<ClaimVerdict>,
}

impl Judgement {
    /// The verdict on `claim`.
    pub fn status(&self, claim: &str) -> ClaimStatus {
        self.verdicts.iter().find(|v| v.claim == claim).map_or(ClaimStatus::Unknown, |v| v.status)
    }
}

/// How the search reached a state: all a path needs. The states themselves are kept only until
/// they are expanded, so the search holds its frontier, not every state it reached.
struct Node {
    parent: usize,
    action: Option<Action>,
}

fn fingerprint(state: &ClusterState) -> u64 {
    highwater_checker::fingerprint(state)
}

fn path_to(nodes: &[Node], mut index: usize) -> Vec<Action> {
    let mut path = Vec::new();
    while let Some(action) = &nodes[index].action {
        path.push(action.clone());
        index = nodes[index].parent;
    }
    path.reverse();
    path
}

/// Judge every claim on `model`, exploring only the actions `allowed` lets through, with
/// continuations of at most `bound` steps, stopping after `max_states` distinct states.
pub fn judge(model: &ClusterModel, allowed: impl Fn(&Action) -> bool, bound: usize, max_states: usize) -> Judgement {
    let mut found: Vec<Option<(Vec<Action>, Option<usize>)>> = vec![None; CLAIMS.len()];
    let mut seen: HashSet<u64> = HashSet::new();
    let mut nodes: Vec<Node> = Vec::new();
    // The states reached and not yet expanded, with their index in `nodes`, in the order reached.
    let mut frontier: VecDeque<(usize, ClusterState)> = VecDeque::new();
    for state in model.init_states() {
        if seen.insert(fingerprint(&state)) {
            frontier.push_back((nodes.len(), state));
            nodes.push(Node { parent: 0, action: None });
        }
    }
    let mut actions = Vec::new();
    let mut complete = true;
    while let Some((next, current)) = frontier.pop_front() {
        // An interrupt leaves the search as a state bound would: incomplete.
        if crate::interrupt::requested() {
            complete = false;
            break;
        }
        let here = view(model, &current);
        if here.outage_on() {
            judge_state(model, &nodes, next, &current, &here, bound, &mut found);
        }
        actions.clear();
        model.actions(&current, &mut actions);
        for action in actions.drain(..).filter(|a| allowed(a)) {
            let Some(state) = model.next_state(&current, action.clone()) else { continue };
            // A step witness is judged on every step, the ones into states already seen too:
            // the same state is often reached first by a step that does not show it.
            let outage_after = here.outage_on() || matches!(action, Action::Cut { .. } | Action::CutRack { .. });
            let open_witness =
                CLAIMS.iter().zip(&found).any(|(c, f)| matches!(c.judged, Judged::Step(_)) && f.is_none());
            if outage_after && open_witness {
                let after = view(model, &state);
                for (i, claim) in CLAIMS.iter().enumerate() {
                    if let (Judged::Step(witness), None) = (claim.judged, &found[i]) {
                        if after.outage_on() && witness(&here, &after) {
                            let mut path = path_to(&nodes, next);
                            path.push(action.clone());
                            found[i] = Some((path, None));
                        }
                    }
                }
            }
            if !seen.insert(fingerprint(&state)) {
                continue;
            }
            if nodes.len() >= max_states {
                complete = false;
                continue;
            }
            frontier.push_back((nodes.len(), state));
            nodes.push(Node { parent: next, action: Some(action) });
        }
    }
    let verdicts = CLAIMS
        .iter()
        .zip(found)
        .map(|(claim, found)| {
            let status = match (claim.is_witness(), found.is_some(), complete) {
                (false, true, _) => ClaimStatus::Fails,
                (false, false, true) => ClaimStatus::Holds,
                (true, true, _) => ClaimStatus::Witnessed,
                (true, false, true) => ClaimStatus::NotWitnessed,
                (_, false, false) => ClaimStatus::Unknown,
            };
            let (path, continuation_from) = found.map_or((None, None), |(p, c)| (Some(p), c));
            ClaimVerdict { claim: claim.name, status, path, continuation_from }
        })
        .collect();
    Judgement { unique_states: nodes.len(), complete, verdicts }
}

/// Judge the claims that run a continuation from `state`, the state at `index`, whose view is
/// `here`.
fn judge_state(
    model: &ClusterModel,
    nodes: &[Node],
    index: usize,
    state: &ClusterState,
    here: &ClusterView,
    bound: usize,
    found: &mut [Option<(Vec<Action>, Option<usize>)>],
) {
    for (i, claim) in CLAIMS.iter().enumerate() {
        if found[i].is_some() {
            continue;
        }
        let missed = match claim.judged {
            Judged::UnderFault(goal) if !goal(here) => continuation_missing(model, state, goal, bound),
            Judged::Stall(goal) if !goal(here, here) => {
                continuation_missing(model, state, |now: &ClusterView| goal(here, now), bound)
            }
            _ => None,
        };
        if let Some(continuation) = missed {
            let mut path = path_to(nodes, index);
            let from = path.len();
            path.extend(continuation);
            found[i] = Some((path, Some(from)));
        }
    }
}

fn continuation_missing(
    model: &ClusterModel,
    state: &ClusterState,
    goal: impl Fn(&ClusterView) -> bool,
    bound: usize,
) -> Option<Vec<Action>> {
    let (steps, reached) = continue_with_faults_kept(model, state, goal, bound);
    (!reached).then_some(steps)
}

/// The claim with this name, for a verdict's statement.
pub fn statement(name: &str) -> &'static str {
    highwater_properties::availability::claim(name).map_or("", |c: &Claim| c.statement)
}
