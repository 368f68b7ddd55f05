//! Trace files end to end: `check --out` writes minimised traces, `trace show` reads them,
//! `replay` checks them against the model, and bad or altered files are caught where they are
//! wrong.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn highwater(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_highwater")).args(args).output().expect("the binary runs")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory under the target directory, for this test only.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Coverage traces of `smoke`, written by `check --out --keep-coverage`.
fn coverage_traces(dir: &Path) -> Output {
    let out = dir.to_str().unwrap();
    // Breadth first: the same traces on every run, whatever the cores.
    let args = ["check", "--checker", "bfs", "--preset", "smoke", "--liveness", "off", "--out", out, "--keep-coverage"];
    highwater(&[&args[..], &["--format", "json"]].concat())
}

/// One set of coverage traces shared by the tests that only read them (checking `smoke` once).
fn shared_traces() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("shared");
        let output = coverage_traces(&dir);
        assert_eq!(code(&output), 0, "{}", text(&output.stderr));
        dir
    })
}

#[test]
fn check_out_writes_minimised_traces_that_show_and_replay() {
    let dir = scratch("check-out");
    let output = coverage_traces(&dir);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let traces = report["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 6, "one per coverage predicate: {traces:?}");
    for t in traces {
        assert!(t["steps"].as_u64().unwrap() <= t["steps_found"].as_u64().unwrap(), "{t}");
    }
    let leader_changed = dir.join("leader-changed.json");
    let shown = highwater(&["trace", "show", leader_changed.to_str().unwrap()]);
    assert_eq!(code(&shown), 0, "{}", text(&shown.stderr));
    let shown = text(&shown.stdout);
    assert!(
        shown.contains("leader-changed reached after 1 step "),
        "the shortest, as breadth-first search finds it: {shown}"
    );
    assert!(shown.contains("crash broker-1") || shown.contains("cut rack a"), "{shown}");
    assert!(shown.contains("controller.leader 1 -> 2"), "{shown}");

    let files: Vec<String> = traces.iter().map(|t| t["file"].as_str().unwrap().to_string()).collect();
    let mut args = vec!["replay", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let replayed = highwater(&args);
    let report: serde_json::Value = serde_json::from_slice(&replayed.stdout).unwrap();
    for r in report["replayed"].as_array().unwrap() {
        assert_eq!(r["model"]["result"], "conforms", "{r}");
    }
    // A crash of the leader: the implementation follows it step for step.
    let both = highwater(&["replay", leader_changed.to_str().unwrap()]);
    assert_eq!(code(&both), 0, "{}{}", text(&both.stdout), text(&both.stderr));
    assert!(text(&both.stdout).contains("implementation: conforms"), "{}", text(&both.stdout));
}

#[test]
fn an_altered_view_is_a_divergence_at_its_step_and_field() {
    let dir = scratch("altered");
    let file = shared_traces().join("consumer-read-from-follower.json");
    let mut trace: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let last = trace["states"].as_array().unwrap().len() - 1;
    trace["states"][last]["view"]["consumers"][0]["position"] = serde_json::json!(7);
    let altered = dir.join("altered.json");
    std::fs::write(&altered, serde_json::to_string(&trace).unwrap()).unwrap();
    let output = highwater(&["replay", "--format", "json", altered.to_str().unwrap()]);
    assert_eq!(code(&output), 1, "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let model = &report["replayed"][0]["model"];
    assert_eq!(model["result"], "diverged");
    assert_eq!(model["step"], last);
    assert_eq!(model["first"]["node"], "consumer-0");
    assert_eq!(model["first"]["field"], "position");
    assert_eq!(model["first"]["expected"], 7);
    // The implementation follows the real path, so it too parts from the altered view there.
    let implementation = &report["replayed"][0]["implementation"];
    assert_eq!(implementation["result"], "diverged");
    assert_eq!(implementation["step"], last);
    assert_eq!(implementation["first"]["field"], "position");
}

#[test]
fn an_impossible_step_or_a_broken_file_exits_2_naming_file_and_place() {
    let dir = scratch("broken");
    let file = shared_traces().join("follower-truncated.json");
    let mut trace: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    // Restarting a broker that never crashed is not a step the model offers.
    trace["states"][1]["action"] = serde_json::json!({"action": "restart", "broker": 2});
    let impossible = dir.join("impossible.json");
    std::fs::write(&impossible, serde_json::to_string(&trace).unwrap()).unwrap();
    let output = highwater(&["replay", impossible.to_str().unwrap()]);
    assert_eq!(code(&output), 2);
    let message = text(&output.stderr);
    assert!(message.contains("impossible.json: step 1: the model cannot take `restart broker-2` here"), "{message}");
    assert!(output.stdout.is_empty(), "no partial report");

    let garbled = dir.join("garbled.json");
    std::fs::write(&garbled, "{\"#meta\": {\"format\": \"highwater-trace/1\"}, \"states\": [").unwrap();
    let output = highwater(&["trace", "show", garbled.to_str().unwrap()]);
    assert_eq!(code(&output), 2);
    assert!(text(&output.stderr).contains("garbled.json: not JSON"), "{}", text(&output.stderr));
    let missing = highwater(&["replay", dir.join("nope.json").to_str().unwrap()]);
    assert_eq!(code(&missing), 2);
    assert!(text(&missing.stderr).contains("nope.json: cannot read"), "{}", text(&missing.stderr));
}

#[test]
fn out_into_an_unusable_directory_exits_2_before_checking() {
    let dir = scratch("unusable");
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let output = highwater(&["check", "--preset", "smoke", "--out", blocker.join("sub").to_str().unwrap()]);
    assert_eq!(code(&output), 2);
    assert!(text(&output.stderr).contains("cannot create the directory"), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
}

#[test]
fn conform_is_reproducible_and_its_divergence_replays_as_reported() {
    let dir = scratch("conform");
    let out = dir.to_str().unwrap();
    let run = || {
        let args = ["conform", "--preset", "smoke", "--samples", "20", "--seed", "1", "--out", out, "--format", "json"];
        let output = highwater(&args);
        let mut report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report.as_object_mut().unwrap().remove("elapsed_s");
        report.as_object_mut().unwrap().remove("samples_per_s");
        (code(&output), report)
    };
    let (first_code, first) = run();
    let (second_code, second) = run();
    assert_eq!((first_code, &first), (second_code, &second), "the same seed gives the same walks");
    assert!(first["distinct_states"].as_u64().unwrap() > 0);
    if let Some(divergence) = first["divergence"].as_object() {
        assert_eq!(first_code, 1);
        let replayed = highwater(&["replay", "--format", "json", divergence["file"].as_str().unwrap()]);
        assert_eq!(code(&replayed), 1);
        let replayed: serde_json::Value = serde_json::from_slice(&replayed.stdout).unwrap();
        assert_eq!(replayed["replayed"][0]["model"]["result"], "conforms");
        assert_eq!(replayed["replayed"][0]["implementation"]["result"], divergence["result"]["result"]);
    } else {
        assert_eq!(first_code, 0);
    }
}

/// The gate for a change to `protocol/`: 200 seeded walks of the correct `smoke` model, each
/// replayed through the protocol crate, and no divergence.
#[test]
fn conform_finds_no_divergence_on_smoke_with_200_samples_seed_1() {
    let dir = scratch("conform-gate");
    let args = ["conform", "--preset", "smoke", "--samples", "200", "--seed", "1", "--out", dir.to_str().unwrap()];
    let output = highwater(&args);
    assert_eq!(code(&output), 0, "{}{}", text(&output.stdout), text(&output.stderr));
    assert!(text(&output.stdout).contains("every walk conforms"), "{}", text(&output.stdout));
    assert!(!dir.join("conform-divergence.json").exists());
}
