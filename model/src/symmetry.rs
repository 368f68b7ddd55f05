//! Symmetry between consumers that share a `client.rack`.
//!
//! Such consumers are interchangeable: nothing a broker, the controller or a property does
//! depends on a consumer's number, only on its rack (the selector reads the rack a fetch
//! carries). So two states that differ only by a renumbering of same-rack consumers have the
//! same future up to that renumbering, and the checker needs to explore one of them.
//!
//! Brokers are not made symmetric, even two followers in one rack: Kafka elects the first live
//! ISR member in assignment order, so broker 2 and broker 3 are not interchangeable.
//!
//! stateright's DFS and simulation checkers honour this; its BFS never applies the
//! representative, so the harness turns it on with DFS only. The checker keeps the path's
//! concrete states, so traces are unaffected.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use highwater_traces::NodeId;
use stateright::actor::{Id, Network};

use crate::cluster::ClusterState;
use crate::config::ModelConfig;
use crate::layout::Layout;
use crate::node::NodeState;

/// Which consumers may be renumbered among themselves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerSymmetry {
    layout: Layout,
    /// Consumer numbers, grouped by rack; only groups of two or more.
    groups: Vec<Vec<u32>>,
}

impl ConsumerSymmetry {
    /// The symmetry of `cfg`, if it has two consumers in one rack.
    pub fn of(cfg: &ModelConfig, layout: Layout) -> Option<Arc<ConsumerSymmetry>> {
        let mut by_rack: BTreeMap<&Option<String>, Vec<u32>> = BTreeMap::new();
        for (number, rack) in cfg.consumer_racks.iter().enumerate() {
            by_rack.entry(rack).or_default().push(number as u32);
        }
        let groups: Vec<Vec<u32>> = by_rack.into_values().filter(|g| g.len() > 1).collect();
        (!groups.is_empty()).then(|| Arc::new(ConsumerSymmetry { layout, groups }))
    }

    /// The groups, for reports: consumer numbers that share a rack.
    pub fn groups(&self) -> &[Vec<u32>] {
        &self.groups
    }
}

/// A state standing for every renumbering of its same-rack consumers: within each group,
/// consumers are ordered by a digest of everything that concerns them. Any renumbering is
/// sound; the digest only makes equal states meet.
pub fn representative(state: &ClusterState) -> ClusterState {
    let Some(symmetry) = state.consumer_symmetry.clone() else { return state.clone() };
    let mut renumber: Vec<u32> = (0..symmetry.layout.consumers as u32).collect();
    for group in &symmetry.groups {
        let mut keyed: Vec<(u64, u32)> = group.iter().map(|&c| (digest(state, &symmetry, c), c)).collect();
        keyed.sort_unstable();
        for (&new, &(_, old)) in group.iter().zip(&keyed) {
            renumber[old as usize] = new;
        }
    }
    renumbered(state, &renumber)
}

/// Everything about consumer `c` in `state`, with its number left out.
fn digest(state: &ClusterState, symmetry: &ConsumerSymmetry, c: u32) -> u64 {
    let mut hasher = DefaultHasher::new();
    let id = symmetry.layout.id(NodeId::Consumer(c));
    let index = usize::from(id);
    if let NodeState::Consumer(consumer) = &*state.sys.actor_states[index] {
        let mut unnumbered = consumer.clone();
        unnumbered.id = 0;
        unnumbered.hash(&mut hasher);
    }
    let mut timers: Vec<_> = state.sys.timers_set[index].iter().copied().collect();
    timers.sort_unstable();
    timers.hash(&mut hasher);
    if let Network::Ordered(channels) = &state.sys.network {
        for ((src, dst), queue) in channels.iter().filter(|((s, d), _)| *s == id || *d == id) {
            (*src == id, if *src == id { *dst } else { *src }, queue).hash(&mut hasher);
        }
    }
    for node in &state.sys.actor_states {
        if let NodeState::Broker(b) = &**node {
            for parked in b.parked_consumers.iter().filter(|p| p.consumer == c) {
                (b.id, parked.epoch, parked.offset).hash(&mut hasher);
            }
        }
    }
    state.ghost.hash_consumer(c, &mut hasher);
    hasher.finish()
}

/// `state` with consumer `old` renumbered `renumber[old]`, everywhere a consumer is named. A
/// broker's parked consumer fetches are put in consumer order: the order is never observable
/// (each answer goes down its own connection), and sorting it lets renumbered states meet.
pub fn renumbered(state: &ClusterState, renumber: &[u32]) -> ClusterState {
    let Some(symmetry) = state.consumer_symmetry.as_deref() else { return state.clone() };
    let layout = symmetry.layout;
    let actor = |id: Id| match layout.node(id) {
        NodeId::Consumer(c) => layout.id(NodeId::Consumer(renumber[c as usize])),
        _ => id,
    };
    let mut next = state.clone();
    let sys = &mut next.sys;
    for old in 0..layout.consumers as u32 {
        let from = usize::from(layout.id(NodeId::Consumer(old)));
        let to = usize::from(layout.id(NodeId::Consumer(renumber[old as usize])));
        sys.actor_states[to] = match &*state.sys.actor_states[from] {
            NodeState::Consumer(c) => {
                let mut c = c.clone();
                c.id = renumber[old as usize];
                Arc::new(NodeState::Consumer(c))
            }
            other => Arc::new(other.clone()),
        };
        sys.timers_set[to] = state.sys.timers_set[from].clone();
        sys.random_choices[to] = state.sys.random_choices[from].clone();
        sys.crashed[to] = state.sys.crashed[from];
        sys.actor_storages[to] = state.sys.actor_storages[from];
    }
    if let Network::Ordered(channels) = &state.sys.network {
        let renamed = channels.iter().map(|((src, dst), queue)| ((actor(*src), actor(*dst)), queue.clone()));
        sys.network = Network::Ordered(renamed.collect());
    }
    for node in sys.actor_states.iter_mut() {
        if let NodeState::Broker(b) = &**node {
            if b.parked_consumers.len() < 2 && renumber.iter().enumerate().all(|(old, new)| old as u32 == *new) {
                continue;
            }
            let mut b = b.clone();
            for parked in &mut b.parked_consumers {
                parked.consumer = renumber[parked.consumer as usize];
            }
            b.parked_consumers.sort_by_key(|p| p.consumer);
            *node = Arc::new(NodeState::Broker(b));
        }
    }
    next.ghost.renumber_consumers(renumber);
    next
}
