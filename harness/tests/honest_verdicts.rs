//! A run that checked nothing is never a pass: zero counts and bounds are usage errors, an empty
//! suite is refused, and `replay` refuses a trace whose `#meta` names what this suite does not
//! know or contradicts its own configuration. Configuration flags are read strictly.

use std::path::PathBuf;
use std::process::{Command, Output};

fn highwater(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_highwater")).args(args).output().expect("the binary runs")
}

fn assert_usage_error(args: &[&str], expected: &str) {
    let out = highwater(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("highwater-honest-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn zero_counts_and_bounds_are_usage_errors() {
    for args in [
        &["conform", "--preset", "smoke", "--samples", "0"][..],
        &["conform", "--preset", "smoke", "--depth", "0"],
        &["check", "--preset", "smoke", "--max-states", "0"],
        &["check", "--preset", "smoke", "--max-depth", "0"],
        &["check", "--preset", "smoke", "--timeout", "0"],
        &["check", "--preset", "smoke", "--liveness-bound", "0"],
        &["bugs", "--verify", "--budget", "0"],
        &["explore", "--preset", "smoke", "--liveness-bound", "0"],
    ] {
        assert_usage_error(args, "0 would run nothing");
    }
}

#[test]
fn a_suite_that_checks_nothing_is_refused() {
    let dir = scratch("suite");
    let empty = dir.join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    assert_usage_error(&["ci", "--suite", empty.to_str().unwrap(), "--out", dir.to_str().unwrap()], "names no check");
    let zero = dir.join("zero.toml");
    std::fs::write(&zero, "[[conform]]\npreset = \"smoke\"\nsamples = 0\nseed = 1\n").unwrap();
    assert_usage_error(&["ci", "--suite", zero.to_str().unwrap(), "--out", dir.to_str().unwrap()], "at least 1");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A corpus trace with one `#meta` field changed.
fn edited(dir: &std::path::Path, field: &str, value: &str) -> String {
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../traces/corpus/bugs/follower-serves-leo.json");
    let mut trace: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(source).unwrap()).unwrap();
    trace["#meta"][field] = serde_json::Value::String(value.to_string());
    let file = dir.join(format!("{field}.json"));
    std::fs::write(&file, serde_json::to_string_pretty(&trace).unwrap()).unwrap();
    file.to_str().unwrap().to_string()
}

#[test]
fn replay_refuses_a_meta_it_does_not_know_or_that_contradicts_the_configuration() {
    let dir = scratch("meta");
    for (field, value, expected) in [
        ("verdict", "banana", "#meta.verdict `banana` is not a verdict of `no-read-above-hw`: expected `VIOLATED`"),
        ("verdict", "reached", "expected `VIOLATED`"),
        ("preset", "no-such-preset", "#meta.preset `no-such-preset` is not a preset"),
        ("bugs", "no-such-bug", "#meta.bugs"),
        ("bugs", "", "#meta.bugs `` and #meta.config's bugs `follower-serves-leo` differ"),
        ("semantics", "kip-strict", "#meta.semantics `kip-strict` and #meta.config's semantics `apache` differ"),
    ] {
        let file = edited(&dir, field, value);
        assert_usage_error(&["replay", &file], expected);
    }
    // The file as written replays.
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../traces/corpus/bugs/follower-serves-leo.json");
    assert_eq!(highwater(&["replay", source]).status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn configuration_flags_are_read_strictly() {
    for (args, expected) in [
        (&["check", "--racks", "a;b"][..], "`a;b` is not a rack name"),
        (&["check", "--consumers", "b c"], "`b c` is not a rack name"),
        (&["check", "--producer-rack", "a/b"], "`a/b` is not a rack name"),
        (&["check", "--brokers", "100000000"], "--brokers 100000000: choose 1 to 5"),
        (&["check", "--brokers", "4294967295"], "choose 1 to 5"),
        (&["check", "--brokers", "0"], "choose 1 to 5"),
    ] {
        assert_usage_error(args, expected);
    }
}
