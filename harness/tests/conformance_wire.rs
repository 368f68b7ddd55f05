//! Conformance compares more than the views: the messages each step delivered and those left in
//! flight, field by field, and the timers each node has set. A message or timer that differs
//! from the model's is a divergence in the step that made it, whatever the views say.

use highwater::adapter::{Implementation, Wire};
use highwater::rng::Rng;
use highwater::tracefile::random_walk;
use highwater_model::{preset, ClusterModel, ClusterState};
use highwater_traces::Message;

/// A seeded walk of `default` stepped on both sides, with the model's wire at each step.
fn walk_both_sides(seed: u64) -> Vec<(Implementation, Wire)> {
    let cfg = preset("default").unwrap().config();
    let model = ClusterModel::new(cfg.clone());
    let (actions, states) = random_walk(&model, &mut Rng::for_sample(seed, 0), 40);
    let wire = |state: &ClusterState| Wire { links: model.in_flight(state), timers: model.timers_set(state) };
    let mut implementation = Implementation::new(&cfg);
    let mut sides = vec![(implementation.clone(), wire(&states[0]))];
    for (action, state) in actions.iter().zip(&states[1..]) {
        implementation.step(action).expect("the implementation takes every step of the walk");
        sides.push((implementation.clone(), wire(state)));
    }
    sides
}

#[test]
fn every_step_of_a_walk_agrees_on_messages_and_timers() {
    for seed in 1..=5 {
        for (step, (implementation, wire)) in walk_both_sides(seed).iter().enumerate() {
            let differs = implementation.wire_differs(wire);
            assert!(differs.is_none(), "seed {seed}, step {step}: {:?}", differs);
        }
    }
}

#[test]
fn a_request_with_another_field_diverges_at_once() {
    let sides = walk_both_sides(1);
    let (implementation, wire) = sides
        .iter()
        .find(|(_, wire)| {
            wire.links.iter().any(|(_, _, queue)| queue.iter().any(|m| matches!(m, Message::Fetch { .. })))
        })
        .expect("some step has a fetch in flight");
    let mut tampered = wire.clone();
    let (from, to, queue) = tampered
        .links
        .iter_mut()
        .find(|(_, _, queue)| queue.iter().any(|m| matches!(m, Message::Fetch { .. })))
        .unwrap();
    let link = format!("{from}->{to}");
    if let Some(Message::Fetch { fetch_offset, .. }) = queue.iter_mut().find(|m| matches!(m, Message::Fetch { .. })) {
        *fetch_offset += 1;
    }
    let differs = implementation.wire_differs(&tampered).expect("a fetch offset the model did not send");
    assert_eq!((differs.node.as_str(), differs.field.as_str()), ("in-flight", link.as_str()));
}

#[test]
fn a_request_to_another_broker_diverges_at_once() {
    let sides = walk_both_sides(2);
    let (implementation, wire) = sides.iter().find(|(_, wire)| !wire.links.is_empty()).expect("something in flight");
    let mut tampered = wire.clone();
    let (_, to, _) = &mut tampered.links[0];
    *to = highwater_traces::NodeId::Broker(99);
    assert!(implementation.wire_differs(&tampered).is_some_and(|d| d.node == "in-flight"));
}

#[test]
fn a_timer_the_model_has_and_the_implementation_lacks_diverges() {
    let sides = walk_both_sides(3);
    let (implementation, wire) = sides.iter().find(|(_, wire)| !wire.timers.is_empty()).expect("a timer set");
    let mut tampered = wire.clone();
    let (node, timer) = tampered.timers[0];
    let missing = highwater_traces::NodeId::Broker(99);
    tampered.timers[0] = (missing, timer);
    let differs = implementation.wire_differs(&tampered).expect("a timer at a node that has none");
    assert_eq!(differs.node, missing.to_string(), "instead of {node}");
    assert_eq!(differs.field, format!("timers.{}", timer.name()));
}

/// A produce refused before the cluster has a leader is answered within the step that sends it,
/// so it is never in flight between steps: only the step's delivered messages show its fields.
#[test]
fn an_answer_delivered_within_its_step_is_compared_field_by_field() {
    let cfg = preset("smoke").unwrap().config();
    let model = ClusterModel::new(cfg.clone());
    let (actions, _) = random_walk(&model, &mut Rng::for_sample(1, 0), 40);
    let trace = highwater::tracefile::build(&model, &cfg, &actions, &info()).expect("a walk is a path");
    let mut implementation = Implementation::new(&cfg);
    let refused = trace.states.iter().position(|s| {
        s.messages.iter().any(|m| matches!(m.message, Message::ProduceResponse { error_code, .. } if error_code != highwater_traces::ErrorCode::NONE))
    });
    let step = refused.expect("the walk has a refused produce");
    for state in &trace.states[1..=step] {
        implementation.step(state.action.as_ref().unwrap()).unwrap();
    }
    let recorded = &trace.states[step].messages;
    assert!(implementation.delivered_differs(recorded).is_none(), "the step agrees as recorded");
    let mut tampered = recorded.clone();
    for m in &mut tampered {
        if let Message::ProduceResponse { base_offset, .. } = &mut m.message {
            *base_offset += 2;
        }
    }
    let differs = implementation.delivered_differs(&tampered).expect("a base offset the model did not send");
    assert_eq!(differs.node, "delivered");
}

fn info() -> highwater::tracefile::TraceInfo<'static> {
    highwater::tracefile::TraceInfo {
        preset: "smoke",
        property: None,
        checker: "conform",
        seed: 1,
        steps_found: 0,
        liveness_bound: 0,
        continuation_from: None,
    }
}
