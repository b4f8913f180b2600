//! The workloads of `make bench`, each run by every client in turn, for several rounds; each
//! round starts with the next client (A B C, B C A, C A B, ...), so that drift over the run and
//! the cost of going first spread evenly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use serde::Serialize;

use crate::clients::Client;
use crate::clients::go_driver::{self, GoDriver};
use crate::data::DataPool;
use crate::measure::{Cost, measure};

/// Parts in flight of the SDK's second stream writer: what the SDK needs to reach the
/// server's limit on 2 cores.
const SDK_PARTS_IN_FLIGHT: usize = 4;

/// The pause between a client's stream write and its read. Garage is still busy for a
/// while after a fast 1 GiB write; read at once, a client paid for that, and the slowest
/// writer (the Go driver, 3x slower) the least: with this pause, 7 rounds of reads took
/// 14-20 % less for s3drv and the native floor, 10 % less for the Go driver.
const SETTLE_BEFORE_READ: Duration = Duration::from_secs(5);

/// Sizes of one run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Scale {
    /// Bytes of the stream write and read.
    pub stream: usize,
    /// Small operations per sequence.
    pub small_ops: usize,
    /// Bytes of a small object (Garage stalls on GETs between 3 KiB and 64 KiB).
    pub small_size: usize,
    /// Entries of the listed directory.
    pub list_entries: usize,
    /// Directories × files of the walked tree.
    pub tree: (usize, usize),
    /// Moves per client and round: of 1 MiB, of 64 MiB (one move is a single request or a
    /// few: one sample per round would leave the median to the machine's noise).
    pub moves: (usize, usize),
}

impl Scale {
    /// The sizes.
    pub const FULL: Scale = Scale {
        stream: 1 << 30,
        small_ops: 1000,
        small_size: 3000,
        list_entries: 1000,
        tree: (100, 100),
        moves: (10, 3),
    };
    /// A smoke run.
    pub const QUICK: Scale = Scale {
        stream: 64 << 20,
        small_ops: 200,
        small_size: 3000,
        list_entries: 200,
        tree: (20, 50),
        moves: (2, 1),
    };
}

/// One measured run.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Workload name.
    pub workload: String,
    /// Client name.
    pub client: String,
    /// Round, from 0.
    pub round: usize,
    /// Wall seconds.
    pub wall_s: f64,
    /// CPU seconds of the benchmark process.
    pub cpu_s: f64,
    /// Peak RSS growth during the run, MiB.
    pub rss_growth_mib: f64,
    /// Bytes moved (streams, moves), else 0.
    pub bytes: u64,
    /// Operations done.
    pub ops: u64,
    /// Latency of one operation, median and 99th percentile, microseconds (small operations).
    pub p50_us: Option<f64>,
    /// See `p50_us`.
    pub p99_us: Option<f64>,
}

/// What a workload reports besides its cost.
#[derive(Default, Clone)]
struct Done {
    bytes: u64,
    ops: u64,
    latencies: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let index = ((last as f64) * p).round() as usize;
    Some(sorted[index].as_secs_f64() * 1e6)
}

/// A turn in the stream rows: one of the crate's clients, or distribution's Go driver.
#[derive(Clone)]
enum StreamTurn {
    Client(Client),
    Go(GoDriver),
}

/// `items` in the order they take their turns in `round`: each round starts one further
/// along, so that no client always goes first (the one after a 1 GiB deletion, or the first
/// on a cold server).
fn in_turn<T: Clone>(items: &[T], round: usize) -> Vec<T> {
    let mut turns = items.to_vec();
    if !turns.is_empty() {
        let first = round % turns.len();
        turns.rotate_left(first);
    }
    turns
}

/// Runs the workloads.
pub struct Bench {
    /// The clients, in the order they take turns in the first round.
    pub clients: Vec<Client>,
    /// distribution's Go driver, the last to take its turn in the stream rows' first round.
    pub go_driver: Option<GoDriver>,
    /// Data.
    pub pool: Arc<DataPool>,
    /// Sizes.
    pub scale: Scale,
    /// Rounds per workload.
    pub rounds: usize,
    /// Every run so far.
    pub samples: Vec<Sample>,
}

impl Bench {
    fn record(&mut self, workload: &str, client: &str, round: usize, done: Done, cost: Cost) {
        let mut latencies = done.latencies;
        latencies.sort();
        let sample = Sample {
            workload: workload.to_string(),
            client: client.to_string(),
            round,
            wall_s: cost.wall.as_secs_f64(),
            cpu_s: cost.cpu,
            rss_growth_mib: cost.rss_growth,
            bytes: done.bytes,
            ops: done.ops,
            p50_us: percentile(&latencies, 0.5),
            p99_us: percentile(&latencies, 0.99),
        };
        eprintln!(
            "  {:<28} {:<11} round {round}: {:>8.3} s wall, {:>7.3} s CPU",
            sample.workload, sample.client, sample.wall_s, sample.cpu_s
        );
        self.samples.push(sample);
    }

    /// The workload groups (`streams`, `small`, `listings`, `moves`) that `only` names, or
    /// all of them.
    pub async fn run(&mut self, only: &[String]) -> Result<()> {
        let wanted = |group: &str| only.is_empty() || only.iter().any(|o| o == group);
        if wanted("streams") {
            self.streams().await.context("the stream rows")?;
        }
        if wanted("small") {
            self.small_operations().await.context("the small rows")?;
        }
        if wanted("listings") {
            self.listings().await.context("the listing rows")?;
        }
        if wanted("moves") {
            self.moves().await.context("the move rows")?;
        }
        Ok(())
    }

    /// (a) a writer of `stream` bytes in 1 MiB writes, chunksize 10 MiB; (b) reading it back.
    /// Every client, distribution's Go driver included, takes its turn; who goes first
    /// changes from round to round.
    async fn streams(&mut self) -> Result<()> {
        let mut turns: Vec<StreamTurn> = self
            .clients
            .iter()
            .cloned()
            .map(StreamTurn::Client)
            .collect();
        turns.extend(self.go_driver.clone().map(StreamTurn::Go));
        for round in 0..self.rounds {
            for turn in in_turn(&turns, round) {
                match turn {
                    StreamTurn::Client(client) => self.client_streams(&client, round).await?,
                    StreamTurn::Go(go) => self.go_streams(&go, round).await?,
                }
            }
        }
        Ok(())
    }

    /// One client's stream write (and the SDK's second one, with parts in flight), then its
    /// read of what it wrote.
    async fn client_streams(&mut self, client: &Client, round: usize) -> Result<()> {
        let size = self.scale.stream;
        let path = format!("/stream/{}-{round}", client.name());
        let pool = self.pool.clone();
        let (_, cost) = measure(client.write_stream(&path, &pool, size, 1 << 20, 10 << 20)).await?;
        self.record_stream("write", client.name(), round, size as u64, cost)?;
        if let Client::Sdk(sdk) = client {
            let parallel = format!("{path}-x{SDK_PARTS_IN_FLIGHT}");
            let blocks = pool.blocks(size, 1 << 20);
            let (_, cost) =
                measure(sdk.write_stream(&parallel, blocks, 10 << 20, SDK_PARTS_IN_FLIGHT)).await?;
            let name = format!("aws-sdk-s3 x{SDK_PARTS_IN_FLIGHT}");
            self.record_stream("write", &name, round, size as u64, cost)?;
            client.delete_files(vec![parallel]).await?;
        }
        tokio::time::sleep(SETTLE_BEFORE_READ).await;
        let (read, cost) = measure(client.read_stream(&path)).await?;
        self.record_stream("read", client.name(), round, read, cost)?;
        client.delete_files(vec![path]).await?;
        Ok(())
    }

    /// The Go driver's stream write and read, each in a process of its own.
    async fn go_streams(&mut self, go: &GoDriver, round: usize) -> Result<()> {
        let size = self.scale.stream;
        let path = format!("/stream/s3aws-{round}");
        let cost = go.write_stream(&path, size).await?;
        self.record_stream("write", go_driver::NAME, round, size as u64, cost)?;
        tokio::time::sleep(SETTLE_BEFORE_READ).await;
        let (read, cost) = go.read_stream(&path).await?;
        self.record_stream("read", go_driver::NAME, round, read, cost)?;
        go.delete(&path).await?;
        Ok(())
    }

    /// Records a stream `operation` (`write` or `read`) of `client` that moved `bytes`: all
    /// of the stream, or the run is an error.
    fn record_stream(
        &mut self,
        operation: &str,
        client: &str,
        round: usize,
        bytes: u64,
        cost: Cost,
    ) -> Result<()> {
        let size = self.scale.stream as u64;
        ensure!(
            bytes == size,
            "{client}'s {operation} moved {bytes} of {size} bytes"
        );
        let done = Done {
            bytes,
            ops: 1,
            ..Done::default()
        };
        let workload = format!("{operation} {} MiB", size >> 20);
        self.record(&workload, client, round, done, cost);
        Ok(())
    }

    /// (c) put, get and stat of small objects, one at a time and 16 at a time.
    async fn small_operations(&mut self) -> Result<()> {
        let (count, size) = (self.scale.small_ops, self.scale.small_size);
        for round in 0..self.rounds {
            for client in in_turn(&self.clients, round) {
                for parallel in [1, 16] {
                    let paths: Vec<String> = (0..count)
                        .map(|i| format!("/small/{}/{i}", client.name()))
                        .collect();
                    let suffix = if parallel == 1 {
                        "sequential"
                    } else {
                        "16 parallel"
                    };
                    for operation in ["put", "get", "stat"] {
                        let pool = self.pool.clone();
                        let (latencies, cost) =
                            measure(small(&client, operation, &paths, size, parallel, pool))
                                .await?;
                        let done = Done {
                            ops: count as u64,
                            latencies,
                            ..Done::default()
                        };
                        self.record(
                            &format!("{operation} {size} B {suffix}"),
                            client.name(),
                            round,
                            done,
                            cost,
                        );
                    }
                    client.delete_files(paths).await?;
                }
            }
        }
        Ok(())
    }

    /// (d) list of a directory of `list_entries` files; (e) walk and walk-parallel of a tree.
    async fn listings(&mut self) -> Result<()> {
        let setup = self.clients[0].clone();
        let entries: Vec<String> = (0..self.scale.list_entries)
            .map(|i| format!("/list/f{i}"))
            .collect();
        let (dirs, files) = self.scale.tree;
        let tree: Vec<String> = (0..dirs)
            .flat_map(|d| (0..files).map(move |f| format!("/tree/d{d}/f{f}")))
            .collect();
        put_all(&setup, &entries).await?;
        put_all(&setup, &tree).await?;
        for round in 0..self.rounds {
            for client in in_turn(&self.clients, round) {
                let (listed, cost) = measure(client.list("/list")).await?;
                ensure!(listed == entries.len(), "{} listed {listed}", client.name());
                let done = Done {
                    ops: listed as u64,
                    ..Done::default()
                };
                self.record(
                    &format!("list {} entries", entries.len()),
                    client.name(),
                    round,
                    done,
                    cost,
                );
                for parallel in [false, true] {
                    let (walked, cost) = measure(client.walk("/tree", parallel)).await?;
                    ensure!(walked >= tree.len(), "{} walked {walked}", client.name());
                    let name = if parallel { "walk-parallel" } else { "walk" };
                    let done = Done {
                        ops: walked as u64,
                        ..Done::default()
                    };
                    self.record(
                        &format!("{name} {} objects", tree.len()),
                        client.name(),
                        round,
                        done,
                        cost,
                    );
                }
            }
        }
        setup.delete_files(entries).await?;
        setup.delete_files(tree).await?;
        Ok(())
    }

    /// (f) moves of 1 MiB (CopyObject) and 64 MiB (multipart copy): in each round every
    /// client moves `scale.moves` objects of each size, the clients taking turns move by
    /// move; a round's sample is the sum of its moves, with their latencies.
    async fn moves(&mut self) -> Result<()> {
        let (small, large) = self.scale.moves;
        for (size, count) in [(1usize << 20, small), (64 << 20, large)] {
            for round in 0..self.rounds {
                let mut costs = vec![(Done::default(), Cost::default()); self.clients.len()];
                for _ in 0..count {
                    for (client, (done, total)) in self.clients.iter().zip(&mut costs) {
                        let (source, dest) = (
                            format!("/move/{}-src", client.name()),
                            format!("/move/{}-dst", client.name()),
                        );
                        client
                            .write_stream(&source, &self.pool, size, 1 << 20, 10 << 20)
                            .await?;
                        let (_, cost) =
                            measure(client.move_object(&source, &dest, size as u64)).await?;
                        ensure!(
                            client.stat(&dest).await? == size as u64,
                            "{} moved wrong",
                            client.name()
                        );
                        client.delete_files(vec![dest]).await?;
                        done.bytes += size as u64;
                        done.ops += 1;
                        done.latencies.push(cost.wall);
                        *total = *total + cost;
                    }
                }
                let workload = format!("move {} MiB", size >> 20);
                for (client, (done, total)) in self.clients.clone().iter().zip(costs) {
                    self.record(&workload, client.name(), round, done, total);
                }
            }
        }
        Ok(())
    }
}

/// `operation` on every path, `parallel` at a time; the latency of each.
async fn small(
    client: &Client,
    operation: &str,
    paths: &[String],
    size: usize,
    parallel: usize,
    pool: Arc<DataPool>,
) -> Result<Vec<Duration>> {
    let mut tasks = Vec::new();
    for lane in 0..parallel {
        let (client, operation, pool) = (client.clone(), operation.to_string(), pool.clone());
        let mine: Vec<(usize, String)> = paths
            .iter()
            .cloned()
            .enumerate()
            .skip(lane)
            .step_by(parallel)
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for (i, path) in mine {
                let started = Instant::now();
                match operation.as_str() {
                    "put" => client.put(&path, pool.block(i, size).to_vec()).await?,
                    "get" => ensure!(client.get(&path).await?.len() == size, "short get"),
                    _ => ensure!(client.stat(&path).await? == size as u64, "wrong stat"),
                }
                latencies.push(started.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(latencies)
}

/// Stores a 1-byte object at each path, 32 at a time.
async fn put_all(client: &Client, paths: &[String]) -> Result<()> {
    let mut tasks = Vec::new();
    for lane in 0..32 {
        let client = client.clone();
        let mine: Vec<String> = paths.iter().skip(lane).step_by(32).cloned().collect();
        tasks.push(tokio::spawn(async move {
            for path in mine {
                client.put(&path, b"x".to_vec()).await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}
