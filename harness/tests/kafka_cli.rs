//! `highwater kafka`'s answers to bad input: exit 2, a message naming what was wrong, and
//! nothing started or written. The real cluster itself runs in `.ci/run` (it needs root, Java
//! and Maven); its histories' judge is tested in `kafka/tests/`.

use std::process::Command;

fn highwater(args: &[&str], dir: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_highwater")).args(args).current_dir(dir).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "highwater-kafka-cli-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn an_unknown_scenario_is_refused_with_the_names_of_all() {
    let dir = scratch();
    let (code, stderr) = highwater(&["kafka", "run", "--scenario", "rack-z"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`rack-z`") && stderr.contains("follower-fetch") && stderr.contains("one-way-b-a"),
        "{stderr}"
    );
    assert!(!dir.join("highwater-kafka").exists(), "nothing is made for a refused run");
}

#[test]
fn a_run_without_a_scenario_says_how_to_name_one() {
    let (code, stderr) = highwater(&["kafka", "run"], &scratch());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--scenario NAME or --all"), "{stderr}");
}

#[test]
fn a_classpath_that_does_not_exist_is_refused_by_name() {
    let dir = scratch();
    let (code, stderr) = highwater(&["kafka", "run", "--all", "--classpath", "/no/such/kafka.jar"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("/no/such/kafka.jar") && stderr.contains("does not exist"), "{stderr}");
    assert!(!dir.join("highwater-kafka").exists());
}

#[test]
fn a_version_that_is_not_a_release_number_is_refused() {
    let (code, stderr) = highwater(&["kafka", "up", "--kafka-version", "4.4.0;rm"], &scratch());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--kafka-version `4.4.0;rm`"), "{stderr}");
}

#[test]
fn list_names_every_scenario() {
    let out = Command::new(env!("CARGO_BIN_EXE_highwater")).args(["kafka", "run", "--list"]).output().unwrap();
    assert!(out.status.success());
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    let expected = highwater_kafka::scenario::all().into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(names, expected);
    assert_eq!(names.len(), 9);
}
