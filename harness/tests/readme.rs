//! README.md's commands, run as a reader would run them: every `highwater ...` line of every
//! ```sh block, in order, from one scratch directory that has the repository's `traces/` and
//! `.ci/`, exits as the line says (`# exit N`, 0 when unsaid). A line marked
//! `# not run by the docs test` (a long run, or a server) is skipped, and so are `cargo` lines;
//! the README's test command is checked against `.ci/run` instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SKIP: &str = "# not run by the docs test";

struct Line {
    number: usize,
    text: String,
    args: Vec<String>,
    exit: i32,
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// The `highwater` lines of README's ```sh blocks.
fn commands(readme: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut in_sh = false;
    for (index, line) in readme.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            in_sh = !in_sh && info.trim() == "sh";
            continue;
        }
        let Some(rest) = line.strip_prefix("highwater ").filter(|_| in_sh) else { continue };
        if line.contains(SKIP) {
            continue;
        }
        let (command, comment) = rest.split_once('#').unwrap_or((rest, ""));
        let exit = match comment.trim().strip_prefix("exit ") {
            Some(code) => code.trim().parse().unwrap_or_else(|_| panic!("README.md:{}: bad `# exit`", index + 1)),
            None if comment.trim().is_empty() => 0,
            None => panic!("README.md:{}: a comment other than `# exit N` or `{SKIP}`", index + 1),
        };
        let args = command.split_whitespace().map(str::to_string).collect();
        lines.push(Line { number: index + 1, text: line.to_string(), args, exit });
    }
    lines
}

#[test]
fn every_readme_command_exits_as_the_readme_says() {
    let root = repository();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let lines = commands(&readme);
    assert!(lines.len() >= 10, "only {} commands found in README.md's sh blocks", lines.len());
    let scratch = std::env::temp_dir().join(format!("highwater-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    for shared in ["traces", ".ci"] {
        std::os::unix::fs::symlink(root.join(shared), scratch.join(shared)).unwrap();
    }
    let mut failures = Vec::new();
    for line in &lines {
        let mut child = Command::new(env!("CARGO_BIN_EXE_highwater"))
            .args(&line.args)
            .current_dir(&scratch)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(180);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        match status.and_then(|s| s.code()) {
            Some(code) if code == line.exit => {}
            other => failures.push(format!("README.md:{}: `{}` exited {other:?}", line.number, line.text)),
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_readme_test_command_is_what_ci_runs() {
    let root = repository();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(
        readme.contains("```sh\ncargo test --workspace --release\n```"),
        "README.md shows the test command on its own"
    );
    assert!(ci.lines().any(|l| l.trim() == "cargo test --workspace --release"), ".ci/run runs README's test command");
}

#[test]
fn the_reader_of_the_docs_test_understands_exit_comments() {
    let lines =
        commands("```sh\nhighwater a --b   # exit 3\nhighwater long   # not run by the docs test\n```\nhighwater c\n");
    assert_eq!(lines.len(), 1, "only the sh block's runnable line");
    assert_eq!((lines[0].args.clone(), lines[0].exit), (vec!["a".to_string(), "--b".to_string()], 3));
}
