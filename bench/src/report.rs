//! How results read: the Markdown tables the README embeds, the latency plot, and the
//! per-node profile printout.

use std::fmt::Write;

use dram_core::Profile;
use serde_json::Value as Json;

/// The per-node profile as aligned text, slowest node first.
pub fn profile_text(profile: &Profile, rows: usize) -> String {
    let mut out = format!(
        "{rows} rows (plan built for {}): {:.1} µs per call inside tract, {} multiply-adds\n",
        profile.plan_rows.map_or("symbolic N".into(), |r| r.to_string()),
        profile.total_micros,
        profile.multiply_adds.map_or("?".into(), |m| format!("{m:.0}")),
    );
    for node in &profile.nodes {
        let _ = writeln!(out, "{:>9.2} µs  {:<20} {}", node.micros, node.op, node.name);
    }
    out
}

/// All tables, Markdown.
pub fn markdown(r: &Json) -> String {
    let mut md = String::new();
    let m = &r["machine"];
    let _ = writeln!(
        md,
        "Measured on {} ({} cores), tract {}, ONNX Runtime {}; p50/p99 in µs, ratio = dram p50 / ORT p50 \
         (below 1: dram faster). dram: `Model::run_encoded` on the encoded tensors ONNX Runtime also gets; \
         end-to-end adds encoding raw features (and sorting). Two threads: ORT with 2 intra-op threads, spinning \
         off (a spinning ORT worker would hold a core through the interleaved dram call); dram (no intra-op threads in \
         its tract build) splits a call that takes 300 µs or more on one thread over the caller and one long-lived worker thread, and scores shorter ones on the \
         caller alone (waking a worker costs more than scoring 100 candidates here).\n",
        s(&m["cpu"]), m["cores"], s(&m["tract"]), s(&m["onnxruntime"])
    );
    md += "| model | threads | rows | dram p50 | dram p99 | ORT p50 | ORT p99 | dram/ORT | dram end-to-end p50 |\n";
    md += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for c in arr(&r["latency"]) {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | **{:.2}** | {} |",
            s(&c["model"]), c["threads"], c["rows"], us(&c["dram"]["p50"]), us(&c["dram"]["p99"]),
            us(&c["ort"]["p50"]), us(&c["ort"]["p99"]), c["ratio"].as_f64().unwrap_or(f64::NAN),
            us(&c["dram_end_to_end"]["p50"]),
        );
    }
    for k in arr(&r["skipped"]) {
        let _ = writeln!(md, "\nNot measured: {} ({}).", s(&k["model"]), s(&k["reason"]));
    }
    md += "\n| cold start (bytes in memory to first result; median and fastest of interleaved runs) | rows | dram ms | ORT ms | dram/ORT | dram min ms | ORT min ms | dram/ORT (min) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for c in arr(&r["cold_start"]) {
        let _ = writeln!(
            md,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            s(&c["model"]), c["rows"], f(&c["dram_ms"]), f(&c["ort_ms"]), f(&c["ratio"]),
            f(&c["dram_min_ms"]), f(&c["ort_min_ms"]), f(&c["min_ratio"]),
        );
    }
    md += "\n| model file | bytes |\n|---|---:|\n";
    for c in arr(&r["model_files"]) {
        let _ = writeln!(md, "| {} | {} |", s(&c["path"]), c["bytes"]);
    }
    if let Some(libs) = r["libraries"]["steps"].as_array() {
        md += "\n| stripped size (x86-64), profile step | C library (libdram_c.so) | minimal Rust ranker binary |\n|---|---:|---:|\n";
        for step in libs {
            let _ = writeln!(md, "| {} | {} | {} |", s(&step["step"]), mb(&step["c_library"]), mb(&step["rust_binary"]));
        }
    }
    let roof = &r["roofline"];
    if !roof.is_null() {
        let floor = f(&roof["floor_us"]);
        let _ = writeln!(
            md,
            "\n**Roofline** ({}, {} candidates): {:.0} multiply-adds per call (tract's cost model); one core's measured \
             {} peak is {:.1} G multiply-adds/s, so the arithmetic floor is {:.1} µs: dram p50 is {:.0}x it, ORT p50 {:.0}x.",
            s(&roof["model"]), roof["rows"], f(&roof["multiply_adds"]), s(&roof["isa"]),
            f(&roof["peak_fma_per_second"]) / 1e9, floor, f(&roof["dram_p50_us"]) / floor, f(&roof["ort_p50_us"]) / floor,
        );
    }
    let p = &r["profile"];
    if !p.is_null() {
        let _ = writeln!(md, "\n| dram per-node profile, {} at {} candidates (plan for {} rows, {:.1} µs inside tract) | op | µs |\n|---|---|---:|",
            s(&p["model"]), p["rows"], p["plan_rows"], f(&p["total_us"]));
        for n in arr(&p["nodes"]) {
            let _ = writeln!(md, "| {} | {} | {:.2} |", s(&n["name"]), s(&n["op"]), f(&n["us"]));
        }
    }
    let t = &r["training"];
    if !t.is_null() {
        let _ = writeln!(md, "\n**Training**: distillation of the MovieLens student runs at {:.0} samples/s (median of {} epochs, `{}`).",
            f(&t["samples_per_second_p50"]), t["epochs"], s(&t["log"]));
    }
    let rows = arr(&r["quality"]);
    if !rows.is_empty() {
        md += "\n| data set | model | metrics | parameters | bytes |\n|---|---|---|---:|---:|\n";
        for q in rows {
            let e = &q["entry"];
            let metrics = e["quality"]
                .as_object()
                .map(|m| m.iter().filter(|(k, _)| *k != "rows").map(|(k, v)| format!("{k} {:.4}", f(v))).collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            let _ = writeln!(md, "| {} | {} | {} | {} | {} |", s(&q["dataset"]), s(&q["model"]), metrics, e["params"], e["bytes"]);
        }
    }
    md
}

/// p50 latency against rows, one thread, log-log, one line per runtime and model.
pub fn svg(r: &Json) -> String {
    let cells: Vec<&Json> = arr(&r["latency"]).iter().filter(|c| c["threads"] == 1 && c["workload"] == "movielens-ranker").collect();
    let (w, h, pad) = (640.0, 400.0, 60.0);
    let xs: Vec<f64> = cells.iter().filter_map(|c| c["rows"].as_f64()).collect();
    let ys: Vec<f64> = cells.iter().flat_map(|c| [f(&c["dram"]["p50"]), f(&c["ort"]["p50"])]).collect();
    let bounds = |v: &[f64]| (v.iter().cloned().fold(f64::MAX, f64::min).max(1e-3).log10().floor(), v.iter().cloned().fold(1e-3, f64::max).log10().ceil());
    let ((x0, x1), (y0, y1)) = (bounds(&xs), bounds(&ys));
    let px = |x: f64| pad + (x.log10() - x0) / (x1 - x0).max(1.0) * (w - 2.0 * pad);
    let py = |y: f64| h - pad - (y.log10() - y0) / (y1 - y0).max(1.0) * (h - 2.0 * pad);
    let mut out = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n");
    let _ = writeln!(out, "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/><text x=\"{pad}\" y=\"24\">p50 latency (µs) vs candidates, one thread, log-log</text>");
    for e in (y0 as i32)..=(y1 as i32) {
        let y = py(10f64.powi(e));
        let _ = writeln!(out, "<line x1=\"{pad}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#ddd\"/><text x=\"8\" y=\"{}\">{}</text>", w - pad, y + 4.0, 10f64.powi(e));
    }
    for e in (x0 as i32)..=(x1 as i32) {
        let x = px(10f64.powi(e));
        let _ = writeln!(out, "<text x=\"{}\" y=\"{}\">{}</text>", x - 8.0, h - pad + 20.0, 10f64.powi(e));
    }
    let mut models: Vec<&str> = cells.iter().filter_map(|c| c["model"].as_str()).collect();
    models.dedup();
    let colours = ["#c0392b", "#2471a3", "#229954", "#7d3c98", "#b9770e", "#555"];
    let mut legend = 0;
    for (mi, model) in models.iter().enumerate() {
        for (runtime, dash) in [("dram", ""), ("ort", "6,4")] {
            let points: Vec<String> = cells
                .iter()
                .filter(|c| c["model"] == *model)
                .map(|c| format!("{:.1},{:.1}", px(f(&c["rows"])), py(f(&c[runtime]["p50"]))))
                .collect();
            let colour = colours[mi % colours.len()];
            let _ = writeln!(out, "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\" points=\"{}\"/>", points.join(" "));
            let ly = 44.0 + 16.0 * legend as f64;
            legend += 1;
            let _ = writeln!(out, "<line x1=\"{}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\"/><text x=\"{}\" y=\"{}\">{runtime} {model}</text>",
                pad + 10.0, pad + 40.0, pad + 46.0, ly + 4.0);
        }
    }
    out + "</svg>\n"
}

fn arr(v: &Json) -> &[Json] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn s(v: &Json) -> &str {
    v.as_str().unwrap_or("?")
}

fn f(v: &Json) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn us(v: &Json) -> String {
    v.as_f64().map_or("–".into(), |x| if x >= 100.0 { format!("{x:.0}") } else { format!("{x:.1}") })
}

fn mb(v: &Json) -> String {
    v.as_f64().map_or("–".into(), |b| format!("{:.2} MB", b / 1e6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_has_a_row_per_cell_with_its_ratio_and_svg_a_line_per_runtime() {
        let r = serde_json::json!({
            "machine": {"cpu": "x", "cores": 2, "tract": "0.23.9", "onnxruntime": "1.32.0"},
            "latency": [{"workload": "movielens-ranker", "model": "m/a.onnx", "threads": 1, "rows": 10,
                         "dram": {"p50": 50.0, "p99": 80.0}, "ort": {"p50": 100.0, "p99": 120.0}, "ratio": 0.5,
                         "dram_end_to_end": null}],
        });
        let md = markdown(&r);
        assert!(md.contains("| m/a.onnx | 1 | 10 | 50.0 | 80.0 | 100 | 120 | **0.50** | – |"), "{md}");
        assert_eq!(svg(&r).matches("<polyline").count(), 2);
    }
}
