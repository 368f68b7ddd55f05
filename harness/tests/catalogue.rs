//! The one bug catalogue (`highwater_traces::catalogue`) and every table that shows it agree:
//! the protocol crate's `Bug` table, the model's bugs, `docs/bugs.md` and `highwater bugs`.

use std::process::Command;

use highwater_model::ModelBug;
use highwater_protocol::Bug;
use highwater_traces::catalogue::{markdown_table, BUGS};

#[test]
fn the_protocol_crate_and_the_model_carry_exactly_the_catalogue_s_bugs() {
    let mut protocol: Vec<(&str, &str)> = Bug::ALL.iter().map(|b| (b.id(), b.source())).collect();
    let mut catalogue: Vec<(&str, &str)> = BUGS.iter().map(|b| (b.id, b.source)).collect();
    protocol.sort_unstable();
    catalogue.sort_unstable();
    assert_eq!(protocol, catalogue, "protocol/src/bugs.rs and traces/src/catalogue.rs disagree on ids or sources");
    for entry in BUGS {
        let bug = ModelBug::from_id(entry.id).unwrap_or_else(|| panic!("{}: not a model bug", entry.id));
        assert_eq!(bug.entry(), entry);
        assert!(
            highwater_properties::by_name(entry.property).is_some(),
            "{}: {} is not a property of the suite",
            entry.id,
            entry.property
        );
        assert!(highwater_model::preset(entry.preset).is_some(), "{}: no preset {}", entry.id, entry.preset);
    }
}

#[test]
fn docs_bugs_md_carries_the_catalogue_table() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/bugs.md")).unwrap();
    let (begin, end) = ("<!-- bug-table:begin -->\n", "<!-- bug-table:end -->");
    let from = docs.find(begin).expect("docs/bugs.md has the table's begin marker") + begin.len();
    let to = docs.find(end).expect("docs/bugs.md has the table's end marker");
    assert_eq!(
        &docs[from..to],
        markdown_table(),
        "docs/bugs.md is out of step with the catalogue: paste `highwater bugs --format markdown` between the markers"
    );
}

#[test]
fn highwater_bugs_prints_the_catalogue() {
    let out = Command::new(env!("CARGO_BIN_EXE_highwater")).arg("bugs").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for b in BUGS {
        let line = format!("{} ({})", b.id, b.source);
        assert!(text.contains(&line), "missing {line:?} in:\n{text}");
        let caught = format!(
            "caught by {} on {} under {} semantics, searched {}",
            b.property,
            b.preset,
            b.semantics.name(),
            b.search.name()
        );
        assert!(text.contains(&caught), "missing {caught:?} in:\n{text}");
    }
    let markdown =
        Command::new(env!("CARGO_BIN_EXE_highwater")).args(["bugs", "--format", "markdown"]).output().unwrap();
    assert_eq!(String::from_utf8(markdown.stdout).unwrap(), markdown_table());
}
