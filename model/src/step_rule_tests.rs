//! The model's step rules, each checked on its own in every reachable state of small presets
//! (the pinned state counts say that something changed; these say what).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use highwater_traces::observe::first_eager;
use highwater_traces::{Action, Message, NodeId, TimerKind};
use stateright::actor::Id;
use stateright::Model;

use crate::cluster::{ClusterModel, ClusterState};
use crate::config::preset;
use crate::node::NodeState;

/// Every state of `name` reachable from its initial states (breadth first, at most `limit`).
fn reachable(name: &str, limit: usize) -> (ClusterModel, Vec<ClusterState>) {
    let model = ClusterModel::new(preset(name).expect("a preset").config());
    let mut seen: HashSet<ClusterState> = HashSet::new();
    let mut queue: VecDeque<ClusterState> = model.init_states().into();
    let mut states = Vec::new();
    while let Some(state) = queue.pop_front() {
        if states.len() == limit || !seen.insert(state.clone()) {
            continue;
        }
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        queue.extend(actions.into_iter().filter_map(|a| model.next_state(&state, a)));
        states.push(state);
    }
    (model, states)
}

fn heads(model: &ClusterModel, state: &ClusterState) -> Vec<(NodeId, NodeId, Message)> {
    ClusterModel::channels(state)
        .iter()
        .filter_map(|(&(src, dst), q)| Some((model.layout.node(src), model.layout.node(dst), q.front()?.clone())))
        .collect()
}

#[test]
fn every_state_is_settled_coalesced_and_has_no_outdated_or_dead_messages() {
    for preset in ["smoke", "failover"] {
        let (model, states) = reachable(preset, 40_000);
        assert!(states.len() > 10_000, "{preset}: only {} states explored", states.len());
        for state in &states {
            let heads = heads(&model, state);
            // Requests and answers to clients are delivered within the step that sends them. The
            // one exception: a follower's request queued behind an answer to it that the end of
            // the step took as outdated, after the step's deliveries; it goes with the next step.
            let waiting = heads.iter().filter(|(f, t, m)| first_eager([(*f, *t, m)]).is_some());
            for (from, to, message) in waiting {
                let between_brokers = matches!((from, to), (NodeId::Broker(_), NodeId::Broker(_)));
                assert!(between_brokers, "{preset}: {from} -> {to} waits between steps: {message:?}");
            }
            for ((src, dst), queue) in ClusterModel::channels(state) {
                let (from, to) = (model.layout.node(*src), model.layout.node(*dst));
                assert!(!queue.is_empty(), "{preset}: an empty channel is kept");
                // The controller's queue to a broker keeps only the newest partition change.
                let changes = queue.iter().filter(|m| matches!(m, Message::PartitionChange { .. })).count();
                assert!(from != NodeId::Controller || changes <= 1, "{preset}: {changes} partition changes queued");
                // Nothing waits on a connection a crash or a cut has reset.
                for end in [from, to] {
                    if let NodeId::Broker(b) = end {
                        let broker = model.broker(state, b).expect("a broker");
                        assert!(broker.alive, "{preset}: a message waits on a crashed broker's connection");
                    }
                }
                // A running broker's outdated answer or partition change is taken at once.
                if let NodeId::Broker(b) = to {
                    let broker = model.broker(state, b).expect("a broker");
                    assert!(!broker.outdated(&queue[0]), "{preset}: an outdated message waits: {:?}", queue[0]);
                }
            }
        }
    }
}

#[test]
fn timers_whose_handler_would_change_nothing_are_forgotten() {
    let (_, states) = reachable("smoke", 40_000);
    for state in &states {
        for (index, timers) in state.sys.timers_set.iter().enumerate() {
            match &*state.sys.actor_states[index] {
                NodeState::Broker(b) => {
                    let fetch_wait = timers.iter().any(|t| *t == TimerKind::FetchWait);
                    assert!(!fetch_wait || !b.parked_consumers.is_empty(), "fetch-wait with no parked fetch");
                    let replica_wait = timers.iter().any(|t| *t == TimerKind::ReplicaFetchWait);
                    let hw_to_learn = b.followers.iter().any(|f| f.parked.is_some() && f.hw_sent < b.hw);
                    assert!(!replica_wait || hw_to_learn, "replica-fetch-wait with no parked fetch to tell a HW");
                    assert!(replica_wait || !hw_to_learn, "a parked fetch with a HW to learn and no deadline");
                    let isr_tick = timers.iter().any(|t| *t == TimerKind::IsrExpiration);
                    assert!(!isr_tick || state.isr_ticks_left > 0, "isr-expiration with none left in the budget");
                }
                NodeState::Consumer(c) => {
                    let refresh = timers.iter().any(|t| *t == TimerKind::MetadataRefresh);
                    assert!(!refresh || c.preferred.is_some(), "metadata-refresh with no preferred read replica");
                }
                _ => {}
            }
        }
    }
}

#[test]
fn a_crash_resets_the_broker_s_connections_and_the_controller_fences_it() {
    let model = ClusterModel::new(preset("smoke").expect("a preset").config());
    let init = model.init_states().remove(0);
    let controller_leader = |state: &ClusterState| match &*state.sys.actor_states[0] {
        NodeState::Controller(c) => c.leader,
        _ => unreachable!("actor 0 is the controller"),
    };
    assert_eq!(controller_leader(&init), 1, "smoke starts with broker 1 elected");
    let crashed = model.next_state(&init, Action::Crash { broker: 1 }).expect("a crash is a step");
    assert!(!model.broker(&crashed, 1).expect("a broker").alive);
    let id = model.layout.id(NodeId::Broker(1));
    let touching: Vec<&(Id, Id)> =
        ClusterModel::channels(&crashed).keys().filter(|(src, dst)| *src == id || *dst == id).collect();
    assert!(touching.is_empty(), "connections of a crashed broker still carry {touching:?}");
    assert!(crashed.sys.timers_set[usize::from(id)].iter().next().is_none(), "a crashed broker keeps timers");
    match &*crashed.sys.actor_states[0] {
        NodeState::Controller(c) => {
            assert!(c.fenced.contains(&1), "the controller fences the crashed broker");
            assert_ne!(c.leader, 1, "and elects another leader");
        }
        _ => unreachable!("actor 0 is the controller"),
    }
    assert_eq!(crashed.crashes_left, init.crashes_left - 1, "a crash spends the budget");
}

#[test]
fn a_step_keeps_only_its_own_events_in_the_ghost() {
    let (model, states) = reachable("smoke", 40_000);
    let mut compared = 0;
    for state in states.iter().filter(|s| !s.ghost.happened.is_empty()).take(500) {
        // The same state without the last step's events has the same successors: what one step
        // recorded never leaks into the next.
        let mut forgotten = state.clone();
        forgotten.ghost.happened.clear();
        let mut actions = Vec::new();
        model.actions(state, &mut actions);
        for action in actions {
            let (a, b) = (model.next_state(state, action.clone()), model.next_state(&forgotten, action.clone()));
            assert_eq!(a.map(|s| s.ghost), b.map(|s| s.ghost), "after {action}");
            compared += 1;
        }
    }
    assert!(compared > 1_000, "only {compared} steps compared");
}

/// Kafka 4.4.0 `Partition.maybeIncrementLeaderHW` and `appendRecordsToLeader`: while the
/// committed ISR is below the effective minimum, the leader's HW and LEO stay where they are.
#[test]
fn an_under_min_isr_leader_neither_commits_nor_appends() {
    let (model, states) = reachable("min-isr", 40_000);
    let min = preset("min-isr").expect("a preset").config().effective_min_isr();
    let mut held = 0;
    for state in &states {
        let mut actions = Vec::new();
        model.actions(state, &mut actions);
        for action in actions {
            let Some(next) = model.next_state(state, action.clone()) else { continue };
            for id in 1..=3 {
                let (before, after) =
                    (model.broker(state, id).expect("a broker"), model.broker(&next, id).expect("a broker"));
                let same_term = before.role == highwater_traces::Role::Leader
                    && after.role == highwater_traces::Role::Leader
                    && before.leader_epoch == after.leader_epoch;
                if same_term && before.isr.len() < min && after.isr.len() < min {
                    assert_eq!(
                        (after.hw, after.log.len()),
                        (before.hw, before.log.len()),
                        "broker {id} after {action}"
                    );
                    held += usize::from(before.hw < before.log.len() as i64);
                }
            }
        }
    }
    assert!(held > 0, "no step taken by an under-min-ISR leader with uncommitted records");
}

/// The model delivers in place what stateright's `ActorModel::next_state` would deliver by
/// copying the whole system: the two give the same actors, queues and timers for every message
/// at the head of a queue, and the in-place one leaves nothing behind when no message waits.
#[test]
fn a_delivery_in_place_is_the_one_stateright_makes() {
    let mut compared = 0;
    for (preset, limit) in [("smoke", 20_000), ("failover", 20_000), ("default", 20_000)] {
        let (model, states) = reachable(preset, limit);
        for state in &states {
            for (from, to, _) in heads(&model, state) {
                let expected = model.delivered_by_stateright(&state.sys, from, to).expect("a message waits");
                let mut sys = state.sys.clone();
                let mut ghost = state.ghost.clone();
                assert!(model.delivered(&mut sys, &state.cut, &mut ghost, from, to));
                assert!(sys == expected, "{preset}: {from} -> {to} delivered differently");
                // With every actor its own (as in a fair continuation), the receiver is
                // changed where it is rather than copied.
                let mut sys = state.sys.clone();
                for actor in &mut sys.actor_states {
                    *actor = Arc::new((**actor).clone());
                }
                let receiver = usize::from(model.layout.id(to));
                assert_eq!(Arc::strong_count(&sys.actor_states[receiver]), 1);
                let mut own_ghost = state.ghost.clone();
                assert!(model.delivered(&mut sys, &state.cut, &mut own_ghost, from, to));
                assert!(sys == expected, "{preset}: {from} -> {to} delivered differently in place");
                assert!(own_ghost == ghost, "{preset}: {from} -> {to} observed differently in place");
                compared += 1;
            }
        }
        let mut sys = states[0].sys.clone();
        let (to, from) = (NodeId::Controller, NodeId::Broker(1));
        let empty = !ClusterModel::channels(&states[0]).contains_key(&(model.layout.id(from), model.layout.id(to)));
        assert!(empty, "{preset}: the initial state has a message from broker 1 to the controller");
        assert!(!model.delivered(&mut sys, &states[0].cut, &mut states[0].ghost.clone(), from, to));
        assert!(sys == states[0].sys, "{preset}: a delivery of nothing changed the state");
    }
    assert!(compared > 50_000, "only {compared} deliveries compared");
}

/// A timer fires in place as stateright's `ActorModel::next_state` fires it by copying the
/// whole system, for every timer offered in a reachable state: the same actors, queues and
/// timers. Two kinds of tick also stand for time passing elsewhere, which stateright knows
/// nothing of (a lease aged, the other leaders' long pause); for those, the node's own part is
/// compared.
#[test]
fn a_timer_fired_in_place_is_the_one_stateright_fires() {
    let (mut compared, mut own_part_only, mut aged_leases) = (0, 0, 0);
    // `outage-brokers` has two consumers, so its leases age with the ticks that stand for time.
    for (preset, limit) in [("smoke", 20_000), ("failover", 20_000), ("default", 20_000), ("outage-brokers", 20_000)] {
        let (model, states) = reachable(preset, limit);
        for state in &states {
            let mut actions = Vec::new();
            model.actions(state, &mut actions);
            for action in actions {
                let Action::Timer { node, timer } = action else { continue };
                let expected =
                    model.fired_by_stateright(&state.sys, node, timer).expect("an offered timer changes something");
                let mut fired = state.clone();
                assert!(model.fire(&mut fired, node, timer), "{preset}: {action} was offered");
                let ages_leases = model.lease_periods(state, node, timer).is_some();
                let elsewhere = ages_leases || matches!(timer, TimerKind::MetadataRefresh | TimerKind::IsrExpiration);
                if elsewhere {
                    let index = usize::from(model.layout.id(node));
                    assert!(fired.sys.actor_states[index] == expected.actor_states[index], "{preset}: {action}");
                    assert!(fired.sys.timers_set[index] == expected.timers_set[index], "{preset}: {action}");
                    assert!(fired.sys.network == expected.network, "{preset}: {action} sent differently");
                    aged_leases += usize::from(ages_leases);
                    own_part_only += 1;
                } else {
                    assert!(fired.sys == expected, "{preset}: {action} fired differently");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 20_000, "only {compared} timers compared whole");
    assert!(own_part_only > 0, "no tick that stands for time passing elsewhere was compared");
    assert!(aged_leases > 0, "no tick that ages a lease was compared");
}

/// A seek is the application acting now: whatever the consumer was waiting out, its request
/// for the new position goes at once, as the protocol crate's `on_seek` sends it, to an offset
/// as to either end.
#[test]
fn a_seek_ends_a_backoff_and_sends_at_once() {
    use highwater_traces::SeekTo;
    let (model, states) = reachable("smoke", 20_000);
    let consumer = usize::from(model.layout.id(NodeId::Consumer(0)));
    let mut seeks_while_backing_off = 0;
    for state in &states {
        let NodeState::Consumer(c) = &*state.sys.actor_states[consumer] else { panic!("consumer-0 is a consumer") };
        if !c.backing_off || c.leader == highwater_traces::NO_BROKER {
            continue;
        }
        for to in [SeekTo::Offset(0), SeekTo::Beginning, SeekTo::End] {
            let mut c = c.clone();
            let mut out = stateright::actor::Out::new();
            c.seek(to, &mut crate::node::Env::new(&model.cfg, model.layout, &mut out));
            let sent = out.iter().any(|command| matches!(command, stateright::actor::Command::Send(..)));
            assert!(!c.backing_off && c.in_flight.is_some() && sent, "a seek to {to} waited out the backoff");
            seeks_while_backing_off += 1;
        }
    }
    assert!(seeks_while_backing_off > 100, "only {seeks_while_backing_off} seeks while backing off");
}

/// One continuation answers every liveness goal of a state as a continuation towards each alone
/// would (`fair::reaches_each_fairly`), at the default bound and at one so short that some
/// goals are missed.
#[test]
fn one_continuation_answers_each_goal_as_its_own_would() {
    use highwater_properties::{Kind, ALL};

    use crate::fair::{continue_fairly, reaches_each_fairly, stop_faults};

    let goals: Vec<_> = ALL.iter().filter(|p| p.kind == Kind::Liveness).map(|p| p.check).collect();
    assert!(goals.len() > 1, "fewer than two liveness goals to share a continuation");
    let (mut reached, mut missed) = (0, 0);
    for (preset, limit) in [("failover", 3_000), ("default", 3_000)] {
        let (model, states) = reachable(preset, limit);
        for state in &states {
            let (healed, _) = stop_faults(&model, state);
            for bound in [400, 3] {
                let each: Vec<bool> =
                    goals.iter().map(|goal| continue_fairly(&model, &healed, *goal, bound).1).collect();
                assert_eq!(reaches_each_fairly(&model, state, &goals, bound), each, "{preset}, bound {bound}");
                reached += each.iter().filter(|r| **r).count();
                missed += each.iter().filter(|r| !**r).count();
            }
        }
    }
    assert!(reached > 1_000 && missed > 1_000, "{reached} goals reached and {missed} missed: too few of either");
}
