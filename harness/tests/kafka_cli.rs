//! `highwater kafka`'s answers to bad input: exit 2, a message naming what was wrong, and
//! nothing started or written. The real cluster itself runs in `.ci/run` (it needs root, Java
//! and Maven); its histories' judge is tested in `kafka/tests/`.

use std::process::Command;

fn highwater(args: &[&str], dir: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_highwater")).args(args).current_dir(dir).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "highwater-kafka-cli-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn an_unknown_scenario_is_refused_with_the_names_of_all() {
    let dir = scratch();
    let (code, stderr) = highwater(&["kafka", "run", "--scenario", "rack-z"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`rack-z`") && stderr.contains("follower-fetch") && stderr.contains("one-way-b-a"),
        "{stderr}"
    );
    assert!(!dir.join("highwater-kafka").exists(), "nothing is made for a refused run");
}

#[test]
fn a_run_without_a_scenario_says_how_to_name_one() {
    let (code, stderr) = highwater(&["kafka", "run"], &scratch());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--scenario NAME or --all"), "{stderr}");
}

#[test]
fn a_classpath_that_does_not_exist_is_refused_by_name() {
    let dir = scratch();
    let (code, stderr) = highwater(&["kafka", "run", "--all", "--classpath", "/no/such/kafka.jar"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("/no/such/kafka.jar") && stderr.contains("does not exist"), "{stderr}");
    assert!(!dir.join("highwater-kafka").exists());
}

#[test]
fn a_version_that_is_not_a_release_number_is_refused() {
    let (code, stderr) = highwater(&["kafka", "up", "--kafka-version", "4.4.0;rm"], &scratch());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--kafka-version `4.4.0;rm`"), "{stderr}");
}

#[test]
fn list_names_every_scenario() {
    let out = Command::new(env!("CARGO_BIN_EXE_highwater")).args(["kafka", "run", "--list"]).output().unwrap();
    assert!(out.status.success());
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    let expected = highwater_kafka::scenario::all().into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(names, expected);
    assert_eq!(names.len(), 9);
}

/// A real run's history as the viewer's trace: a step per request, answer, lost connection and
/// fault, the clients' state in each view, and a file `highwater view` and `trace show` read.
#[test]
fn a_real_history_becomes_a_trace_the_viewer_reads() {
    use highwater::ops::kafka_trace;
    use highwater_kafka::history::{ConsumerState, History, RecordAt, What};
    use highwater_kafka::judge::FinalRead;
    use highwater_kafka::scenario::Outcome;
    use highwater_protocol::{FetchRequest, FetchResponse, LeaderIdAndEpoch, Message, OffsetRecord};

    let fetch = FetchRequest {
        replica_id: -1,
        rack_id: "b".into(),
        current_leader_epoch: 0,
        fetch_offset: 0,
        last_fetched_epoch: -1,
        log_start_offset: -1,
    };
    let answer = FetchResponse {
        error_code: highwater_protocol::ErrorCode::NONE,
        high_watermark: 1,
        log_start_offset: 0,
        records: vec![OffsetRecord { offset: 0, epoch: 0, value: 7 }],
        diverging_epoch: None,
        preferred_read_replica: -1,
        current_leader: LeaderIdAndEpoch { leader_id: 1, leader_epoch: 0 },
        fetch_offset: 0,
        request_leader_epoch: 0,
    };
    let mut history = History::default();
    history.push(0, What::Produced { value: 7 });
    history.push(
        1,
        What::Sent {
            client: "consumer-0".into(),
            broker: 2,
            correlation_id: 1,
            request: String::new(),
            message: Message::Fetch(fetch),
        },
    );
    history.push(2, What::Step { what: "cut: rack a isolated".into() });
    history.push(
        3,
        What::Received {
            client: "consumer-0".into(),
            broker: 2,
            correlation_id: 1,
            latency_ms: 2,
            response: String::new(),
            unmodelled_error: None,
            message: Message::FetchResponse(answer),
        },
    );
    let state = ConsumerState {
        position: 1,
        position_epoch: 0,
        current_leader_epoch: 0,
        preferred_read_replica: Some(2),
        resets: Vec::new(),
        list_offsets_latest: Vec::new(),
        failed: false,
    };
    history.push(3, What::Consumer { client: "consumer-0".into(), state });
    history.push(
        3,
        What::Delivered {
            client: "consumer-0".into(),
            served_by: 2,
            served_hw: 1,
            records: vec![RecordAt { offset: 0, epoch: 0, value: 7 }],
        },
    );
    history.push(
        4,
        What::ConnectionLost { client: "producer".into(), broker: 1, why: "connect failed".into(), outstanding: 1 },
    );
    history.push(5, What::Step { what: "heal: rack a isolated".into() });
    let outcome = Outcome {
        scenario: "rack-a".into(),
        about: "rack a isolated".into(),
        verdicts: Vec::new(),
        expectations: Vec::new(),
        figures: None,
        final_read: FinalRead {
            leader: 2,
            high_watermark: 1,
            records: vec![RecordAt { offset: 0, epoch: 0, value: 7 }],
        },
        history,
    };
    let trace = kafka_trace::trace(&outcome, "Apache Kafka 4.4.0");
    let kinds: Vec<&str> = trace.states.iter().map(|s| s.action_taken.as_str()).collect();
    assert_eq!(kinds, ["init", "deliver", "cut", "deliver", "drop", "heal"]);
    let after_answer = &trace.states[3].view;
    assert_eq!(after_answer.consumers[0].delivered.len(), 1);
    assert_eq!(after_answer.consumers[0].preferred_read_replica, Some(2));
    assert_eq!(after_answer.ghost.committed.len(), 1, "the final read, up to what was delivered");
    assert_eq!(trace.states[2].view.outages.len(), 1);
    assert!(trace.states[5].view.outages.is_empty());
    assert!(highwater_properties::violated_safety(&trace.states[5].view).is_empty());

    let dir = scratch();
    let file = dir.join("rack-a.json");
    std::fs::write(&file, trace.to_json()).unwrap();
    let (code, stderr) = highwater(&["view", "rack-a.json", "--out", "rack-a.html"], &dir);
    assert_eq!(code, 0, "{stderr}");
    let page = std::fs::read_to_string(dir.join("rack-a.html")).unwrap();
    assert!(page.contains("kafka rack-a"), "the page names the run");
}

#[test]
fn replaying_a_real_run_is_refused_with_what_to_do_instead() {
    use highwater_kafka::history::History;
    use highwater_kafka::judge::FinalRead;
    use highwater_kafka::scenario::Outcome;
    let outcome = Outcome {
        scenario: "follower-fetch".into(),
        about: String::new(),
        verdicts: Vec::new(),
        expectations: Vec::new(),
        figures: None,
        final_read: FinalRead::default(),
        history: History::default(),
    };
    let dir = scratch();
    let trace = highwater::ops::kafka_trace::trace(&outcome, "Apache Kafka 4.4.0");
    std::fs::write(dir.join("real.json"), trace.to_json()).unwrap();
    let (code, stderr) = highwater(&["replay", "real.json"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("real.json: a real Apache Kafka run") && stderr.contains("highwater view"), "{stderr}");
}
