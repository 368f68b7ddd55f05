//! `highwater merge`: one verdict from the reports of a search split with `check --shard I/N`.
//!
//! The verdict is complete only if every part 0..N-1 is there and completed. A safety or
//! liveness property is violated if any part violated it (every part's counterexample is kept),
//! and holds only if it held in every part of a complete search; a coverage predicate is
//! reached if any part reached it. A breadth-first split explores some states in more than one
//! part, so the distinct states are counted as the union of the parts' fingerprints
//! (`shard-I-of-N.states`, beside each report), which equals a single run's count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::exit_codes;
use crate::run::Status;

/// The first bytes of a fingerprint file, then the count as a little-endian u64, then the
/// fingerprints, sorted, each a little-endian u64.
const STATES_MAGIC: &[u8; 8] = b"HWSTATE1";

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// One JSON object for machines.
    Json,
}

/// `highwater merge` flags.
#[derive(Clone, Debug, clap::Args)]
pub struct MergeOpts {
    /// The parts' reports (`shard-I-of-N.json`, written by `check --shard I/N --out DIR`).
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// `text` or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// The file names of part `shard`'s report and fingerprints.
fn shard_files(dir: &Path, shard: highwater_checker::Shard) -> (PathBuf, PathBuf) {
    let stem = format!("shard-{}-of-{}", shard.index, shard.count);
    (dir.join(format!("{stem}.json")), dir.join(format!("{stem}.states")))
}

/// Write a part's report and, for a breadth-first part, its fingerprints, each whole.
pub fn write_shard(
    dir: &Path,
    shard: highwater_checker::Shard,
    report: &str,
    fingerprints: Option<&[u64]>,
) -> Result<(), String> {
    let (report_file, states_file) = shard_files(dir, shard);
    if let Some(fingerprints) = fingerprints {
        let mut bytes = Vec::with_capacity(16 + 8 * fingerprints.len());
        bytes.extend_from_slice(STATES_MAGIC);
        bytes.extend_from_slice(&(fingerprints.len() as u64).to_le_bytes());
        for f in fingerprints {
            bytes.extend_from_slice(&f.to_le_bytes());
        }
        crate::tracefile::write_whole(&states_file, bytes)
            .map_err(|e| format!("{}: cannot write: {e}", states_file.display()))?;
    }
    crate::tracefile::write_whole(&report_file, format!("{report}\n"))
        .map_err(|e| format!("{}: cannot write: {e}", report_file.display()))
}

/// Read a fingerprint file.
fn read_states(file: &Path) -> Result<Vec<u64>, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    let header = bytes
        .get(..16)
        .filter(|h| &h[..8] == STATES_MAGIC)
        .ok_or_else(|| format!("{}: not a fingerprint file (expected it to begin with `HWSTATE1`)", file.display()))?;
    let count = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes")) as usize;
    let body = &bytes[16..];
    if body.len() != count.saturating_mul(8) {
        return Err(format!(
            "{}: the header promises {count} fingerprints ({} bytes) but {} bytes follow",
            file.display(),
            count.saturating_mul(8),
            body.len()
        ));
    }
    Ok(body.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
}

/// One part's report, as read.
struct Part {
    file: PathBuf,
    shard: highwater_checker::Shard,
    report: Value,
}

/// The fields two parts of one search must agree on.
fn identity(report: &Value) -> Value {
    let search = &report["search"];
    serde_json::json!({
        "preset": report["preset"],
        "config": report["config"],
        "checker": search["search"],
        "liveness": search["liveness"],
        "symmetry": search["symmetry"],
        "max_states": search["max_states"],
        "max_depth": search["max_depth"],
    })
}

fn read_part(file: &Path) -> Result<Part, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    let report: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: line {}, column {}: not JSON: {e}", file.display(), e.line(), e.column()))?;
    let shard = report["search"]["shard"]
        .as_str()
        .ok_or_else(|| {
            format!(
                "{}: `search.shard` is missing: expected the report of `highwater check --shard I/N`",
                file.display()
            )
        })
        .and_then(|s| {
            highwater_checker::Shard::parse(s).map_err(|e| format!("{}: `search.shard`: {e}", file.display()))
        })?;
    for field in ["complete", "states", "unique_states", "properties"] {
        if report.get(field).is_none() {
            return Err(format!("{}: `{field}` is missing: expected a `highwater check` JSON report", file.display()));
        }
    }
    Ok(Part { file: file.to_path_buf(), shard, report })
}

/// One property's merged verdict.
#[derive(Serialize)]
struct Merged {
    name: String,
    kind: String,
    status: Status,
    /// Each part's counterexample or example: (part, steps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    found_by: Vec<Found>,
}

#[derive(Serialize)]
struct Found {
    shard: u64,
    path: Value,
}

fn status_of(value: &Value) -> Option<Status> {
    serde_json::from_value(value.clone()).ok()
}

/// Run `merge`.
pub fn exec(opts: MergeOpts) -> u8 {
    match merge(&opts) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            exit_codes::USAGE
        }
    }
}

fn merge(opts: &MergeOpts) -> Result<u8, String> {
    let parts: Vec<Part> = opts.reports.iter().map(|f| read_part(f)).collect::<Result<_, _>>()?;
    let first = &parts[0];
    let count = first.shard.count;
    let mut by_index: BTreeMap<u64, &Part> = BTreeMap::new();
    for part in &parts {
        if part.shard.count != count {
            return Err(format!(
                "{}: part {}/{} of a search split in {}, but {} is part of one split in {count}",
                part.file.display(),
                part.shard.index,
                part.shard.count,
                part.shard.count,
                first.file.display()
            ));
        }
        if identity(&part.report) != identity(&first.report) {
            return Err(format!(
                "{} and {}: not parts of one search (preset, configuration, checker, liveness, symmetry or bounds differ)",
                first.file.display(),
                part.file.display()
            ));
        }
        let probe = |p: &Part| p.report["fingerprint_probe"].clone();
        if probe(part) != probe(first) {
            return Err(format!(
                "{} and {}: the parts were run by builds that fingerprint states differently, so they did not split the states alike; run every part with one build",
                first.file.display(),
                part.file.display()
            ));
        }
        if let Some(other) = by_index.insert(part.shard.index, part) {
            return Err(format!(
                "{} and {}: both are part {}/{count}",
                other.file.display(),
                part.file.display(),
                part.shard.index
            ));
        }
    }
    let missing: Vec<u64> = (0..count).filter(|i| !by_index.contains_key(i)).collect();
    let incomplete: Vec<u64> =
        by_index.iter().filter(|(_, p)| p.report["complete"] != Value::Bool(true)).map(|(i, _)| *i).collect();
    let complete = missing.is_empty() && incomplete.is_empty();
    let breadth_first = first.report["search"]["search"] == "bfs";
    let generated: u64 = parts.iter().map(|p| p.report["states"].as_u64().unwrap_or(0)).sum();
    let splits: Vec<(&Part, &Value)> =
        parts.iter().map(|p| (p, &p.report["split_level"])).filter(|(_, level)| !level.is_null()).collect();
    if let Some(((a, level_a), (b, _))) = splits.first().zip(splits.iter().find(|(_, level)| level != &splits[0].1)) {
        return Err(format!(
            "{} and {}: the parts split the search at different levels ({level_a} and another): not parts of one search",
            a.file.display(),
            b.file.display()
        ));
    }
    let unique = if breadth_first {
        let mut all: Vec<u64> = Vec::new();
        for part in &parts {
            let dir = part.file.parent().unwrap_or(Path::new("."));
            let file = shard_files(dir, part.shard).1;
            // A part that did not finish (a panic, a bound) may have written no fingerprints;
            // the merge is incomplete then, and counts the states of the parts that did.
            if part.report["complete"] != Value::Bool(true) && !file.exists() {
                continue;
            }
            let states = read_states(&file)?;
            if part.report["unique_states"].as_u64() != Some(states.len() as u64) {
                return Err(format!(
                    "{}: {} fingerprints, but its report {} says {} unique states",
                    file.display(),
                    states.len(),
                    part.file.display(),
                    part.report["unique_states"]
                ));
            }
            all.extend(states);
        }
        all.sort_unstable();
        all.dedup();
        all.len() as u64
    } else {
        parts.iter().map(|p| p.report["unique_states"].as_u64().unwrap_or(0)).sum()
    };
    let names: Vec<(String, String)> = first.report["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (p["name"].as_str().unwrap_or("").to_string(), p["kind"].as_str().unwrap_or("").to_string()))
        .collect();
    let merged: Vec<Merged> = names
        .into_iter()
        .map(|(name, kind)| {
            let mut statuses = Vec::new();
            let mut found_by = Vec::new();
            for (index, part) in &by_index {
                let property = part.report["properties"].as_array().into_iter().flatten().find(|p| p["name"] == *name);
                let status = property.and_then(|p| status_of(&p["status"])).unwrap_or(Status::Unknown);
                if let Some(path) = property.and_then(|p| p.get("path")) {
                    found_by.push(Found { shard: *index, path: path.clone() });
                }
                statuses.push(status);
            }
            let all = |s: Status| statuses.iter().all(|x| *x == s);
            let any = |s: Status| statuses.contains(&s);
            let status = if any(Status::Violated) {
                Status::Violated
            } else if any(Status::Reached) {
                Status::Reached
            } else if all(Status::NotChecked) {
                Status::NotChecked
            } else if !complete {
                Status::Unknown
            } else if all(Status::Holds) {
                Status::Holds
            } else if all(Status::NotReached) {
                Status::NotReached
            } else if all(Status::HoldsSampled) {
                Status::HoldsSampled
            } else {
                Status::Unknown
            };
            if status != Status::Violated && status != Status::Reached {
                found_by.clear();
            }
            Merged { name, kind, status, found_by }
        })
        .collect();
    let code = if merged.iter().any(|m| m.status == Status::Violated) {
        exit_codes::VIOLATED
    } else if !complete {
        exit_codes::INCONCLUSIVE
    } else if merged.iter().any(|m| m.status == Status::NotReached) {
        exit_codes::NOT_REACHED
    } else {
        exit_codes::OK
    };
    match opts.format {
        Format::Json => println!(
            "{}",
            serde_json::json!({
                "format_version": 1,
                "preset": first.report["preset"],
                "config": first.report["config"],
                "checker": first.report["search"]["search"],
                "shards": count,
                "missing": missing,
                "incomplete": incomplete,
                "complete": complete,
                "states": generated,
                "unique_states": unique,
                "properties": merged,
                "exit_code": code,
            })
        ),
        Format::Text => {
            let unique_text = if breadth_first {
                format!("{unique} unique (the union of the parts' fingerprints)")
            } else {
                format!("{unique} visited in all (random walks: no union)")
            };
            println!(
                "highwater merge: preset {}, {} of {count} parts; {generated} states generated by all parts, {unique_text}; {}",
                first.report["preset"].as_str().unwrap_or("?"),
                by_index.len(),
                if complete { "complete".to_string() } else { incomplete_text(&missing, &incomplete) }
            );
            println!("\n{:<42} {:<9} verdict", "property", "kind");
            for m in &merged {
                let status = serde_json::to_value(m.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let by: Vec<String> = m
                    .found_by
                    .iter()
                    .map(|f| format!("part {} ({} steps)", f.shard, f.path.as_array().map_or(0, Vec::len)))
                    .collect();
                let by = if by.is_empty() { String::new() } else { format!("  by {}", by.join(", ")) };
                println!("{:<42} {:<9} {status}{by}", m.name, m.kind);
            }
        }
    }
    Ok(code)
}

fn incomplete_text(missing: &[u64], incomplete: &[u64]) -> String {
    let list = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    let mut why = Vec::new();
    if !missing.is_empty() {
        why.push(format!("part(s) {} missing", list(missing)));
    }
    if !incomplete.is_empty() {
        why.push(format!("part(s) {} incomplete", list(incomplete)));
    }
    format!("INCOMPLETE: {}", why.join("; "))
}
