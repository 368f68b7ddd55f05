//! An interrupted run keeps its work: SIGINT or SIGTERM stops `check`, `bugs --verify`, `ci`,
//! `conform` and `availability`, and the report still prints, with what was done so far and why
//! the run stopped; it is inconclusive (exit 3), never a pass.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("interrupts-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `highwater args`, send `signal` after two seconds, and return the exit code and stdout.
fn interrupted(args: &[&str], signal: libc::c_int) -> (Option<i32>, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_highwater"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: `kill` with the child's own pid and a standard signal has no memory effects.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "the signal was sent");
    let out = child.wait_with_output().expect("the child ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn sigint_and_sigterm_stop_check_with_its_report_and_exit_3() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let (code, stdout) = interrupted(&["check", "--preset", "default", "--liveness", "off"], signal);
        assert_eq!(code, Some(3), "signal {signal}: {stdout}");
        assert!(stdout.contains("highwater check: preset default"), "the header: {stdout}");
        assert!(stdout.contains("stopped by an interrupt (SIGINT or SIGTERM)"), "why it stopped: {stdout}");
        assert!(stdout.contains("no-read-above-hw"), "the verdicts so far: {stdout}");
        assert!(stdout.contains("unknown"), "unfinished verdicts are unknown, not passes: {stdout}");
    }
}

#[test]
fn an_interrupted_bugs_verify_lists_what_it_did_not_finish() {
    let out = scratch("bugs");
    let (code, stdout) = interrupted(&["bugs", "--verify", "--out", out.to_str().unwrap()], libc::SIGINT);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("replay (with bug / fixed)"), "the table: {stdout}");
    assert!(stdout.contains("not run"), "the bugs not verified are listed: {stdout}");
    assert!(stdout.contains("stopped by an interrupt (SIGINT or SIGTERM): inconclusive"), "{stdout}");
    assert!(!stdout.contains(" NO "), "an interrupted search is not a missed bug: {stdout}");
}

#[test]
fn an_interrupted_ci_reports_every_check_and_writes_its_summaries() {
    let dir = scratch("ci");
    let (out, json) = (dir.join("out"), dir.join("summary.json"));
    let args = ["ci", "--out", out.to_str().unwrap(), "--json", json.to_str().unwrap()];
    let (code, stdout) = interrupted(&args, libc::SIGTERM);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("stop "), "checks cut short or not run are marked: {stdout}");
    assert!(stdout.contains("not run: an interrupt (SIGINT or SIGTERM) stopped the gate"), "{stdout}");
    assert!(stdout.contains("inconclusive"), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(summary["exit_code"], 3, "{summary}");
    assert_eq!(summary["passed"], false, "{summary}");
    assert_eq!(summary["stopped_by"], "an interrupt (SIGINT or SIGTERM)", "{summary}");
}

#[test]
fn an_interrupted_conform_counts_the_walks_it_replayed() {
    let out = scratch("conform");
    let args = ["conform", "--preset", "large", "--samples", "1000000", "--out", out.to_str().unwrap()];
    let (code, stdout) = interrupted(&args, libc::SIGINT);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("conform: preset large"), "the statistics so far: {stdout}");
    assert!(stdout.contains("of 1000000 walks: inconclusive"), "{stdout}");
    assert!(!stdout.contains("every walk conforms\n"), "a partial sample is no pass: {stdout}");
}

#[test]
fn an_interrupted_availability_prints_the_rows_it_finished() {
    let out = scratch("availability");
    let (code, stdout) = interrupted(&["availability", "--out", out.to_str().unwrap()], libc::SIGINT);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("highwater availability:"), "the header: {stdout}");
    assert!(stdout.contains("scenario runs: inconclusive"), "{stdout}");
    let json = std::fs::read_to_string(out.join("availability.json")).unwrap();
    assert!(json.contains("\"stopped_by\": \"an interrupt (SIGINT or SIGTERM) after"), "{json}");
}
