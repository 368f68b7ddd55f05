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
