//! `highwater ci`: the gate passes on this repository's suite, fails (with a trace to replay)
//! when the protocol crate under test carries a bug, writes JUnit that parses as XML with one
//! test case per check, and refuses a bad suite file by name.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn highwater(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_highwater"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_suite(dir: &Path, suite: &str) -> (Output, String, serde_json::Value) {
    let file = dir.join("suite.toml");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/corpus");
    std::fs::write(&file, suite.replace("CORPUS", corpus.to_str().unwrap())).unwrap();
    let (junit, json) = (dir.join("junit.xml"), dir.join("ci.json"));
    let output = highwater(&[
        "ci",
        "--suite",
        file.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--markdown",
        dir.join("ci.md").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    let junit = std::fs::read_to_string(junit).unwrap_or_default();
    let json = serde_json::from_str(&std::fs::read_to_string(json).unwrap_or_default()).unwrap_or_default();
    (output, junit, json)
}

/// A quick suite; its corpus paths are relative to the suite file, which `run_suite` writes
/// under the target directory, so they are given whole.
const QUICK_SUITE: &str = r#"
corpus = ["CORPUS", "CORPUS/bugs"]

[bugs]
must_catch = ["follower-serves-leo"]

[[conform]]
preset = "smoke"
samples = 50
seed = 1
"#;

#[test]
fn the_gate_passes_and_its_junit_parses_with_one_case_per_check() {
    let dir = scratch("ci-pass");
    let (output, junit, json) = run_suite(&dir, QUICK_SUITE);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    let checks = json["checks"].as_array().unwrap().len();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let traces: usize = ["traces/corpus", "traces/corpus/bugs"]
        .iter()
        .map(|d| {
            std::fs::read_dir(root.join(d))
                .unwrap()
                .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .sum();
    assert!(traces >= 16, "the corpus shrank to {traces} traces");
    assert_eq!(checks, 1 + traces + 1, "a bug, each corpus trace and a conform sample");
    let xml = roxmltree::Document::parse(&junit).expect("JUnit is XML");
    let cases = xml.descendants().filter(|n| n.has_tag_name("testcase")).count();
    assert_eq!(cases, checks);
    let root = xml.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some(checks.to_string().as_str()));
    assert_eq!(root.attribute("failures"), Some("0"));
    assert!(std::fs::read_to_string(dir.join("ci.md")).unwrap().contains("highwater ci: passed"));
}

#[test]
fn a_protocol_crate_with_a_bug_fails_the_gate_with_a_trace_to_replay() {
    let dir = scratch("ci-fail");
    let suite = format!("protocol_bugs = [\"follower-serves-leo\"]\n{QUICK_SUITE}")
        .replace("[bugs]\nmust_catch = [\"follower-serves-leo\"]\n", "");
    let (output, junit, json) = run_suite(&dir, &suite);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stdout));
    let failed: Vec<&serde_json::Value> =
        json["checks"].as_array().unwrap().iter().filter(|c| c["passed"] == false).collect();
    let conform = failed.iter().find(|c| c["kind"] == "conform").expect("the conformance sample fails");
    let trace = conform["trace"].as_str().expect("with a trace");
    assert!(Path::new(&dir).join("out").exists() && Path::new(trace).exists(), "{trace}");
    let xml = roxmltree::Document::parse(&junit).unwrap();
    assert!(xml.descendants().any(|n| n.has_tag_name("failure")));
    // The trace replays the failure on the same implementation.
    let replayed = highwater(&["replay", trace]);
    assert_eq!(replayed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&replayed.stdout).contains("DIVERGED"));
}

#[test]
fn a_bad_suite_file_is_refused_by_name() {
    let dir = scratch("ci-bad");
    let (output, _, _) = run_suite(&dir, "[[check]]\npreset = \"nope\"\n");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("suite.toml") && stderr.contains("unknown preset `nope`"), "{stderr}");
    let (output, _, _) = run_suite(&dir, "[bugs]\nmust_catch = [\"flood\"]\n");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bugs.must_catch"));
    let conform = "[[conform]]\npreset = \"smoke\"\nsamples = 5\nseed = 1\n";
    let (output, _, _) = run_suite(&dir, &format!("{conform}{conform}"));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("would write one directory"));
}

/// `failover` has no consumer, so four coverage predicates are unreachable: by default that
/// fails its check; `coverage = false` lets the safety and liveness verdicts alone decide, and
/// the report still names what was not reached.
#[test]
fn coverage_can_be_waived_for_a_preset_that_cannot_reach_it() {
    let dir = scratch("ci-coverage");
    let strict = "[[check]]\npreset = \"failover\"\n";
    let (output, _, json) = run_suite(&dir, strict);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(json["checks"][0]["detail"].as_str().unwrap().contains("consumer-read-from-follower \"NOT REACHED\""));
    let (output, _, json) = run_suite(&dir, &format!("{strict}coverage = false\n"));
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    let detail = json["checks"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("not reached (coverage not required): consumer-read-from-follower"), "{detail}");
}

/// `--fail-fast` ends the gate at the first failure: the checks after it are reported as not
/// run, skipped in JUnit, and the gate fails.
#[test]
fn fail_fast_stops_at_the_first_failure() {
    let dir = scratch("ci-fail-fast");
    let suite = dir.join("suite.toml");
    let conform = |seed| format!("[[conform]]\npreset = \"smoke\"\nsamples = 50\nseed = {seed}\n");
    std::fs::write(&suite, format!("protocol_bugs = [\"follower-serves-leo\"]\n\n{}\n{}", conform(1), conform(2)))
        .unwrap();
    let junit = dir.join("junit.xml");
    let out = dir.join("out");
    let args = ["ci", "--fail-fast", "--suite", suite.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let output = highwater(&[&args[..], &["--junit", junit.to_str().unwrap()]].concat());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let checks: Vec<&str> = stdout.lines().filter(|l| l.contains(" conform ")).collect();
    assert!(checks[0].starts_with("FAIL") && checks[0].contains("diverged"), "{stdout}");
    assert!(checks[1].starts_with("skip") && checks[1].contains("not run: --fail-fast"), "{stdout}");
    let xml = std::fs::read_to_string(junit).unwrap();
    let xml = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(xml.descendants().filter(|n| n.has_tag_name("failure")).count(), 1);
    assert_eq!(xml.descendants().filter(|n| n.has_tag_name("skipped")).count(), 1);
}

/// A conformance entry runs under the semantics it names, and its check says which.
#[test]
fn a_conformance_sample_runs_under_kip_strict_when_asked() {
    let dir = scratch("ci-kip-strict");
    let suite = "[[conform]]\npreset = \"lagging\"\nsamples = 50\nseed = 1\nsemantics = \"kip-strict\"\n";
    let (output, _, json) = run_suite(&dir, suite);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    assert_eq!(json["checks"][0]["name"], "conform lagging kip-strict seed 1 x50");
    let (output, _, _) = run_suite(&dir, &suite.replace("kip-strict", "kip"));
    assert_eq!(output.status.code(), Some(2), "an unknown semantics is refused");
}
