//! The bridge from `highwater-properties` to stateright: every safety and coverage property is
//! registered by its name. stateright takes plain `fn` pointers, so each is an instance of one
//! generic function indexed into `highwater_properties::ALL`. The view is built once per state
//! (per thread) and shared by all the properties evaluated on it.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};

use highwater_properties::{Kind, ALL};
use highwater_traces::ClusterView;
use stateright::{Expectation, Property};

use crate::cluster::{ClusterModel, ClusterState};
use crate::view::view;

thread_local! {
    static LAST_VIEW: RefCell<Option<(u64, ClusterView)>> = const { RefCell::new(None) };
}

fn fingerprint(state: &ClusterState) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    state.hash(&mut hasher);
    hasher.finish()
}

/// Evaluate `f` on the view of `state`, reusing the view built for the previous property.
pub fn with_view<T>(model: &ClusterModel, state: &ClusterState, f: impl FnOnce(&ClusterView) -> T) -> T {
    let key = fingerprint(state);
    LAST_VIEW.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.as_ref().map(|(k, _)| *k) != Some(key) {
            *cached = Some((key, view(model, state)));
        }
        f(&cached.as_ref().expect("just filled").1)
    })
}

fn check<const I: usize>(model: &ClusterModel, state: &ClusterState) -> bool {
    with_view(model, state, |v| (ALL[I].check)(v))
}

const CHECKS: [fn(&ClusterModel, &ClusterState) -> bool; 19] = [
    check::<0>,
    check::<1>,
    check::<2>,
    check::<3>,
    check::<4>,
    check::<5>,
    check::<6>,
    check::<7>,
    check::<8>,
    check::<9>,
    check::<10>,
    check::<11>,
    check::<12>,
    check::<13>,
    check::<14>,
    check::<15>,
    check::<16>,
    check::<17>,
    check::<18>,
];

/// Safety properties as `always`, coverage as `sometimes`. Liveness is checked by the harness
/// with fair continuations, not by stateright's `eventually` (blind on cycles).
pub fn stateright_properties() -> Vec<Property<ClusterModel>> {
    assert_eq!(ALL.len(), CHECKS.len(), "one check per property in highwater_properties::ALL");
    ALL.iter()
        .zip(CHECKS)
        .filter_map(|(p, condition)| match p.kind {
            Kind::Safety => Some(Property { expectation: Expectation::Always, name: p.name, condition }),
            Kind::Coverage => Some(Property { expectation: Expectation::Sometimes, name: p.name, condition }),
            Kind::Liveness => None,
        })
        .collect()
}
