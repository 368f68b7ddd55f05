//! Embeds the regression corpus (`traces/corpus/`, `traces/corpus/bugs/`) in the binary, so
//! that the default suite of `highwater ci` replays it from any directory and on any fork.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/corpus");
    let mut entries = Vec::new();
    for (dir, prefix) in [(root.clone(), ""), (root.join("bugs"), "bugs/")] {
        println!("cargo:rerun-if-changed={}", dir.display());
        let Ok(read) = std::fs::read_dir(&dir) else { continue };
        for entry in read.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = format!("{prefix}{}", path.file_name().unwrap_or_default().to_string_lossy());
                println!("cargo:rerun-if-changed={}", path.display());
                entries.push((name, path.canonicalize().unwrap_or(path)));
            }
        }
    }
    entries.sort();
    let mut code = String::from(
        "/// The regression corpus, by path under `traces/corpus/`.\npub const CORPUS: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &entries {
        let _ = writeln!(code, "    ({name:?}, include_str!({:?})),", path.display().to_string());
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("corpus.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
