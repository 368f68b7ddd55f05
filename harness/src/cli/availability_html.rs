//! The HTML page of `highwater availability`: one self-contained file, no script, nothing
//! loaded (its Content-Security-Policy forbids it), with the answer, the matrix, the curves as
//! SVG, and links to the trace viewers `--out` writes beside it.

use std::fmt::Write as _;

use highwater_properties::availability::CLAIMS;

use super::availability_report::{answer, timed_cells, Report};
use crate::ops::availability::curves::Curve;
use crate::ops::availability::Side;

const STYLE: &str =
    "body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:80em;padding:0 1em;color:#222}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}\
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}\
.FAILS,.impaired{color:#a00;font-weight:600}.improved{color:#070;font-weight:600}.witnessed{color:#05a}\
.answer{background:#f6f6ee;border-left:4px solid #996;padding:.5em 1em;white-space:pre-wrap}\
svg{background:#fff;border:1px solid #ddd;margin:.5em 1em .5em 0}.charts{display:flex;flex-wrap:wrap}\
.muted{color:#666}code{background:#f3f3f3;padding:0 .2em}";

use crate::viewer::escape_html as esc;

fn side_cells(side: &Side) -> String {
    let mut s = format!("<td>{}</td>", side.selector);
    for v in &side.model.verdicts {
        let word = v.status.word();
        let _ = write!(s, "<td class=\"{}\">{}</td>", word.replace(' ', "-"), word);
    }
    for cell in timed_cells(&side.timed) {
        let _ = write!(s, "<td>{cell}</td>");
    }
    s
}

/// The page.
pub fn page(report: &Report, viewers: Option<&[(String, &'static str, String)]>) -> String {
    let mut body = String::new();
    let _ = write!(body, "<h1>Availability under a rack outage</h1>");
    let _ = write!(
        body,
        "<p class=\"muted\">KIP-392's first question: how does fetching from the closest replica affect availability when a rack is unreachable? Each scenario runs with rack-aware selection and with leader-only fetching: the model judges the claims below on every ordering of its steps, and <code>sim::Cluster</code> runs it on Kafka's timings.</p>"
    );
    let _ = write!(body, "<div class=\"answer\">{}</div>", esc(&answer(report.rows)));
    let _ = write!(body, "<h2>Claims</h2><table><tr><th>claim</th><th>what it says</th></tr>");
    for claim in CLAIMS {
        let _ = write!(body, "<tr><td><code>{}</code></td><td>{}</td></tr>", claim.name, esc(claim.statement));
    }
    let _ = write!(body, "</table><h2>Scenarios</h2><table><tr><th>scenario</th><th>selector</th>");
    for claim in CLAIMS {
        let _ = write!(body, "<th>{}</th>", claim.name);
    }
    let _ = write!(
        body,
        "<th>read in the outage: history + new/produced</th><th>first new record visible after</th><th>longest stall</th><th>back to the leader after</th><th>cross-rack fetches</th><th>verdict</th></tr>"
    );
    for row in report.rows {
        let link = viewers
            .and_then(|v| v.iter().find(|(s, sem, _)| *s == row.scenario && *sem == row.semantics))
            .map(|(_, _, href)| format!("<br><a href=\"{}\">traces</a>", esc(href)))
            .unwrap_or_default();
        let title = format!(
            "<b>{}</b> ({})<br><span class=\"muted\">{}; {}</span>{link}",
            esc(&row.scenario),
            row.semantics,
            esc(row.placement),
            esc(&row.outage)
        );
        let answer = row.verdict.answer.word();
        let _ = write!(
            body,
            "<tr><td rowspan=\"2\">{title}</td>{}<td rowspan=\"2\"><span class=\"{answer}\">{answer}</span>: {}</td></tr><tr>{}</tr>",
            side_cells(&row.rack_aware),
            esc(&row.verdict.reason),
            side_cells(&row.leader_only)
        );
    }
    let _ = write!(body, "</table>");
    if let Some(curves) = report.curves {
        let _ = write!(
            body,
            "<h2>Visibility delay</h2><p class=\"muted\">From producing a record (acks=all) to a consumer in rack b reading it, as one setting varies and the rest keep the run's timings: on its same-rack follower (solid) and leader-only (dashed).</p><div class=\"charts\">"
        );
        for curve in curves {
            body.push_str(&chart(curve));
        }
        let _ = write!(body, "</div>");
    }
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"><link rel=\"icon\" href=\"data:,\"><title>highwater availability</title><style>{STYLE}</style></head><body>{body}<p class=\"muted\">highwater {}</p></body></html>\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// One curve as an SVG line chart: the follower line solid, the leader-only line dashed.
pub fn chart(curve: &Curve) -> String {
    let (w, h, left, bottom, top, right) = (420.0, 260.0, 60.0, 40.0, 34.0, 16.0);
    let xs: Vec<f64> = curve.points.iter().map(|p| p.value as f64).collect();
    let ys: Vec<f64> =
        curve.points.iter().flat_map(|p| [p.follower_ms, p.leader_ms]).flatten().map(|v| v as f64).collect();
    let x_max = xs.iter().cloned().fold(1.0, f64::max);
    let y_max = nice_ceiling(ys.iter().cloned().fold(1.0, f64::max));
    let px = |x: f64| left + (w - left - right) * x / x_max;
    let py = |y: f64| h - bottom - (h - bottom - top) * y / y_max;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = write!(s, "<text x=\"{left}\" y=\"16\" font-size=\"12\" font-weight=\"bold\">{}</text>", esc(curve.key));
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#444\"/>",
        h - bottom,
        w - right,
        h - bottom,
        h - bottom
    );
    for i in 0..=4 {
        let y = y_max * i as f64 / 4.0;
        let (tx, ty, gy, gx) = (left - 4.0, py(y) + 4.0, py(y), w - right);
        let _ = write!(
            s,
            "<text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{} s</text><line x1=\"{left}\" y1=\"{gy}\" x2=\"{gx}\" y2=\"{gy}\" stroke=\"#eee\"/>",
            tick(y / 1000.0)
        );
    }
    // A value too close to the last one labelled keeps its point but not its label.
    let mut last_label = f64::NEG_INFINITY;
    for x in &xs {
        if px(*x) - last_label < 26.0 {
            continue;
        }
        last_label = px(*x);
        let _ =
            write!(s, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", px(*x), h - bottom + 14.0, label(*x));
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} (ms)</text>",
        (left + w - right) / 2.0,
        h - 6.0,
        esc(curve.key)
    );
    for (series, dash, colour) in [(0, "", "#1f5fa8"), (1, " stroke-dasharray=\"5 4\"", "#b5651d")] {
        let points: Vec<String> = curve
            .points
            .iter()
            .filter_map(|p| {
                let y = if series == 0 { p.follower_ms } else { p.leader_ms };
                y.map(|y| format!("{:.1},{:.1}", px(p.value as f64), py(y as f64)))
            })
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
            points.join(" ")
        );
        for point in &points {
            let (x, y) = point.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(s, "<circle cx=\"{x}\" cy=\"{y}\" r=\"2.5\" fill=\"{colour}\"/>");
        }
    }
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"28\" fill=\"#1f5fa8\">— follower</text><text x=\"{}\" y=\"28\" fill=\"#b5651d\">- - leader-only</text></svg>",
        w - right - 190.0,
        w - right - 100.0
    );
    s
}

fn label(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{}k", ms / 1000.0)
    } else {
        format!("{ms}")
    }
}

/// Every curve in one SVG, two charts a row (`--out` writes it as `visibility-delay.svg`).
pub fn curves_svg(curves: &[Curve]) -> String {
    let (w, h) = (430, 270);
    let rows = curves.len().div_ceil(2);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" style=\"background:#fff\">",
        2 * w,
        rows * h
    );
    for (i, curve) in curves.iter().enumerate() {
        let chart = chart(curve).replacen("<svg ", &format!("<svg x=\"{}\" y=\"{}\" ", (i % 2) * w, (i / 2) * h), 1);
        s.push_str(&chart);
    }
    s.push_str("</svg>\n");
    s
}

/// The axis' top: the least of 1, 2, 2.5 or 5 times a power of ten, times four (one gridline
/// each quarter), at or above `max`, so that every gridline is a round number.
fn nice_ceiling(max: f64) -> f64 {
    let quarter = max / 4.0;
    let power = 10f64.powf(quarter.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * power).find(|s| *s >= quarter).unwrap_or(10.0 * power);
    4.0 * step
}

/// A gridline's value: at most three decimals, none trailing.
fn tick(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
