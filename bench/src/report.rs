//! The summary of a run: per workload and client, min / median / max over the rounds, and the
//! ratios of s3drv's medians to the native floor's and aws-sdk-s3's.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::workloads::Sample;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Medians of one workload and client.
struct Row {
    wall: [f64; 3],
    cpu: f64,
    rss: f64,
    bytes: u64,
    ops: u64,
    p50: Option<f64>,
    p99: Option<f64>,
}

fn row(samples: &[&Sample]) -> Row {
    let mut wall: Vec<f64> = samples.iter().map(|s| s.wall_s).collect();
    let mut cpu: Vec<f64> = samples.iter().map(|s| s.cpu_s).collect();
    let mut rss: Vec<f64> = samples.iter().map(|s| s.rss_growth_mib).collect();
    let mut p50: Vec<f64> = samples.iter().filter_map(|s| s.p50_us).collect();
    let mut p99: Vec<f64> = samples.iter().filter_map(|s| s.p99_us).collect();
    let min = wall.iter().copied().fold(f64::INFINITY, f64::min);
    let max = wall.iter().copied().fold(0.0, f64::max);
    Row {
        wall: [min, median(&mut wall), max],
        cpu: median(&mut cpu),
        rss: median(&mut rss),
        bytes: samples[0].bytes,
        ops: samples[0].ops,
        p50: (!p50.is_empty()).then(|| median(&mut p50)),
        p99: (!p99.is_empty()).then(|| median(&mut p99)),
    }
}

/// The markdown table of `samples`.
pub fn table(samples: &[Sample]) -> String {
    let mut groups: BTreeMap<(usize, &str), BTreeMap<&str, Vec<&Sample>>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for sample in samples {
        if !order.contains(&sample.workload.as_str()) {
            order.push(&sample.workload);
        }
        let position = order
            .iter()
            .position(|w| *w == sample.workload)
            .unwrap_or(0);
        groups
            .entry((position, &sample.workload))
            .or_default()
            .entry(&sample.client)
            .or_default()
            .push(sample);
    }
    let mut out = String::from(
        "| workload | client | wall median (min-max) | rate | CPU | p50 / p99 | RSS growth | s3drv / native | s3drv / sdk |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for ((_, workload), clients) in &groups {
        let rows: BTreeMap<&str, Row> = clients.iter().map(|(c, s)| (*c, row(s))).collect();
        let ratio = |other: &str| match (rows.get("s3drv"), rows.get(other)) {
            (Some(a), Some(b)) if b.wall[1] > 0.0 => format!("{:.2}x", a.wall[1] / b.wall[1]),
            _ => "-".into(),
        };
        for (client, r) in &rows {
            let rate = if r.bytes > 0 {
                format!("{:.0} MB/s", r.bytes as f64 / 1e6 / r.wall[1])
            } else {
                format!("{:.0} ops/s", r.ops as f64 / r.wall[1])
            };
            let cpu = if r.bytes >= 1 << 30 {
                format!(
                    "{:.2} s/GiB",
                    r.cpu / (r.bytes as f64 / f64::from(1u32 << 30))
                )
            } else {
                format!("{:.3} s", r.cpu)
            };
            let latency = match (r.p50, r.p99) {
                (Some(p50), Some(p99)) => format!("{:.0} / {:.0} µs", p50, p99),
                _ => "-".into(),
            };
            let (vs_native, vs_sdk) = if *client == "s3drv" {
                (ratio("native"), ratio("aws-sdk-s3"))
            } else {
                ("".into(), "".into())
            };
            let _ = writeln!(
                out,
                "| {workload} | {client} | {:.3} s ({:.3}-{:.3}) | {rate} | {cpu} | {latency} | {:.0} MiB | {vs_native} | {vs_sdk} |",
                r.wall[1], r.wall[0], r.wall[2], r.rss
            );
        }
    }
    out
}
