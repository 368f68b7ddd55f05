//! Every trace in `traces/corpus/` still replays through the model: each step is one the model
//! offers, each view is as recorded, and the last state shows the recorded verdict. A model
//! change that alters any of them fails here, with the step and field.

use std::path::{Path, PathBuf};

use highwater::ops::replay::{replay_model, ModelReplay};

fn corpus_files() -> Vec<PathBuf> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "the corpus is missing: {files:?}");
    files
}

#[test]
fn every_corpus_trace_replays_through_the_model() {
    for file in corpus_files() {
        let replayed = replay_model(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(replayed.model, ModelReplay::Conforms), "{}: {:?}", file.display(), replayed.model);
    }
}

/// The protocol crate follows every corpus trace step for step, and no safety property fails
/// on its views.
#[test]
fn every_corpus_trace_conforms_on_the_protocol_crate() {
    for file in corpus_files() {
        let replayed = replay_model(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(replayed.implementation.result, highwater::ops::replay::ImplementationResult::Conforms),
            "{}: {:?}",
            file.display(),
            replayed.implementation.result
        );
        assert!(
            replayed.implementation.violated.is_empty(),
            "{}: {:?}",
            file.display(),
            replayed.implementation.violated
        );
    }
}

/// `traces/corpus/bugs/`: one minimised counterexample per seeded bug the model carries. Each
/// still ends in its violation on the model, reproduces it on the protocol crate with the bug,
/// and violates nothing on the fixed protocol crate.
#[test]
fn every_bug_counterexample_reproduces_with_its_bug_and_not_without() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/corpus/bugs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    for file in files {
        let replayed = replay_model(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(replayed.model, ModelReplay::Conforms), "{}: {:?}", file.display(), replayed.model);
        assert_eq!(replayed.verdict, "VIOLATED");
        let property = replayed.property.as_str();
        assert!(
            replayed.implementation.violated.iter().any(|(name, _)| *name == property),
            "{}: the protocol crate with the bug does not violate {property}: {:?}",
            file.display(),
            replayed.implementation
        );
        let (trace, cfg) = highwater::tracefile::load(&file).unwrap();
        let fixed = highwater::ops::replay::replay_implementation_with(&cfg, &trace, highwater_protocol::Bugs::NONE);
        assert!(
            fixed.violated.is_empty(),
            "{}: the fixed protocol crate violates {:?}",
            file.display(),
            fixed.violated
        );
    }
}
