//! `highwater bench` measures each checker in a process of its own and reports the Kip320
//! anchor's counts against TLC's.

use std::process::Command;

#[test]
fn bench_reports_both_checkers_and_the_tlc_anchor() {
    let out = Command::new(env!("CARGO_BIN_EXE_highwater"))
        .args(["bench", "--preset", "smoke", "--liveness", "off", "--format", "json"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.iter().map(|r| r["model"].as_str().unwrap()).collect::<Vec<_>>(), ["smoke", "kip320"]);
    for row in rows {
        let (ours, theirs) = (&row["highwater"], &row["stateright"]);
        assert_eq!(ours["complete"], true);
        assert_eq!(ours["unique_states"], theirs["unique_states"], "both checkers find the same states");
        assert!(ours["peak_rss_bytes"].as_u64().unwrap() > 0);
        assert!(row["speedup"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(rows[0]["highwater"]["unique_states"], 37_366);
    assert_eq!(report["tlc"]["counts_match"], true);
    assert_eq!(rows[1]["highwater"]["unique_states"], 737_794);
    assert_eq!(rows[1]["highwater"]["generated"], 1_967_560);
}

#[test]
fn bench_refuses_an_unknown_preset() {
    let out = Command::new(env!("CARGO_BIN_EXE_highwater")).args(["bench", "--preset", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--preset nope: no such preset"));
}
