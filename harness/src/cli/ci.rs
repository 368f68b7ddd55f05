//! `highwater ci`: the gate. It runs a suite of checks (exhaustive model checks, seeded bugs
//! caught and replayed, corpus replay, conformance samples) and writes one JUnit test case per
//! check, a JSON summary and a Markdown summary. It exits 0 only when every check passed and
//! every run was complete.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;

use crate::exit_codes;
use crate::ops::gate::{run_suite, CheckResult, Suite};

/// `highwater ci` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct CiOpts {
    /// The suite (TOML; see CI.md). Without it, the default suite.
    #[arg(long, value_name = "FILE")]
    pub suite: Option<PathBuf>,
    /// Write a JUnit XML report here (one test case per check).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write a JSON summary here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write a Markdown summary here (for a pull-request comment or a job summary).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Write the trace viewer for every trace the gate produced (seeded bugs' counterexamples,
    /// failures, divergences) here: one HTML file with an index (see `highwater view`).
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Where counterexamples and divergences are written.
    #[arg(long, value_name = "DIR", default_value = "highwater-ci")]
    pub out: PathBuf,
    /// Stop at the first failed check; the checks after it are reported as not run (`skip`).
    #[arg(long)]
    pub fail_fast: bool,
    /// Checks run side by side (default: every core). Each model check uses every core on its
    /// own; the seeded bugs' searches, the replays and the conformance samples use one each. The
    /// verdicts and the reports' order do not depend on it.
    #[arg(long, default_value_t = super::cores(), value_parser = super::at_least_one)]
    pub threads: usize,
}

/// Run `ci`.
pub fn exec(opts: CiOpts) -> u8 {
    let suite = match &opts.suite {
        None => Suite::default_suite(),
        Some(file) => match Suite::load(file) {
            Ok(suite) => suite,
            Err(error) => {
                eprintln!("error: {error}");
                return exit_codes::USAGE;
            }
        },
    };
    if let Err(error) = std::fs::create_dir_all(&opts.out) {
        eprintln!("error: --out {}: cannot create the directory: {error}", opts.out.display());
        return exit_codes::USAGE;
    }
    crate::interrupt::install();
    let start = Instant::now();
    let results = run_suite(&suite, &opts.out, opts.fail_fast, opts.threads);
    let elapsed = start.elapsed().as_secs_f64();
    let failed = results.iter().filter(|r| !r.passed).count();
    let stopped = results.iter().filter(|r| r.interrupted).count();
    let skipped = results.iter().filter(|r| r.skipped).count();
    let code = match (failed - stopped - skipped, stopped) {
        (0, 0) => exit_codes::OK,
        (0, _) => exit_codes::INCONCLUSIVE,
        _ => exit_codes::VIOLATED,
    };

    for r in &results {
        println!("{:<5} {:<8} {:<70} {:>7.2} s  {}", label(r), r.kind, r.name, r.seconds, r.detail);
        if let (false, Some(trace)) = (r.passed, &r.trace) {
            println!("      trace: {trace}");
        }
    }
    println!("highwater ci: {} of {} checks passed in {elapsed:.1} s", results.len() - failed, results.len());
    if stopped > 0 {
        println!("stopped by {}: {stopped} check(s) unfinished or not run; inconclusive", crate::interrupt::STOPPED_BY);
    }
    let mut code = code;
    // The report is out before the errors: a file that cannot be written costs the file only.
    for error in results.iter().filter_map(|r| r.unwritten.as_deref()) {
        eprintln!("error: {error}");
        code = exit_codes::USAGE;
    }
    if let Some(html) = &opts.html {
        let files: Vec<&str> = results.iter().filter_map(|r| r.trace.as_deref()).collect();
        let title = format!("highwater ci: {}", crate::tracefile::plural(files.len(), "trace"));
        match crate::viewer::write_run_report(&files, html, &title, "trace") {
            Ok(line) => println!("{line}"),
            Err(error) => {
                eprintln!("error: {error}");
                code = exit_codes::USAGE;
            }
        }
    }

    let writes = [
        (opts.junit.as_ref(), junit(&results, elapsed)),
        (
            opts.json.as_ref(),
            json!({
                "passed": failed == 0,
                "checks": results,
                "elapsed_s": elapsed,
                "stopped_by": (stopped > 0).then_some(crate::interrupt::STOPPED_BY),
                "exit_code": code,
            })
            .to_string(),
        ),
        (opts.markdown.as_ref(), markdown(&results, elapsed, opts.html.as_deref())),
    ];
    for (path, text) in writes {
        if let Some(path) = path {
            if let Err(error) = crate::tracefile::write_whole(path, &text) {
                eprintln!("error: {}: cannot write: {error}", path.display());
                return exit_codes::USAGE;
            }
        }
    }
    code
}

fn label(r: &CheckResult) -> &'static str {
    match (r.passed, r.interrupted, r.skipped) {
        (true, _, _) => "ok",
        (false, true, _) => "stop",
        (false, false, true) => "skip",
        (false, false, false) => "FAIL",
    }
}

/// One JUnit test suite per kind of check, one test case per check.
fn junit(results: &[CheckResult], elapsed: f64) -> String {
    let mut report = Report::new("highwater ci");
    report.set_time(Duration::from_secs_f64(elapsed));
    for kind in ["check", "bug", "replay", "conform"] {
        let cases: Vec<TestCase> = results
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| {
                let status = if r.passed {
                    TestCaseStatus::success()
                } else if r.interrupted || r.skipped {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(r.detail.clone());
                    status
                } else {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status.set_message(r.detail.clone());
                    if let Some(trace) = &r.trace {
                        status.set_description(format!("trace: {trace}\nreproduce: highwater replay {trace}"));
                    }
                    status
                };
                let mut case = TestCase::new(r.name.clone(), status);
                case.set_classname(format!("highwater.{kind}"));
                case.set_time(Duration::from_secs_f64(r.seconds));
                case
            })
            .collect();
        if !cases.is_empty() {
            let mut suite = TestSuite::new(kind);
            suite.add_test_cases(cases);
            report.add_test_suite(suite);
        }
    }
    report.to_string().expect("a report serialises")
}

fn markdown(results: &[CheckResult], elapsed: f64, html: Option<&std::path::Path>) -> String {
    let failed = results.iter().filter(|r| !r.passed).count();
    let mut out = format!(
        "## highwater ci: {}\n\n{} of {} checks passed in {elapsed:.1} s.\n\n| | check | seconds | detail |\n|---|---|---|---|\n",
        match (failed, results.iter().filter(|r| r.interrupted).count()) {
            (0, _) => "passed",
            (f, s) if f == s => "INCONCLUSIVE (interrupted)",
            _ => "FAILED",
        },
        results.len() - failed,
        results.len()
    );
    for r in results {
        let detail = match &r.trace {
            Some(trace) if !r.passed => format!("{} (trace: `{trace}`)", r.detail),
            _ => r.detail.clone(),
        };
        out.push_str(&format!(
            "| {} | {} | {:.2} | {} |\n",
            match (r.passed, r.interrupted || r.skipped) {
                (true, _) => "✅",
                (false, true) => "⏹️",
                (false, false) => "❌",
            },
            r.name,
            r.seconds,
            detail.replace('|', "\\|")
        ));
    }
    if let Some(html) = html {
        let name = html.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        out.push_str(&format!(
            "\nEvery trace of this run, step by step in the browser: [{name}]({name}) (in the job's artifact: download it and open the file; it makes no network request).\n"
        ));
    }
    out
}
