//! The oracle `cargo mutants` runs on the protocol crate (docs/mutants.md): the checks of the
//! default `highwater ci` that run the protocol crate, stopping at the first failure. Those are
//! the corpus (every seeded bug's counterexample among it, replayed with its bug and without)
//! and conformance on every preset with the implementation's liveness; the default suite's
//! other checks (`smoke` exhausted, each bug's search) explore the model alone, so a mutant of
//! the protocol crate that survives this survives the whole default suite too.
//!
//! Ignored in `cargo test`: it takes about a minute in a release build. Run it with
//! `cargo test --release -p highwater --test mutation_oracle -- --ignored`.

use highwater::ops::gate::{run_suite, Suite};

#[test]
#[ignore = "the mutation oracle: about a minute in a release build"]
fn the_default_gates_protocol_checks_pass() {
    let suite = Suite { check: Vec::new(), bugs: None, ..Suite::default_suite() };
    let out = std::env::temp_dir().join(format!("highwater-mutation-oracle-{}", std::process::id()));
    let results = run_suite(&suite, &out, true, 2);
    let _ = std::fs::remove_dir_all(&out);
    let failed: Vec<String> =
        results.iter().filter(|r| !r.passed && !r.skipped).map(|r| format!("{}: {}", r.name, r.detail)).collect();
    assert!(!results.is_empty(), "the oracle ran no check");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
