//! The checker's choices change no verdict: breadth-first (`highwater-checker`) and depth-first
//! (stateright) search, any number of threads, the liveness memo and consumer symmetry. Where
//! no state is pruned the counts agree too; symmetry prunes, and says so by its smaller count.

use std::process::Command;

use serde_json::Value;

use crate::report::verdicts;

/// Presets small enough to check exhaustively, with liveness, several times in `cargo test`.
const SMALL: &[&str] =
    &["smoke", "failover", "min-isr", "lagging", "outage-brokers", "outage-rack", "outage-link", "outage-one-way"];

fn check(preset: &str, extra: &[&str]) -> Value {
    let mut args = vec!["check", "--preset", preset, "--format", "json"];
    args.extend(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_highwater")).args(&args).output().expect("the binary runs");
    assert!(matches!(out.status.code(), Some(0 | 1 | 4)), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

fn counts(report: &Value) -> (u64, u64) {
    (report["unique_states"].as_u64().unwrap(), report["states"].as_u64().unwrap())
}

#[test]
fn breadth_and_depth_first_agree_on_every_small_preset() {
    for preset in SMALL {
        let bfs = check(preset, &["--checker", "bfs"]);
        let dfs = check(preset, &["--checker", "dfs", "--threads", "1"]);
        assert_eq!(bfs["complete"], true, "{preset}");
        assert_eq!(verdicts(&bfs), verdicts(&dfs), "{preset}");
        assert_eq!(counts(&bfs), counts(&dfs), "{preset}");
    }
}

#[test]
fn the_liveness_memo_changes_no_verdict() {
    for preset in SMALL {
        let memo = check(preset, &["--checker", "bfs", "--liveness-memo"]);
        let none = check(preset, &["--checker", "bfs"]);
        assert_eq!(verdicts(&memo), verdicts(&none), "{preset}");
        assert_eq!(counts(&memo), counts(&none), "{preset}");
        let stats = &memo["liveness_memo"];
        assert!(stats["checks"].as_u64().unwrap() > 0, "{preset}: liveness was checked");
        assert!(stats["continuations"].as_u64() <= stats["checks"].as_u64(), "{preset}");
        assert!(none["liveness_memo"].is_null());
    }
    // A seeded bug that breaks liveness is caught with the memo as without it.
    let args = ["--bug", "hw-stuck-after-shrink"];
    let memo = check("smoke", &[&args[..], &["--liveness-memo"]].concat());
    let none = check("smoke", &[&args[..], &["--threads", "1"]].concat());
    assert!(verdicts(&memo)
        .iter()
        .any(|(name, status)| name == "committed-eventually-visible" && status == "VIOLATED"));
    assert_eq!(verdicts(&memo), verdicts(&none));
}

#[test]
fn threads_change_nothing_but_the_time() {
    let strip = |mut report: Value| {
        for field in ["elapsed_s", "states_per_s", "threads", "search"] {
            report.as_object_mut().unwrap().remove(field);
        }
        report
    };
    let bug = ["--bug", "follower-serves-leo", "--checker", "bfs"];
    let one = strip(check("smoke", &[&bug[..], &["--threads", "1"]].concat()));
    for threads in ["2", "3"] {
        let many = strip(check("smoke", &[&bug[..], &["--threads", threads]].concat()));
        assert_eq!(one, many, "with {threads} threads: counts, verdicts and every counterexample");
    }
}

#[test]
fn symmetry_prunes_states_and_changes_no_verdict() {
    let two = ["--consumers", "b,b", "--liveness", "off"];
    for checker in ["bfs", "dfs"] {
        let with = check("smoke", &[&two[..], &["--checker", checker]].concat());
        let without = check("smoke", &[&two[..], &["--checker", checker, "--no-symmetry"]].concat());
        assert_eq!(verdicts(&with), verdicts(&without), "{checker}");
        assert!(with["symmetry"].is_array(), "the report names the consumers explored as one");
        assert!(counts(&with).0 < counts(&without).0, "{checker}: {:?} vs {:?}", counts(&with), counts(&without));
    }
}

#[test]
fn the_default_search_agrees_with_breadth_first_on_smoke() {
    let default = check("smoke", &[]);
    let bfs = check("smoke", &["--checker", "bfs"]);
    assert_eq!(verdicts(&default), verdicts(&bfs));
    assert_eq!(counts(&default), counts(&bfs));
}
