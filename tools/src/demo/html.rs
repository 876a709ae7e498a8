//! The demo's self-contained HTML report: tables and inline SVG plots (training curves,
//! teacher-vs-student score scatter, size and latency bars). No scripts, no external assets.

use super::report::{DemoReport, ModelReport};

const W: f64 = 460.0;
const H: f64 = 260.0;
const PAD: f64 = 40.0;
const COLOURS: [&str; 3] = ["#1b6ca8", "#d1495b", "#2a9d8f"];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn frame(title: &str, body: &str) -> String {
    format!(
        r##"<figure><svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img"><title>{t}</title><rect x="{PAD}" y="10" width="{iw}" height="{ih}" fill="none" stroke="#999"/>{body}</svg><figcaption>{t}</figcaption></figure>"##,
        t = escape(title),
        iw = W - PAD - 10.0,
        ih = H - PAD - 10.0
    )
}

fn scale(v: f64, lo: f64, hi: f64, out_lo: f64, out_hi: f64) -> f64 {
    if hi <= lo {
        return (out_lo + out_hi) / 2.0;
    }
    out_lo + (v - lo) / (hi - lo) * (out_hi - out_lo)
}

fn curves(report: &DemoReport) -> String {
    let points: Vec<f64> = report.models.iter().flat_map(|m| m.epochs.iter().map(|e| e.valid_metric)).collect();
    let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let max_epoch = report.models.iter().map(|m| m.epochs.len()).max().unwrap_or(1).max(2) as f64;
    let mut body = String::new();
    for (i, m) in report.models.iter().enumerate() {
        let path: Vec<String> = m
            .epochs
            .iter()
            .map(|e| {
                let x = scale(e.epoch as f64, 1.0, max_epoch, PAD, W - 10.0);
                let y = scale(e.valid_metric, lo, hi, H - PAD, 10.0);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        body.push_str(&format!(
            r##"<polyline fill="none" stroke="{c}" stroke-width="2" points="{p}"/><text x="{tx}" y="{ty}" fill="{c}" font-size="11">{n}</text>"##,
            c = COLOURS[i % 3],
            p = path.join(" "),
            tx = PAD + 6.0,
            ty = 24.0 + 13.0 * i as f64,
            n = escape(&m.name)
        ));
    }
    body.push_str(&format!(r#"<text x="4" y="{:.0}" font-size="10">{hi:.3}</text><text x="4" y="{:.0}" font-size="10">{lo:.3}</text>"#, 16.0, H - PAD));
    body.push_str(&format!(r#"<text x="{:.0}" y="{:.0}" font-size="10">epoch</text>"#, W / 2.0, H - 12.0));
    frame("Validation AUC per epoch", &body)
}

fn scatter(report: &DemoReport) -> String {
    let (lo, hi) = report.scatter.iter().fold((f32::MAX, f32::MIN), |(a, b), &(x, y)| (a.min(x).min(y), b.max(x).max(y)));
    let (lo, hi) = (f64::from(lo), f64::from(hi));
    let mut body = String::new();
    for &(t, s) in &report.scatter {
        let x = scale(f64::from(t), lo, hi, PAD, W - 10.0);
        let y = scale(f64::from(s), lo, hi, H - PAD, 10.0);
        body.push_str(&format!(r##"<circle cx="{x:.1}" cy="{y:.1}" r="1.6" fill="#1b6ca8" fill-opacity="0.5"/>"##));
    }
    body.push_str(&format!(
        r##"<line x1="{PAD}" y1="{:.1}" x2="{:.1}" y2="10" stroke="#d1495b" stroke-dasharray="4"/><text x="{:.0}" y="{:.0}" font-size="10">teacher logit</text><text x="2" y="20" font-size="10">student</text>"##,
        H - PAD,
        W - 10.0,
        W / 2.0,
        H - 12.0
    ));
    frame("Test logits: teacher (x) vs distilled student (y)", &body)
}

fn bars(report: &DemoReport, title: &str, value: impl Fn(&ModelReport) -> f64, unit: &str) -> String {
    let max = report.models.iter().map(&value).fold(0.0, f64::max).max(1e-9);
    let band = (H - PAD - 10.0) / report.models.len() as f64;
    let mut body = String::new();
    for (i, m) in report.models.iter().enumerate() {
        let v = value(m);
        let width = scale(v, 0.0, max, 0.0, W - PAD - 120.0);
        let y = 10.0 + band * i as f64 + band * 0.2;
        body.push_str(&format!(
            r##"<rect x="{PAD}" y="{y:.1}" width="{width:.1}" height="{h:.1}" fill="{c}"/><text x="{tx:.1}" y="{ty:.1}" font-size="11">{n}: {v:.1} {unit}</text>"##,
            h = band * 0.6,
            c = COLOURS[i % 3],
            tx = PAD + width + 4.0,
            ty = y + band * 0.4,
            n = escape(&m.name)
        ));
    }
    frame(title, &body)
}

/// The report page.
pub fn html(report: &DemoReport) -> String {
    let mut rows = String::new();
    for m in &report.models {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.1e}</td></tr>",
            escape(&m.name),
            m.auc,
            m.ndcg10,
            m.params,
            m.bytes,
            m.p50_us,
            m.parity_max_abs_diff
        ));
    }
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dram demo report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}td:first-child,th:first-child{{text-align:left}}figure{{display:inline-block;margin:10px}}</style></head>
<body><h1>dram demo</h1><p>Synthetic shop: {tr} training, {va} validation and {te} test impressions; every score below was computed by <code>dram-core</code> from the exported ONNX file. Total time {secs:.0} s.</p>
<table><tr><th>model</th><th>AUC</th><th>NDCG@10</th><th>params</th><th>file bytes</th><th>p50 µs (rank 100)</th><th>candle vs dram-core max |diff|</th></tr>{rows}</table>
{curves}{scatter}{size}{latency}</body></html>
"#,
        tr = report.rows[0],
        va = report.rows[1],
        te = report.rows[2],
        secs = report.seconds,
        curves = curves(report),
        scatter = scatter(report),
        size = bars(report, "Model file size", |m| m.bytes as f64 / 1024.0, "KiB"),
        latency = bars(report, "p50 latency of rank(100 candidates)", |m| m.p50_us, "µs"),
    )
}
