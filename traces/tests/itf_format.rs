//! Trace files are ITF: the `itf` crate (the reader for Apalache's and Quint's traces) decodes
//! them; and bad files are rejected with the place named.

use highwater_traces::*;

fn sample() -> Trace {
    let mut view = ClusterView::default();
    view.brokers.push(BrokerView { id: 1, rack: "a".into(), leader_epoch_start_offset: Some(0), ..Default::default() });
    view.consumers.push(ConsumerView {
        id: 0,
        rack: Some("b".into()),
        preferred_read_replica: None,
        ..Default::default()
    });
    view.ghost.epochs_seen.insert(NodeId::Broker(1), 1);
    view.ghost.happened.insert(Happened::LeaderChanged);
    let steps = [
        Action::Produce { value: 1 },
        Action::Deliver { from: NodeId::Broker(1), to: NodeId::Broker(2) },
        Action::Seek { consumer: 0, to: SeekTo::Offset(3) },
        Action::CutRack { rack: "a".into() },
    ];
    let mut states = vec![TraceState {
        meta: StateMeta { index: 0 },
        action_taken: "init".into(),
        action: None,
        messages: Vec::new(),
        view: view.clone(),
    }];
    for (i, action) in steps.into_iter().enumerate() {
        states.push(TraceState {
            meta: StateMeta { index: i as u64 + 1 },
            action_taken: action.kind().into(),
            messages: vec![StepMessage {
                from: NodeId::Broker(1),
                to: NodeId::Broker(2),
                fate: Fate::Delivered,
                message: Message::Produce { value: i as u64 },
            }],
            action: Some(action),
            view: view.clone(),
        });
    }
    Trace {
        meta: TraceMeta {
            format: FORMAT.into(),
            format_description: "test".into(),
            source: "highwater test".into(),
            description: "a sample".into(),
            preset: "smoke".into(),
            config: "{}".into(),
            bugs: String::new(),
            semantics: "apache".into(),
            property: "no-read-above-hw".into(),
            verdict: "VIOLATED".into(),
            checker: "hand-written".into(),
            seed: "0".into(),
            steps_found: "4".into(),
            liveness_bound: String::new(),
            protocol_bugs: String::new(),
            continuation_from: String::new(),
        },
        vars: VARS.iter().map(|v| v.to_string()).collect(),
        states,
    }
}

#[test]
fn the_itf_crate_decodes_our_traces() {
    let json = sample().to_json();
    let decoded: itf::Trace<itf::Value> = itf::trace_from_str(&json).unwrap_or_else(|e| panic!("{e:?}\n{json}"));
    assert_eq!(decoded.states.len(), 5);
    assert_eq!(decoded.vars, VARS.iter().map(|v| v.to_string()).collect::<Vec<_>>());
    assert_eq!(decoded.meta.format.as_deref(), Some(FORMAT));
    assert_eq!(decoded.meta.other.get("property").map(String::as_str), Some("no-read-above-hw"));
}

#[test]
fn traces_round_trip() {
    let trace = sample();
    assert_eq!(Trace::parse(&trace.to_json()), Ok(trace.clone()));
    assert_eq!(trace.actions().len(), 4);
}

#[test]
fn version_1_files_still_read_with_no_messages_and_no_continuation() {
    let mut value: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
    value["#meta"]["format"] = "highwater-trace/1".into();
    value["#meta"].as_object_mut().unwrap().remove("continuation-from");
    value["vars"] = serde_json::json!(["mbt::actionTaken", "action", "view"]);
    for state in value["states"].as_array_mut().unwrap() {
        state.as_object_mut().unwrap().remove("messages");
    }
    let trace = Trace::parse(&value.to_string()).unwrap();
    assert!(trace.states.iter().all(|s| s.messages.is_empty()));
    assert_eq!(trace.continuation_from(), None);
    assert_eq!(trace.path().len(), 4);
}

#[test]
fn a_continuation_splits_the_path_from_the_fair_steps_and_must_name_a_state() {
    let mut trace = sample();
    trace.meta.continuation_from = "2".into();
    let trace = Trace::parse(&trace.to_json()).unwrap();
    assert_eq!(trace.continuation_from(), Some(2));
    assert_eq!(trace.path(), trace.actions()[..2].to_vec());
    for bad in ["9", "two"] {
        let mut broken = sample();
        broken.meta.continuation_from = bad.into();
        let err = Trace::parse(&broken.to_json()).unwrap_err().to_string();
        assert_eq!(err, format!("#meta.continuation-from `{bad}`: expected the index of a state (0 to 4)"));
    }
}

#[test]
fn bad_files_are_rejected_naming_the_place() {
    let good = sample().to_json();
    assert!(matches!(Trace::parse("{ not json"), Err(TraceError::Json(_))));
    let old = good.replace(FORMAT, "highwater-trace/0");
    assert_eq!(
        Trace::parse(&old).unwrap_err().to_string(),
        "format `highwater-trace/0`: expected `highwater-trace/2` (or the older `highwater-trace/1`)"
    );
    let unknown = good.replacen(
        "\"cut_rack\",\n      \"action\": {\n        \"action\": \"cut_rack\"",
        "\"cut_rack\",\n      \"action\": {\n        \"action\": \"flood\"",
        1,
    );
    assert_ne!(unknown, good, "the replacement must hit");
    let err = Trace::parse(&unknown).unwrap_err().to_string();
    assert!(err.starts_with("state 4: unknown variant `flood`"), "{err}");
    let mut skipped = sample();
    skipped.states[2].meta.index = 7;
    assert_eq!(Trace::parse(&skipped.to_json()).unwrap_err().to_string(), "state 2: #meta.index is 7: expected 2");
    let mut no_action = sample();
    no_action.states[3].action = None;
    assert_eq!(Trace::parse(&no_action.to_json()).unwrap_err().to_string(), "state 3: `action` is missing");
}

#[test]
fn older_traces_listing_every_redirect_read_as_they_would_be_written_now() {
    let allowed = Redirect { by: 1, by_leader: true, to: 2, to_in_isr: true, to_holds_offset: true };
    let disallowed = Redirect { to_in_isr: false, ..allowed };
    let mut older = sample();
    for state in &mut older.states {
        state.view.ghost.redirects = [allowed, disallowed].into();
    }
    let read = Trace::parse(&older.to_json()).unwrap();
    for state in &read.states {
        assert_eq!(state.view.ghost.redirects, [disallowed].into());
    }
}
