//! The `highwater` binary's contract: exit codes, error messages and JSON output.

use std::process::{Command, Output};

fn highwater(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_highwater")).args(args).output().expect("the binary runs")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn presets_and_help_exit_0() {
    let presets = highwater(&["presets"]);
    assert_eq!(code(&presets), 0);
    let text = String::from_utf8_lossy(&presets.stdout);
    assert!(text.contains("smoke") && text.contains("default") && text.contains("large"), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&highwater(&["presets", "--json"]).stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), highwater_model::PRESETS.len());
    let help = highwater(&["check", "--help"]);
    assert_eq!(code(&help), 0);
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--preset",
        "--brokers",
        "--racks",
        "--consumers",
        "--records",
        "--max-epoch",
        "--crashes",
        "--rack-outages",
        "--lossy",
        "--semantics",
        "--checker",
        "--threads",
        "--max-states",
        "--max-depth",
        "--timeout",
        "--seed",
        "--no-symmetry",
        "--format",
    ] {
        assert!(help.contains(flag), "check --help lacks {flag}");
    }
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    for (args, expected) in [
        (vec!["check", "--bogus"], "unexpected argument '--bogus'"),
        (
            vec!["check", "--preset", "nope"],
            "unknown preset `nope`; expected one of: smoke, default, rack-outage, kip207, failover, min-isr, elections, replication, four-replicas, lagging, outage-brokers, outage-rack, outage-link, outage-one-way, large",
        ),
        (vec!["check", "--brokers", "0"], "--brokers 0: choose 1 to 5"),
        (vec!["check", "--brokers", "3", "--racks", "a,b"], "give one rack per broker"),
        (vec!["check", "--records", "0"], "0 records: choose 1 to 5"),
        (vec!["check", "--consumers", "b,,b"], "--consumers: item 2 is empty"),
        (vec!["check", "--semantics", "loose"], "invalid value 'loose'"),
        (vec!["check", "--checker", "simulation"], "never finishes by itself"),
        (vec!["explore", "--addr", "0.0.0.0:3000"], "not a loopback address"),
        (vec![], "Usage"),
    ] {
        let output = highwater(&args);
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
        assert!(!stderr(&output).contains("panicked"), "{args:?}");
    }
}

#[test]
fn consumers_none_or_empty_means_a_cluster_without_consumers() {
    for value in ["none", ""] {
        let output = highwater(&["check", "--consumers", value, "--max-states", "10", "--format", "json"]);
        assert_eq!(code(&output), 3, "--consumers {value:?}: {}", stderr(&output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
        assert_eq!(report["config"]["consumer_racks"], serde_json::json!([]), "--consumers {value:?}");
    }
    let output = highwater(&["check", "--consumers", "b,-", "--max-states", "10", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["config"]["consumer_racks"], serde_json::json!(["b", null]));
    assert!(report["symmetry"].is_null(), "consumers in different racks are not interchangeable");
    let output = highwater(&["check", "--consumers", "b,b", "--max-states", "10", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["symmetry"], serde_json::json!([[0, 1]]), "two consumers in rack b");
    let args = ["check", "--consumers", "b,b", "--max-states", "10", "--format", "json", "--no-symmetry"];
    let report: serde_json::Value = serde_json::from_slice(&highwater(&args).stdout).expect("one JSON object");
    assert!(report["symmetry"].is_null(), "--no-symmetry");
}

#[test]
fn a_bounded_run_is_inconclusive_and_its_json_parses() {
    let output = highwater(&["check", "--preset", "smoke", "--max-states", "2000", "--format", "json"]);
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    for field in [
        "preset",
        "config",
        "complete",
        "states",
        "unique_states",
        "max_depth",
        "elapsed_s",
        "states_per_s",
        "properties",
        "exit_code",
    ] {
        assert!(report.get(field).is_some(), "JSON lacks {field}");
    }
    assert_eq!(report["complete"], false);
    assert_eq!(report["exit_code"], 3);
    let properties = report["properties"].as_array().unwrap();
    assert_eq!(properties.len(), highwater_properties::ALL.len(), "one row per property");
    assert!(properties.iter().all(|p| p["status"] != "holds"), "nothing is called a pass in an incomplete run");
    let depth = highwater(&["check", "--preset", "smoke", "--max-depth", "5"]);
    assert_eq!(code(&depth), 3, "a depth bound that cuts paths is inconclusive");
    assert!(String::from_utf8_lossy(&depth.stdout).contains("INCOMPLETE: stopped by the 5-step depth bound"));
}

#[test]
fn simulation_is_never_reported_as_a_pass() {
    let output = highwater(&[
        "check",
        "--preset",
        "smoke",
        "--checker",
        "simulation",
        "--max-states",
        "5000",
        "--format",
        "json",
    ]);
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["complete"], false);
}

#[test]
fn liveness_checked_in_every_state_reports_a_missed_goal_with_its_continuation() {
    let args = ["check", "--preset", "smoke", "--rack-outages", "0", "--liveness-bound", "2", "--format", "json"];
    let output = highwater(&args);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let property =
        |name: &str| report["properties"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap().clone();
    let missed = property("committed-eventually-visible");
    assert_eq!(missed["status"], "VIOLATED");
    let path = missed["path"].as_array().unwrap();
    assert!(path.len() >= 2, "the path ends with the fair continuation: {path:?}");
    assert_eq!(property("no-read-above-hw")["status"], "holds");
}

#[test]
fn liveness_is_sampled_and_labelled_as_such() {
    let output = highwater(&[
        "check",
        "--preset",
        "smoke",
        "--max-states",
        "10",
        "--liveness",
        "sampled",
        "--liveness-samples",
        "20",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let status = |name: &str| {
        report["properties"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["status"].clone()
    };
    assert_eq!(status("committed-eventually-visible"), "holds (sampled)");
    assert_eq!(status("preferred-replica-released"), "holds (sampled)");
    let skipped =
        highwater(&["check", "--preset", "smoke", "--max-states", "10", "--liveness", "off", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&skipped.stdout).unwrap();
    assert!(report["properties"].as_array().unwrap().iter().any(|p| p["status"] == "not checked"));
}

#[test]
fn bugs_lists_every_seeded_bug_and_verify_catches_one() {
    let listed = highwater(&["bugs", "--format", "json"]);
    assert_eq!(code(&listed), 0);
    let report: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let bugs = report["bugs"].as_array().unwrap();
    assert_eq!(bugs.len(), 18);
    assert!(bugs.iter().any(|b| b["id"] == "follower-serves-leo" && b["property"] == "no-read-above-hw"));

    let out = std::env::temp_dir().join(format!("highwater-bugs-{}", std::process::id()));
    let args = ["bugs", "--verify", "--bug", "follower-serves-leo", "--format", "json", "--out", out.to_str().unwrap()];
    let verified = highwater(&args);
    assert_eq!(code(&verified), 0, "{}", stderr(&verified));
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    let bug = &report["bugs"][0];
    assert_eq!((bug["caught"].clone(), bug["property"].clone()), (true.into(), "no-read-above-hw".into()));
    assert_eq!((bug["reproduced_with_bug"].clone(), bug["clean_without_bug"].clone()), (true.into(), true.into()));
    assert!(out.join("follower-serves-leo.json").exists());
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_bug_that_does_not_exist_is_a_usage_error() {
    // The model carries every bug the protocol crate does, under the same id.
    let mut model: Vec<&str> = highwater_model::ModelBug::ALL.iter().map(|b| b.id()).collect();
    let mut protocol: Vec<&str> = highwater_protocol::Bug::ALL.iter().map(|b| b.id()).collect();
    model.sort_unstable();
    protocol.sort_unstable();
    assert_eq!(model, protocol);
    let absent = highwater(&["check", "--preset", "smoke", "--bug", "flood"]);
    assert_eq!(code(&absent), 2);
    assert!(stderr(&absent).contains("--bug flood: no such seeded bug"), "{}", stderr(&absent));
    let unknown = highwater(&["bugs", "--bug", "nope"]);
    assert_eq!(code(&unknown), 2);
    assert!(stderr(&unknown).contains("no such seeded bug"), "{}", stderr(&unknown));
    let bad_preset = highwater(&["bugs", "--verify", "--preset", "nope"]);
    assert_eq!(code(&bad_preset), 2);
    assert!(stderr(&bad_preset).contains("--preset nope: unknown preset"), "{}", stderr(&bad_preset));
}

#[test]
fn a_bug_too_deep_to_exhaust_is_caught_by_seeded_random_walks() {
    // KAFKA-7128 needs four brokers, a configuration no minute-long DFS exhausts; `bugs --verify`
    // walks it at random from `--seed` and records that in the trace it writes.
    let out = std::env::temp_dir().join(format!("highwater-walks-{}", std::process::id()));
    let bug = "isr-expand-before-epoch-start";
    let args = ["bugs", "--verify", "--bug", bug, "--seed", "3", "--format", "json", "--out", out.to_str().unwrap()];
    let verified = highwater(&args);
    assert_eq!(code(&verified), 0, "{}", stderr(&verified));
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    let found = &report["bugs"][0];
    assert_eq!((found["caught"].clone(), found["preset"].clone()), (true.into(), "four-replicas".into()));
    let trace: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(format!("{bug}.json"))).unwrap()).unwrap();
    assert_eq!((trace["#meta"]["checker"].clone(), trace["#meta"]["seed"].clone()), ("simulation".into(), "3".into()));
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn output_cut_short_by_a_closed_pipe_is_not_a_panic() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_highwater"))
        .args(["bugs"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // The reader goes away before the listing is written, as `highwater bugs | head -0` does.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("it ends");
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

#[test]
fn a_bug_not_caught_fails_verify_and_says_where_it_was_looked_for() {
    let out = std::env::temp_dir().join(format!("highwater-missed-{}", std::process::id()));
    // Without fencing, nothing on `failover` serves a request across epochs (`smoke` shows it).
    let args = [
        "bugs",
        "--verify",
        "--bug",
        "no-leader-epoch-fencing",
        "--preset",
        "failover",
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ];
    let verified = highwater(&args);
    assert_eq!(code(&verified), 1, "a missed bug fails the run: {}", stderr(&verified));
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    let missed = &report["bugs"][0];
    assert_eq!((missed["caught"].clone(), missed["preset"].clone()), (false.into(), "failover".into()));
    assert!(missed["missed_because"].as_str().unwrap().contains("`failover` checked exhaustively"), "{missed}");
    assert!(missed["seconds"].as_f64().unwrap() > 0.0, "the search's time is reported: {missed}");
    assert!(!out.join("no-leader-epoch-fencing.json").exists(), "no trace for a bug not caught");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn rerecord_brings_a_trace_up_to_date_and_leaves_one_the_model_no_longer_takes() {
    let dir = std::env::temp_dir().join(format!("highwater-rerecord-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let corpus =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../traces/corpus/kip207-list-offsets-window-after-an-election.json");
    let text = std::fs::read_to_string(corpus).unwrap();

    // A state recorded by an older model: re-recorded, and it then replays as recorded.
    let mut trace: serde_json::Value = serde_json::from_str(&text).unwrap();
    trace["states"][3]["view"]["brokers"][1]["leader_epoch"] = serde_json::json!(7);
    let stale = dir.join("stale.json");
    std::fs::write(&stale, serde_json::to_string_pretty(&trace).unwrap()).unwrap();
    let stale = stale.to_str().unwrap();
    assert_eq!(code(&highwater(&["replay", stale])), 1, "the edited state diverges");
    let out = highwater(&["trace", "rerecord", stale]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-recorded, 1 states changed"));
    assert_eq!(code(&highwater(&["replay", stale])), 0);
    let out = highwater(&["trace", "rerecord", stale]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("unchanged"));

    // Steps the model does not take: exit 1, the file as it was.
    let mut trace: serde_json::Value = serde_json::from_str(&text).unwrap();
    trace["states"][2]["action"] = serde_json::json!({"action": "restart", "broker": 3});
    let impossible = dir.join("impossible.json");
    let written = serde_json::to_string_pretty(&trace).unwrap();
    std::fs::write(&impossible, &written).unwrap();
    let out = highwater(&["trace", "rerecord", impossible.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("step 2"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&impossible).unwrap(), written);

    // A file that is not there: exit 2.
    let out = highwater(&["trace", "rerecord", dir.join("absent.json").to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("absent.json"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}
