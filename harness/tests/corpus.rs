//! Every trace in `traces/corpus/` still replays through the model: each step is one the model
//! offers, each view is as recorded, and the last state shows the recorded verdict. A model
//! change that alters any of them fails here, with the step and field.

use std::path::Path;

use highwater::cli::replay::{replay_model, ModelReplay};

#[test]
fn every_corpus_trace_replays_through_the_model() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "the corpus is missing: {files:?}");
    for file in files {
        let replayed = replay_model(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(replayed.model, ModelReplay::Conforms), "{}: {:?}", file.display(), replayed.model);
    }
}

/// The corpus traces the protocol crate follows step for step today. The others diverge (see
/// `highwater replay traces/corpus/*.json`); each one that is made to conform joins this list.
#[test]
fn corpus_traces_that_conform_on_the_protocol_crate_keep_conforming() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/corpus");
    for name in ["leader-changed-on-crash.json", "rack-cut-under-a-consumer.json"] {
        let replayed = replay_model(&corpus.join(name)).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(replayed.implementation.result, highwater::cli::replay::ImplementationResult::Conforms),
            "{name}: {:?}",
            replayed.implementation.result
        );
        assert!(replayed.implementation.violated.is_empty(), "{name}: {:?}", replayed.implementation.violated);
    }
}
