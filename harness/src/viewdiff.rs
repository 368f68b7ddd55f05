//! Field-by-field differences between two `ClusterView`s, named the way a person reads a
//! cluster: node (`broker-2`, `consumer-0`, `controller`, `cluster`, `ghost`), then field.
//! `trace show` uses it for what a step changed, `replay` for where an implementation diverged.

use highwater_traces::ClusterView;
use serde_json::Value;

/// One field that differs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FieldDiff {
    /// The node whose field it is.
    pub node: String,
    /// The field, dotted for nested ones (`ghost.epochs_seen.broker-1`).
    pub field: String,
    /// The value in the first view (the trace's, or the state before a step).
    pub expected: Value,
    /// The value in the second (the implementation's, or the state after).
    pub actual: Value,
}

impl FieldDiff {
    /// `node.field: a -> b`, with a list that only grew shown by what it gained.
    pub fn describe_change(&self) -> String {
        match (&self.expected, &self.actual) {
            (Value::Array(before), Value::Array(after)) if after.len() > before.len() && after.starts_with(before) => {
                let gained: Vec<String> = after[before.len()..].iter().map(compact).collect();
                format!("{}.{} +{}", self.node, self.field, gained.join(" +"))
            }
            (a, b) => format!("{}.{} {} -> {}", self.node, self.field, compact(a), compact(b)),
        }
    }
}

/// JSON without quotes around plain strings.
pub fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every field where `b` differs from `a`, in a fixed order: controller, brokers by id,
/// consumers by number, the cluster's cut racks and fault budget, the ghost.
pub fn diff(a: &ClusterView, b: &ClusterView) -> Vec<FieldDiff> {
    let (a, b) = (serde_json::to_value(a).expect("plain data"), serde_json::to_value(b).expect("plain data"));
    let mut out = Vec::new();
    fields(&mut out, "controller", "", &a["controller"], &b["controller"]);
    for (group, prefix) in [("brokers", "broker"), ("consumers", "consumer")] {
        let (xs, ys) = (as_list(&a[group]), as_list(&b[group]));
        for i in 0..xs.len().max(ys.len()) {
            let (x, y) = (xs.get(i).unwrap_or(&Value::Null), ys.get(i).unwrap_or(&Value::Null));
            let id = x.get("id").or_else(|| y.get("id")).map(compact).unwrap_or_else(|| i.to_string());
            fields(&mut out, &format!("{prefix}-{id}"), "", x, y);
        }
    }
    for field in ["cut_racks", "outages", "producer_rack", "faults_left"] {
        fields(&mut out, "cluster", field, &a[field], &b[field]);
    }
    fields(&mut out, "ghost", "", &a["ghost"], &b["ghost"]);
    out
}

fn as_list(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn fields(out: &mut Vec<FieldDiff>, node: &str, path: &str, a: &Value, b: &Value) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let nested = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                fields(out, node, &nested, x.get(key).unwrap_or(&Value::Null), y.get(key).unwrap_or(&Value::Null));
            }
        }
        _ => out.push(FieldDiff {
            node: node.to_string(),
            field: if path.is_empty() { "(whole)".to_string() } else { path.to_string() },
            expected: a.clone(),
            actual: b.clone(),
        }),
    }
}
