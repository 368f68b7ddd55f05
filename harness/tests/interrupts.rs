//! An interrupted `check` keeps its work: SIGINT or SIGTERM stops the search, and the report
//! still prints, with the configuration, the statistics so far, every verdict so far and why the
//! run stopped; it is inconclusive (exit 3).

use std::process::{Command, Stdio};
use std::time::Duration;

fn interrupted_check(signal: libc::c_int) -> (Option<i32>, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_highwater"))
        .args(["check", "--preset", "default", "--liveness", "off"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: `kill` with the child's own pid and a standard signal has no memory effects.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "the signal was sent");
    let out = child.wait_with_output().expect("the child ends");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn sigint_and_sigterm_stop_check_with_its_report_and_exit_3() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let (code, stdout) = interrupted_check(signal);
        assert_eq!(code, Some(3), "signal {signal}: {stdout}");
        assert!(stdout.contains("highwater check: preset default"), "the header: {stdout}");
        assert!(stdout.contains("stopped by an interrupt (SIGINT or SIGTERM)"), "why it stopped: {stdout}");
        assert!(stdout.contains("no-read-above-hw"), "the verdicts so far: {stdout}");
        assert!(stdout.contains("unknown"), "unfinished verdicts are unknown, not passes: {stdout}");
    }
}
