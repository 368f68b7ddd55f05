//! What people read: the terminal's counterexamples (golden files), the trace viewer's HTML
//! (self-contained, the same bytes for the same traces, bad input refused whole), liveness
//! traces that keep their fair continuation, and the Explorer's command-line errors.
//!
//! Golden files are in `tests/golden/`; `HIGHWATER_BLESS=1 cargo test -p highwater --test
//! viewer` writes them again after a deliberate change to the output.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use highwater_traces::{Fate, Trace};

fn highwater(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_highwater")).args(args).output().expect("the binary runs")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `check` on smoke with a seeded bug, its traces written to a directory of the test's own.
fn check_with_bug(bug: &str, liveness: &str) -> (String, PathBuf) {
    let dir = scratch(&format!("check-{bug}"));
    // Breadth first: the same counterexample on every run, whatever the cores.
    let output = highwater(&[
        "check",
        "--checker",
        "bfs",
        "--preset",
        "smoke",
        "--bug",
        bug,
        "--liveness",
        liveness,
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code(&output), 1, "{}", text(&output.stderr));
    (text(&output.stdout), dir)
}

/// A safety counterexample: follower-serves-leo, caught by no-read-above-hw.
fn safety() -> &'static (String, PathBuf) {
    static RUN: OnceLock<(String, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| check_with_bug("follower-serves-leo", "off"))
}

/// A liveness counterexample: hw-stuck-after-shrink, caught by committed-eventually-visible.
fn liveness() -> &'static (String, PathBuf) {
    static RUN: OnceLock<(String, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| check_with_bug("hw-stuck-after-shrink", "every-state"))
}

/// The report without what changes from run to run (the search's timing line) and from machine
/// to machine (the scratch directory).
fn stable(report: &str, dir: &Path) -> String {
    report
        .lines()
        .filter(|line| !line.starts_with("depth-first search:") && !line.starts_with("breadth-first search:"))
        .map(|line| line.replace(dir.to_str().unwrap(), "OUT"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn golden(name: &str, actual: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("HIGHWATER_BLESS").is_some() {
        std::fs::write(&file, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(
        expected == actual,
        "the output differs from {} (HIGHWATER_BLESS=1 writes it after a deliberate change):\n{actual}",
        file.display()
    );
}

#[test]
fn a_safety_counterexample_prints_minimised_with_messages_and_the_violating_step_marked() {
    let (report, dir) = safety();
    golden("check-safety.txt", &stable(report, dir));
    let section = &report[report.find("counterexample for no-read-above-hw").expect("printed")..];
    let trace = Trace::parse(&std::fs::read_to_string(dir.join("no-read-above-hw.json")).unwrap()).unwrap();
    let steps = trace.states.len() - 1;
    assert!(section.starts_with(&format!("counterexample for no-read-above-hw ({steps} steps, minimised from")));
    assert!(section.contains(&format!(">> {steps:>3}. ")), "the last step is marked:\n{section}");
    assert!(section.contains("VIOLATED here: consumer-0 received offset"), "{section}");
    assert!(section.contains("explore it: highwater explore --trace"), "{section}");
}

#[test]
fn a_liveness_counterexample_prints_its_path_where_faults_stop_and_the_cycle() {
    let (report, dir) = liveness();
    golden("check-liveness.txt", &stable(report, dir));
    assert!(report.contains("-- faults stop here, after step"), "{report}");
    let summary = report.lines().find(|l| l.contains("fair continuation: ")).expect("the continuation is summed up");
    let steps: usize =
        summary.split("fair continuation: ").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
    assert!((400..=410).contains(&steps), "the bound's 400 steps and the heals before them: {summary}");
    assert!(report.contains("over and over") || report.contains("the same:"), "{report}");
    assert!(report.lines().count() < 80, "the continuation is summed up, not listed:\n{report}");
}

#[test]
fn no_rust_debug_formatting_reaches_the_reports() {
    for (report, _) in [safety(), liveness()] {
        for debug in ["Some(", "None", "RackAware", "Conforms", "Offset(", " 1 records", " 1 steps"] {
            assert!(!report.contains(debug), "`{debug}` in:\n{report}");
        }
        assert!(report.starts_with("highwater check: preset smoke, apache semantics, seeded bug: "), "{report}");
    }
}

#[test]
fn a_liveness_trace_keeps_its_fair_continuation_and_replays() {
    let (_, dir) = liveness();
    let file = dir.join("committed-eventually-visible.json");
    let trace = Trace::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let from = trace.continuation_from().expect("a liveness trace records where faults stop");
    assert_eq!(trace.path().len(), from);
    let continuation = trace.states.len() - 1 - from;
    assert!(continuation >= 400, "the whole continuation is kept: {continuation} steps");
    let replay = highwater(&["replay", file.to_str().unwrap()]);
    assert_eq!(code(&replay), 0, "{}{}", text(&replay.stdout), text(&replay.stderr));
    assert!(text(&replay.stdout).contains("model: conforms, VIOLATED as recorded"), "{}", text(&replay.stdout));
}

#[test]
fn every_message_a_step_moves_is_recorded_eager_deliveries_included() {
    let (_, dir) = safety();
    let trace = Trace::parse(&std::fs::read_to_string(dir.join("no-read-above-hw.json")).unwrap()).unwrap();
    let moved: usize = trace.states.iter().map(|s| s.messages.len()).sum();
    assert!(moved > trace.states.len(), "several messages move in some steps: {moved}");
    let several = trace.states.iter().any(|s| s.messages.len() > 1);
    assert!(several, "a step that fires a timer also carries the answers delivered at once");
    for state in &trace.states[1..] {
        if let Some(highwater_traces::Action::Deliver { from, to }) = &state.action {
            let first = state.messages.first().expect("a delivery moves a message");
            assert_eq!((first.from, first.to, first.fate), (*from, *to, Fate::Delivered));
        }
    }
}

#[test]
fn the_viewer_is_one_self_contained_file_with_the_same_bytes_for_the_same_traces() {
    let (_, dir) = safety();
    let (_, live) = liveness();
    let out = scratch("viewer");
    let files = [dir.join("no-read-above-hw.json"), live.join("committed-eventually-visible.json")];
    let html = |name: &str| {
        let page = out.join(name);
        let mut args = vec!["view".to_string()];
        args.extend(files.iter().map(|f| f.display().to_string()));
        args.extend(["--out".to_string(), page.display().to_string()]);
        let output = Command::new(env!("CARGO_BIN_EXE_highwater")).args(&args).output().unwrap();
        assert_eq!(code(&output), 0, "{}", text(&output.stderr));
        std::fs::read(&page).unwrap()
    };
    let (first, second) = (html("a.html"), html("b.html"));
    assert!(first == second, "the same traces give the same bytes");
    let page = text(&first);
    for external in ["<script src", "href=\"http", "src=\"http", "@import", "url(http", "fetch("] {
        assert!(!page.contains(external), "`{external}`: the page must load nothing");
    }
    assert!(page.contains("\"property\":\"no-read-above-hw\"") && page.contains("committed-eventually-visible"));
    assert!(!page.contains("</script><"), "a trace's text cannot close the data element early");
}

#[test]
fn view_refuses_a_bad_file_whole_naming_it() {
    let out = scratch("view-bad");
    let bad = out.join("bad.json");
    std::fs::write(&bad, "{\"#meta\": {\"format\": \"highwater-trace/2\"}, \"states\": [").unwrap();
    let page = out.join("page.html");
    let output = highwater(&["view", bad.to_str().unwrap(), "--out", page.to_str().unwrap()]);
    assert_eq!(code(&output), 2);
    assert!(text(&output.stderr).contains(bad.to_str().unwrap()), "{}", text(&output.stderr));
    assert!(!page.exists(), "nothing is written");
    assert!(std::fs::read_dir(&out).unwrap().count() == 1, "no partial file is left");
}

#[test]
fn explore_on_a_port_in_use_or_with_a_trace_and_flags_exits_2() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = highwater(&["explore", "--preset", "smoke", "--addr", &addr]);
    assert_eq!(code(&output), 2, "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("cannot listen there"), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("panicked"));
    let (_, dir) = safety();
    let file = dir.join("no-read-above-hw.json");
    let output = highwater(&["explore", "--trace", file.to_str().unwrap(), "--preset", "smoke", "--addr", &addr]);
    assert_eq!(code(&output), 2);
    assert!(text(&output.stderr).contains("--trace takes the configuration from the trace file"));
}

#[test]
fn bugs_verify_writes_one_viewer_for_its_counterexamples() {
    let out = scratch("bugs-html");
    let page = out.join("bugs.html");
    let output = highwater(&[
        "bugs",
        "--verify",
        "--bug",
        "follower-serves-leo",
        "--bug",
        "hw-stuck-after-shrink",
        "--out",
        out.to_str().unwrap(),
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(code(&output), 0, "{}{}", text(&output.stdout), text(&output.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("\"name\":\"follower-serves-leo.json\"")
            && html.contains("\"name\":\"hw-stuck-after-shrink.json\"")
    );
    assert!(html.contains("counterexamples of 2 seeded bugs"), "the title counts them");
}

#[test]
fn replay_html_sets_the_model_beside_the_implementation() {
    let out = scratch("replay-html");
    let page = out.join("side.html");
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/corpus/bugs/follower-serves-leo.json");
    let output = highwater(&["replay", trace.to_str().unwrap(), "--html", page.to_str().unwrap()]);
    assert_eq!(code(&output), 0, "{}{}", text(&output.stdout), text(&output.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    let data = &html[html.find("\"pairs\":[{").expect("one pair")..];
    assert!(data.contains("\"model\":{") && data.contains("\"implementation\":{"));
    assert!(data.contains("(protocol crate)"), "the implementation's side is named");
}
