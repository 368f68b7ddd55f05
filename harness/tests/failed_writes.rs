//! A file that cannot be written costs that file, never the report of the run that made it:
//! every command that writes prints its report first, then names the file it could not write,
//! and exits 2. Each test puts a directory where a file would go, which no rename can replace,
//! whoever runs the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn highwater(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_highwater")).args(args).output().expect("the binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("failed-writes-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A directory where `file` would be written.
fn in_the_way(file: &Path) -> &Path {
    std::fs::create_dir_all(file).unwrap();
    file
}

/// Exit 2, the report on stdout containing every one of `report`, the file named on stderr.
fn assert_report_kept(run: &Output, report: &[&str], file: &Path) {
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert_eq!(run.status.code(), Some(2), "stdout: {stdout}\nstderr: {stderr}");
    for part in report {
        assert!(stdout.contains(part), "the report keeps `{part}`: {stdout}");
    }
    assert!(stderr.contains(&format!("{}: cannot write", file.display())), "the file is named: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(file.is_dir(), "the directory in the way is left as it was");
}

#[test]
fn check_keeps_its_report() {
    let out = scratch("check");
    let file = in_the_way(&out.join("no-read-above-hw.json")).to_path_buf();
    let run =
        highwater(&["check", "--preset", "smoke", "--bug", "follower-serves-leo", "--out", out.to_str().unwrap()]);
    assert_report_kept(&run, &["VIOLATED", "counterexample for no-read-above-hw"], &file);
}

#[test]
fn bugs_verify_keeps_its_verdicts() {
    let out = scratch("bugs");
    let file = in_the_way(&out.join("follower-serves-leo.json")).to_path_buf();
    let run = highwater(&["bugs", "--verify", "--bug", "follower-serves-leo", "--out", out.to_str().unwrap()]);
    // Caught stays caught: the replays ran on the trace in memory.
    assert_report_kept(&run, &["follower-serves-leo", "yes", "violated / clean", "caught 1/1"], &file);
}

#[test]
fn conform_keeps_its_divergence() {
    let out = scratch("conform");
    let file = in_the_way(&out.join("conform-divergence.json")).to_path_buf();
    let run = highwater(&[
        "conform",
        "--preset",
        "smoke",
        "--protocol-bug",
        "follower-serves-leo",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_report_kept(&run, &["diverged at step", "(not written)"], &file);
}

#[test]
fn ci_keeps_its_results_when_a_summary_or_a_divergence_cannot_be_written() {
    let dir = scratch("ci");
    let suite = dir.join("suite.toml");
    std::fs::write(
        &suite,
        "protocol_bugs = [\"follower-serves-leo\"]\n\n[[conform]]\npreset = \"smoke\"\nsamples = 50\nseed = 1\n",
    )
    .unwrap();
    let out = dir.join("out");
    let divergence = in_the_way(&out.join("conform-smoke-1/conform-divergence.json")).to_path_buf();
    let run = highwater(&["ci", "--suite", suite.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_report_kept(&run, &["FAIL", "conform smoke", "0 of 1 checks passed"], &divergence);

    let json = in_the_way(&dir.join("summary.json")).to_path_buf();
    let clean = dir.join("clean.toml");
    std::fs::write(&clean, "[[conform]]\npreset = \"smoke\"\nsamples = 5\nseed = 1\n").unwrap();
    let run = highwater(&[
        "ci",
        "--suite",
        clean.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_report_kept(&run, &["ok", "1 of 1 checks passed"], &json);
}

#[test]
fn availability_keeps_its_matrix() {
    let out = scratch("availability");
    let file = in_the_way(&out.join("availability.txt")).to_path_buf();
    let run = highwater(&[
        "availability",
        "--scenario",
        "beside-leader/brokers-a",
        "--semantics",
        "apache",
        "--no-curves",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_report_kept(&run, &["beside-leader/brokers-a", "Answer:"], &file);
    assert!(!out.join("availability.json").exists(), "no file after the failed one is half-made");
}
