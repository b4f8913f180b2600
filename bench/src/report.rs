//! The summary of a run: per workload and client, min / median / max over the rounds, and the
//! ratios of s3drv's medians to the native floor's, to the fastest aws-sdk-s3
//! configuration's and to distribution's Go driver's (stream rows); and the registry
//! benchmark's steps, with s3drv's ratios to the built-in driver.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::clients::go_driver;
use crate::registry::RegistrySample;
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
        "| workload | client | wall median (min-max) | rate | CPU | p50 / p99 | RSS growth | s3drv / native | s3drv / best sdk | s3drv / s3aws (Go) |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for ((_, workload), clients) in &groups {
        let rows: BTreeMap<&str, Row> = clients.iter().map(|(c, s)| (*c, row(s))).collect();
        let ratio = |to: Option<&Row>| match (rows.get("s3drv"), to) {
            (Some(a), Some(b)) if b.wall[1] > 0.0 => format!("{:.2}x", a.wall[1] / b.wall[1]),
            _ => "-".into(),
        };
        // The fastest SDK configuration of the workload (one or several parts in flight).
        let best_sdk = rows
            .iter()
            .filter(|(client, _)| client.starts_with("aws-sdk-s3"))
            .map(|(_, r)| r)
            .min_by(|a, b| a.wall[1].total_cmp(&b.wall[1]));
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
            let rss = if r.rss.is_nan() {
                "-".to_string()
            } else {
                format!("{:.0} MiB", r.rss)
            };
            let (vs_native, vs_sdk, vs_go) = if *client == "s3drv" {
                (
                    ratio(rows.get("native")),
                    ratio(best_sdk),
                    ratio(rows.get(go_driver::NAME)),
                )
            } else {
                ("".into(), "".into(), "".into())
            };
            let _ = writeln!(
                out,
                "| {workload} | {client} | {:.3} s ({:.3}-{:.3}) | {rate} | {cpu} | {latency} | {rss} | {vs_native} | {vs_sdk} | {vs_go} |",
                r.wall[1], r.wall[0], r.wall[2]
            );
        }
    }
    out
}

/// Medians of one registry step through one registry.
struct RegistryRow {
    wall: [f64; 3],
    registry_cpu: f64,
    sidecar_cpu: Option<f64>,
    registry_peak: f64,
    sidecar_peak: Option<f64>,
    requests: f64,
    by_operation: BTreeMap<String, f64>,
}

impl RegistryRow {
    fn new(samples: &[&RegistrySample]) -> Self {
        let mut wall: Vec<f64> = samples.iter().map(|s| s.wall_s).collect();
        let min = wall.iter().copied().fold(f64::INFINITY, f64::min);
        let max = wall.iter().copied().fold(0.0, f64::max);
        let median_of = |f: &dyn Fn(&RegistrySample) -> f64| {
            median(&mut samples.iter().map(|s| f(s)).collect::<Vec<f64>>())
        };
        let max_of =
            |f: &dyn Fn(&RegistrySample) -> f64| samples.iter().map(|s| f(s)).fold(0.0, f64::max);
        let has_sidecar = samples.iter().any(|s| s.sidecar_cpu_s.is_some());
        let operations: BTreeSet<&String> =
            samples.iter().flat_map(|s| s.requests.keys()).collect();
        let by_operation = operations
            .into_iter()
            .map(|op| {
                let count = median_of(&|s| s.requests.get(op).copied().unwrap_or(0) as f64);
                (op.clone(), count)
            })
            .collect();
        RegistryRow {
            wall: [min, median(&mut wall), max],
            registry_cpu: median_of(&|s| s.registry_cpu_s),
            sidecar_cpu: has_sidecar.then(|| median_of(&|s| s.sidecar_cpu_s.unwrap_or(0.0))),
            registry_peak: max_of(&|s| s.registry_peak_mib),
            sidecar_peak: has_sidecar.then(|| max_of(&|s| s.sidecar_peak_mib.unwrap_or(0.0))),
            requests: median_of(&|s| s.requests.values().sum::<u64>() as f64),
            by_operation,
        }
    }

    fn cpu(&self) -> f64 {
        self.registry_cpu + self.sidecar_cpu.unwrap_or(0.0)
    }
}

/// The registries of the registry benchmark, the reference first.
const REGISTRIES: [&str; 2] = ["built-in s3aws", "s3drv"];

/// The markdown tables of the registry benchmark: per step and registry, medians over the
/// rounds (peak RSS: the largest) and s3drv's ratios to the built-in driver; then the S3
/// requests by operation.
pub fn registry_table(samples: &[RegistrySample]) -> String {
    let mut steps: Vec<&str> = Vec::new();
    for sample in samples {
        if !steps.contains(&sample.step.as_str()) {
            steps.push(&sample.step);
        }
    }
    let mut out = String::from(
        "| step | registry | wall median (min-max) | CPU registry + sidecar | peak RSS registry / sidecar | S3 requests | s3drv / built-in: wall, CPU, requests |\n|---|---|---|---|---|---|---|\n",
    );
    let mut operations =
        String::from("| step | S3 operation | built-in s3aws | s3drv |\n|---|---|---|---|\n");
    for step in steps {
        let rows: Vec<Option<RegistryRow>> = REGISTRIES
            .iter()
            .map(|registry| {
                let of: Vec<&RegistrySample> = samples
                    .iter()
                    .filter(|s| s.step == step && s.client == *registry)
                    .collect();
                (!of.is_empty()).then(|| RegistryRow::new(&of))
            })
            .collect();
        for (registry, row) in REGISTRIES.iter().zip(&rows) {
            let Some(r) = row else { continue };
            let (cpu, rss) = match (r.sidecar_cpu, r.sidecar_peak) {
                (Some(sidecar_cpu), Some(sidecar_peak)) => (
                    format!(
                        "{:.2} s ({:.2} + {sidecar_cpu:.2})",
                        r.cpu(),
                        r.registry_cpu
                    ),
                    format!("{:.0} / {sidecar_peak:.0} MiB", r.registry_peak),
                ),
                _ => (
                    format!("{:.2} s", r.cpu()),
                    format!("{:.0} MiB", r.registry_peak),
                ),
            };
            let ratios = match (&rows[0], *registry == REGISTRIES[1]) {
                (Some(reference), true) => format!(
                    "{:.2}x, {:.2}x, {:.2}x",
                    r.wall[1] / reference.wall[1],
                    r.cpu() / reference.cpu().max(0.01),
                    r.requests / reference.requests.max(1.0)
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "| {step} | {registry} | {:.2} s ({:.2}-{:.2}) | {cpu} | {rss} | {:.0} | {ratios} |",
                r.wall[1], r.wall[0], r.wall[2], r.requests
            );
        }
        let names: BTreeSet<&String> = rows
            .iter()
            .flatten()
            .flat_map(|r| r.by_operation.keys())
            .collect();
        for name in names {
            let count = |row: &Option<RegistryRow>| {
                row.as_ref()
                    .and_then(|r| r.by_operation.get(name))
                    .map_or("0".to_string(), |c| format!("{c:.0}"))
            };
            let _ = writeln!(
                operations,
                "| {step} | {name} | {} | {} |",
                count(&rows[0]),
                count(&rows[1])
            );
        }
    }
    out + "\nS3 requests by operation (medians over the rounds):\n\n" + &operations
}
