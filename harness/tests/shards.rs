//! A search split with `check --shard I/N` and combined with `merge` gives the single run's
//! verdicts and distinct-state count, keeps every part's counterexample, and is complete only
//! when every part is there and complete. Reports that are not parts of one search are refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::report::verdicts;

fn highwater(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_highwater")).args(args).output().expect("the binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("highwater-shards-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Run every part of an `n`-way split into `dir/<i>`; the reports' paths.
fn split(dir: &Path, n: u64, extra: &[&str]) -> Vec<String> {
    (0..n)
        .map(|i| {
            let out_dir = dir.join(i.to_string());
            let shard = format!("{i}/{n}");
            let mut args = vec!["check", "--preset", "smoke", "--format", "json", "--shard", &shard];
            let out_text = out_dir.to_str().unwrap().to_string();
            args.extend(["--out", &out_text]);
            args.extend(extra);
            let out = highwater(&args);
            assert!(matches!(out.status.code(), Some(0 | 1 | 4)), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            out_dir.join(format!("shard-{i}-of-{n}.json")).to_str().unwrap().to_string()
        })
        .collect()
}

fn merge(reports: &[String]) -> Output {
    let mut args = vec!["merge", "--format", "json"];
    args.extend(reports.iter().map(String::as_str));
    highwater(&args)
}

#[test]
fn merged_parts_equal_the_single_run() {
    let dir = scratch("equal");
    let single = highwater(&["check", "--preset", "smoke", "--format", "json"]);
    assert_eq!(single.status.code(), Some(0));
    let single = json(&single);
    let reports = split(&dir, 3, &[]);
    let part: Value = serde_json::from_str(&std::fs::read_to_string(&reports[1]).unwrap()).unwrap();
    assert!(part["split_level"].as_u64().is_some(), "smoke is wide enough to split");
    assert!(part["unique_states"].as_u64() < single["unique_states"].as_u64(), "a part explores a part");
    let merged = merge(&reports);
    assert_eq!(merged.status.code(), Some(0), "{}", String::from_utf8_lossy(&merged.stderr));
    let merged = json(&merged);
    assert_eq!(merged["complete"], true);
    assert_eq!(merged["unique_states"], single["unique_states"]);
    assert_eq!(verdicts(&merged), verdicts(&single));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merged_parts_keep_every_counterexample() {
    let dir = scratch("bug");
    let bug = ["--bug", "follower-serves-leo", "--liveness", "off"];
    let single = highwater(&[
        "check",
        "--preset",
        "smoke",
        "--format",
        "json",
        "--bug",
        "follower-serves-leo",
        "--liveness",
        "off",
    ]);
    assert_eq!(single.status.code(), Some(1));
    let single = json(&single);
    let reports = split(&dir, 2, &bug);
    let merged = merge(&reports);
    assert_eq!(merged.status.code(), Some(1));
    let merged = json(&merged);
    assert_eq!(merged["unique_states"], single["unique_states"]);
    assert_eq!(verdicts(&merged), verdicts(&single));
    let violated: Vec<&Value> =
        merged["properties"].as_array().unwrap().iter().filter(|p| p["status"] == "VIOLATED").collect();
    assert!(!violated.is_empty());
    for property in violated {
        let found_by = property["found_by"].as_array().unwrap();
        // Each part whose report shows a counterexample for the property is kept.
        let parts_with_one = reports
            .iter()
            .filter(|r| {
                let report: Value = serde_json::from_str(&std::fs::read_to_string(r).unwrap()).unwrap();
                report["properties"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == property["name"] && p["path"].is_array())
            })
            .count();
        assert_eq!(found_by.len(), parts_with_one, "{}", property["name"]);
        assert!(found_by.iter().all(|f| !f["path"].as_array().unwrap().is_empty()));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_part_leaves_the_merge_incomplete() {
    let dir = scratch("missing");
    let reports = split(&dir, 3, &["--liveness", "off"]);
    let merged = merge(&reports[..2]);
    assert_eq!(merged.status.code(), Some(3), "{}", String::from_utf8_lossy(&merged.stderr));
    let merged = json(&merged);
    assert_eq!(merged["complete"], false);
    assert_eq!(merged["missing"], serde_json::json!([2]));
    assert!(verdicts(&merged).iter().all(|(_, s)| ["unknown", "reached", "not checked"].contains(&s.as_str())));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reports_that_are_not_parts_of_one_search_are_refused() {
    let dir = scratch("refused");
    let reports = split(&dir, 2, &["--liveness", "off"]);
    let other = split(&dir.join("other"), 2, &["--liveness", "off", "--crashes", "0"]);
    let refuse = |files: &[&str], expected: &str| {
        let mut args = vec!["merge"];
        args.extend(files);
        let out = highwater(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"));
    };
    refuse(&[&reports[0], &other[1]], "not parts of one search");
    refuse(&[&reports[0], &reports[0]], "both are part 0/2");
    let not_json = dir.join("not.json");
    std::fs::write(&not_json, "{").unwrap();
    refuse(&[not_json.to_str().unwrap()], "not JSON");
    let plain = dir.join("plain.json");
    let out = highwater(&["check", "--preset", "outage-link", "--format", "json"]);
    std::fs::write(&plain, &out.stdout).unwrap();
    refuse(&[plain.to_str().unwrap()], "`search.shard` is missing");
    let states = Path::new(&reports[1]).with_extension("states");
    std::fs::write(&states, b"HWSTATE1\x05\0\0\0\0\0\0\0short").unwrap();
    refuse(&[&reports[0], &reports[1]], "the header promises 5 fingerprints");
    refuse(&[dir.join("absent.json").to_str().unwrap()], "cannot read");
    // A part run by a build that fingerprints states differently would split them differently.
    let fresh = split(&dir.join("fresh"), 2, &["--liveness", "off"]);
    let mut report: Value = serde_json::from_str(&std::fs::read_to_string(&fresh[1]).unwrap()).unwrap();
    report["fingerprint_probe"] = serde_json::json!(12345);
    std::fs::write(&fresh[1], report.to_string()).unwrap();
    refuse(&[&fresh[0], &fresh[1]], "fingerprint states differently");
    // Fingerprints that are not the part's own.
    let fresh = split(&dir.join("swapped"), 2, &["--liveness", "off"]);
    let (first, second) =
        (Path::new(&fresh[0]).with_extension("states"), Path::new(&fresh[1]).with_extension("states"));
    std::fs::copy(&first, &second).unwrap();
    refuse(&[&fresh[0], &fresh[1]], "unique states");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_swarm_of_random_walks_merges_but_never_passes() {
    let dir = scratch("swarm");
    let reports: Vec<String> = (0..2)
        .map(|i| {
            let out_dir = dir.join(i.to_string());
            let shard = format!("{i}/2");
            let args = ["check", "--preset", "smoke", "--checker", "simulation", "--max-states", "2000", "--seed", "4"];
            let out = highwater(&[&args[..], &["--shard", &shard, "--out", out_dir.to_str().unwrap()]].concat());
            assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
            out_dir.join(format!("shard-{i}-of-2.json")).to_str().unwrap().to_string()
        })
        .collect();
    let seeds: Vec<u64> = reports
        .iter()
        .map(|r| {
            let report: Value = serde_json::from_str(&std::fs::read_to_string(r).unwrap()).unwrap();
            report["search"]["seed"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(seeds, [4, 5], "part I walks from --seed + I");
    let merged = merge(&reports);
    assert_eq!(merged.status.code(), Some(3), "{}", String::from_utf8_lossy(&merged.stderr));
    assert_eq!(json(&merged)["complete"], false);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_shard_needs_somewhere_to_write_and_a_search_that_splits() {
    let out = highwater(&["check", "--preset", "smoke", "--shard", "0/2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out"));
    let dir = scratch("dfs");
    let out = highwater(&[
        "check",
        "--preset",
        "smoke",
        "--shard",
        "0/2",
        "--checker",
        "dfs",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`dfs` cannot be split"));
    for bad in ["2/2", "x/2", "1"] {
        let out = highwater(&["check", "--preset", "smoke", "--shard", bad, "--out", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
