//! Each actor's hash, remembered: a step changes one or two actors and shares the others with
//! the state it came from (they are `Arc`s), so hashing a successor whole would hash the same
//! actors again and again.

use std::cell::RefCell;
use std::sync::Arc;

use crate::node::NodeState;

/// Slots in each thread's table: a power of two, indexed by the actor's address.
const SLOTS: usize = 4096;

/// An actor and its hash.
type Slot = Option<(Arc<NodeState>, u64)>;

thread_local! {
    /// Each slot keeps the actor it hashed. Holding the `Arc` keeps its allocation alive and
    /// shared, so it can be neither freed and reused for another actor nor changed in place
    /// (`Arc::make_mut` copies a shared one): the same address is the same actor.
    static HASHES: RefCell<Vec<Slot>> = RefCell::new(vec![None; SLOTS]);
}

/// A hash of `actor`'s state, the same on every run and every thread.
pub(crate) fn actor_hash(actor: &Arc<NodeState>) -> u64 {
    let slot = (Arc::as_ptr(actor) as usize >> 4) & (SLOTS - 1);
    HASHES.with(|table| {
        let mut table = table.borrow_mut();
        match &table[slot] {
            Some((kept, hash)) if Arc::ptr_eq(kept, actor) => *hash,
            _ => {
                let hash = STABLE.hash_one(&**actor);
                table[slot] = Some((actor.clone(), hash));
                hash
            }
        }
    })
}

/// Fixed seeds, so that a state's fingerprint does not depend on the run.
const STABLE: ahash::RandomState = ahash::RandomState::with_seeds(0x6869_6768, 0x7761_7465, 0x7220_6163, 0x746f_7273);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ClusterModel;
    use crate::config::preset;
    use stateright::Model;

    fn smoke() -> ClusterModel {
        ClusterModel::new(preset("smoke").expect("a preset").config())
    }

    #[test]
    fn a_remembered_hash_is_the_hash_of_the_actor_it_names() {
        let model = smoke();
        let state = &model.init_states()[0];
        for actor in &state.sys.actor_states {
            let first = actor_hash(actor);
            assert_eq!(first, STABLE.hash_one(&**actor));
            assert_eq!(actor_hash(actor), first, "the second look-up takes the slot's answer");
            // A copy at another address, equal in every field, hashes the same.
            assert_eq!(actor_hash(&Arc::new((**actor).clone())), first);
        }
    }

    #[test]
    fn an_actor_changed_after_its_hash_was_kept_is_hashed_again() {
        let model = smoke();
        let mut state = model.init_states()[0].clone();
        let before = actor_hash(&state.sys.actor_states[1]);
        let NodeState::Broker(broker) = Arc::make_mut(&mut state.sys.actor_states[1]) else {
            panic!("actor 1 is a broker")
        };
        broker.hw += 1;
        assert_ne!(actor_hash(&state.sys.actor_states[1]), before);
    }
}
