//! Reading `highwater check` JSON reports, shared by the tests that compare them.

use serde_json::Value;

/// Each property's name and verdict, in report order.
pub fn verdicts(report: &Value) -> Vec<(String, String)> {
    report["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_string(), p["status"].as_str().unwrap().to_string()))
        .collect()
}
