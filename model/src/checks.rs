//! The bridge from `highwater-properties` to stateright: every safety and coverage property is
//! registered by its name. stateright takes plain `fn` pointers, so each is an instance of one
//! generic function indexed into `highwater_properties::ALL`. The view is built once per state
//! (per thread) and shared by all the properties evaluated on it.

use std::cell::RefCell;
use std::sync::Arc;

use highwater_properties::{Kind, ALL};
use highwater_traces::ClusterView;
use stateright::{Expectation, Property};

use crate::cluster::{ClusterModel, ClusterState, Cuts};
use crate::config::{ModelConfig, Semantics};
use crate::fair::{nothing_to_heal, reaches_each_fairly};
use crate::node::NodeState;
use crate::view::{view, view_into};

/// The parts of a state a view is built from, kept with the view built from them: the actors
/// (`Arc`s, so keeping them copies pointers), the cuts and the fault budget the view reports;
/// the ghost is the view's own copy. The network and the timers are left out: no view reads
/// them.
struct CachedView {
    cfg: Arc<ModelConfig>,
    actors: Vec<Arc<NodeState>>,
    cut: Cuts,
    crashes_left: u32,
    outages_left: u32,
    view: ClusterView,
}

impl CachedView {
    /// Whether `state` gives the view kept. `Arc`'s equality checks the pointer first, so for
    /// the properties of one state this costs a few pointer compares, far less than hashing the
    /// state again.
    fn built_from(&self, model: &ClusterModel, state: &ClusterState) -> bool {
        Arc::ptr_eq(&self.cfg, &model.cfg)
            && self.actors == state.sys.actor_states
            && self.cut == state.cut
            && self.crashes_left == state.crashes_left
            && self.outages_left == state.outages_left
            && self.view.ghost == state.ghost
    }
}

thread_local! {
    static LAST_VIEW: RefCell<Option<CachedView>> = const { RefCell::new(None) };
}

/// Evaluate `f` on the view of `state`, reusing the view built for the previous property.
pub fn with_view<T>(model: &ClusterModel, state: &ClusterState, f: impl FnOnce(&ClusterView) -> T) -> T {
    LAST_VIEW.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.as_ref().is_some_and(|c| c.built_from(model, state)) {
            return f(&cached.as_ref().expect("just matched").view);
        }
        // Taken out while it is rewritten: a panic halfway leaves no cache, not a key that
        // names a view half written.
        match cached.take() {
            Some(mut c) => {
                view_into(model, state, &mut c.view);
                c.cfg.clone_from(&model.cfg);
                c.actors.clone_from(&state.sys.actor_states);
                c.cut.clone_from(&state.cut);
                (c.crashes_left, c.outages_left) = (state.crashes_left, state.outages_left);
                *cached = Some(c);
            }
            None => {
                *cached = Some(CachedView {
                    cfg: model.cfg.clone(),
                    actors: state.sys.actor_states.clone(),
                    cut: state.cut.clone(),
                    crashes_left: state.crashes_left,
                    outages_left: state.outages_left,
                    view: view(model, state),
                })
            }
        }
        f(&cached.as_ref().expect("just filled").view)
    })
}

/// The answers of the last state whose liveness goals needed a continuation on this thread, for
/// every liveness property of its model: the properties of one state are checked one after the
/// other, and one continuation answers them all (`fair::reaches_each_fairly`).
struct Continued {
    cfg: Arc<ModelConfig>,
    bound: usize,
    state: ClusterState,
    held: Vec<(usize, bool)>,
}

thread_local! {
    static LAST_CONTINUATION: RefCell<Option<Continued>> = const { RefCell::new(None) };
}

/// Whether, from `state`, stopping all faults and continuing fairly reaches the goal of
/// `ALL[index]` within `bound` steps: `fair::reaches_fairly`, with the continuation shared by the
/// liveness properties of one state.
fn continued_reaches(model: &ClusterModel, state: &ClusterState, index: usize, bound: usize) -> bool {
    LAST_CONTINUATION.with(|cell| {
        let mut last = cell.borrow_mut();
        let kept = last.as_ref().filter(|c| Arc::ptr_eq(&c.cfg, &model.cfg) && c.bound == bound && c.state == *state);
        if let Some(&(_, held)) = kept.and_then(|c| c.held.iter().find(|(i, _)| *i == index)) {
            return held;
        }
        let mut indices: Vec<usize> =
            (0..ALL.len()).filter(|&i| ALL[i].kind == Kind::Liveness && ALL[i].applies(model.cfg.semantics)).collect();
        if !indices.contains(&index) {
            indices.push(index);
        }
        let goals: Vec<fn(&ClusterView) -> bool> = indices.iter().map(|&i| ALL[i].check).collect();
        let held: Vec<(usize, bool)> =
            indices.into_iter().zip(reaches_each_fairly(model, state, &goals, bound)).collect();
        let answer = held.iter().find(|(i, _)| *i == index).expect("asked for").1;
        *last = Some(Continued { cfg: model.cfg.clone(), bound, state: state.clone(), held });
        answer
    })
}

fn check<const I: usize>(model: &ClusterModel, state: &ClusterState) -> bool {
    match (ALL[I].kind, model.liveness_bound) {
        // Most states already meet the goal and have nothing to heal: then the continuation
        // would stop before its first step, and the shared view answers at once.
        (Kind::Liveness, Some(bound)) => {
            with_view(model, state, |v| nothing_to_heal(v) && (ALL[I].check)(v))
                || match &model.liveness_memo {
                    Some(memo) => crate::liveness_memo::reaches(model, memo, state, I, bound),
                    None => continued_reaches(model, state, I, bound),
                }
        }
        _ => with_view(model, state, |v| (ALL[I].check)(v)),
    }
}

macro_rules! checks {
    ($($i:literal)*) => { [$(check::<$i>,)*] };
}

/// One per index into `ALL`, with room for properties yet to come, so that a new property needs
/// nothing here; the assertion below says when the room runs out.
const CHECKS: [fn(&ClusterModel, &ClusterState) -> bool; 64] = checks![
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
];
const _: () = assert!(ALL.len() <= CHECKS.len(), "more properties than CHECKS has room for: extend it");

/// Safety properties as `always`, coverage as `sometimes`. Liveness is never stateright's
/// `eventually` (blind on cycles): with a bound set (`ClusterModel::with_liveness_bound`), each
/// liveness property is an `always` whose condition is "from here, once faults stop, a fair
/// continuation reaches the goal within the bound", so it is checked in every reachable state.
pub fn stateright_properties(with_liveness: bool, semantics: Semantics) -> Vec<Property<ClusterModel>> {
    ALL.iter()
        .zip(CHECKS)
        .filter(|(p, _)| p.applies(semantics))
        .filter_map(|(p, condition)| match p.kind {
            Kind::Safety => Some(Property { expectation: Expectation::Always, name: p.name, condition }),
            Kind::Coverage => Some(Property { expectation: Expectation::Sometimes, name: p.name, condition }),
            Kind::Liveness if with_liveness => {
                Some(Property { expectation: Expectation::Always, name: p.name, condition })
            }
            Kind::Liveness => None,
        })
        .collect()
}
