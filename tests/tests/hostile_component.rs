//! The sandbox against a hostile plugin: `tests/hostile-component` (`make hostile`) implements
//! the world and abuses it, one attack per tenant, while 10 honest tenants (the real
//! component) write and read back objects on the suite's server in the same process. Each
//! attack must be refused or contained with a typed error or a discarded instance, nothing
//! may reach the forbidden origin (a second loopback server, 127.0.0.2), and the honest
//! tenants must see no error and exact bytes. A flood of log events leaves a bounded number
//! of bounded lines; a flood of requests is held to the rate its parameters allow; a panic in
//! any export is a typed error.

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use s3drv_host::{Error, Limits, Runtime, Tenant};
use s3drv_tests::servers::{self, Endpoint};
use s3drv_tests::suite::{random_bytes, sha256};

/// A loopback server no driver is given: counts the connections it is sent.
struct Forbidden {
    url: String,
    connections: Arc<AtomicU64>,
}

fn forbidden_server() -> Result<Forbidden> {
    let listener = TcpListener::bind("127.0.0.2:0").context("binding 127.0.0.2")?;
    let url = format!("http://{}", listener.local_addr()?);
    let connections = Arc::new(AtomicU64::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    Ok(Forbidden { url, connections })
}

/// A writer appending to a shared buffer: the test's log.
struct KeptLog(Arc<Mutex<Vec<u8>>>);

impl Write for KeptLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the honest tenants did while the attacks ran.
#[derive(Default)]
struct Honest {
    rounds: AtomicU64,
    errors: AtomicU64,
}

/// 10 tenants writing, reading back and comparing 64 KiB objects until `stop`.
fn start_honest(
    runtime: Arc<Runtime>,
    endpoint: &Endpoint,
    root: &str,
    stop: Arc<AtomicBool>,
    seen: Arc<Honest>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..10)
        .map(|i| {
            let (runtime, stop, seen) = (runtime.clone(), stop.clone(), seen.clone());
            let params = endpoint.params(&format!("{root}/honest-{i}"));
            tokio::spawn(async move {
                let driver = match runtime
                    .open_for(&Tenant::new(format!("honest-{i}")), params)
                    .await
                {
                    Ok(driver) => driver,
                    Err(e) => {
                        eprintln!("honest-{i}: open: {e}");
                        seen.errors.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                };
                let mut round = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    let data = random_bytes(64 << 10, i as u64 * 1000 + round);
                    let path = format!("/object-{}", round % 4);
                    let checked = async {
                        driver.put_content(&path, data.clone()).await?;
                        let back = driver.get_content(&path).await?;
                        Ok::<bool, Error>(sha256(&back) == sha256(&data))
                    }
                    .await;
                    match checked {
                        Ok(true) => {}
                        Ok(false) => {
                            eprintln!("honest-{i}: {path} read back other bytes");
                            seen.errors.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => {
                            eprintln!("honest-{i}: {e}");
                            seen.errors.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    seen.rounds.fetch_add(1, Ordering::SeqCst);
                    round += 1;
                }
                let _ = driver.delete("/").await;
            })
        })
        .collect()
}

/// The attacks: the behaviour, what it tries, and the check of its outcome.
async fn attacks(
    hostile: &Runtime,
    endpoint: &Endpoint,
    forbidden: &Forbidden,
    log: &Mutex<Vec<u8>>,
) -> Result<()> {
    let params = |behaviour: &str| {
        vec![
            ("behaviour".to_string(), behaviour.to_string()),
            ("regionendpoint".into(), endpoint.url.clone()),
            ("bucket".into(), endpoint.bucket.clone()),
            ("accesskey".into(), "AK".into()),
            ("secretkey".into(), "SK".into()),
            ("forbidden".into(), forbidden.url.clone()),
        ]
    };
    let tenant = |name: &str| Tenant {
        limits: Limits {
            memory: 64 << 20,
            call_deadline: Duration::from_secs(2),
            ..Limits::default()
        },
        ..Tenant::new(name)
    };
    let outcome = |name: &str, what: &str| println!("hostile {name:<10} {what}");

    // Asking for more than the parameters give: refused at open.
    for (behaviour, asks) in [("greedy", &forbidden.url[..]), ("insecure", "TLS")] {
        match hostile
            .open_for(&tenant(behaviour), params(behaviour))
            .await
        {
            Err(Error::Refused(message)) if message.contains(asks) => {
                outcome(behaviour, &format!("refused at open: {message}"))
            }
            Err(e) => bail!("{behaviour}: refused with an unclear error: {e}"),
            Ok(_) => bail!("{behaviour}: a report asking for more was accepted"),
        }
    }

    // Sending where it was not allowed: refused before any connection.
    let sneaky = hostile
        .open_for(&tenant("sneaky"), params("sneaky"))
        .await?;
    match sneaky.stat("/x").await {
        Err(Error::Backend(e)) if e.code == "hostile" && e.message.contains("refused") => {
            outcome("sneaky", &format!("its GET got {}", e.message))
        }
        other => bail!("sneaky: {other:?}"),
    }

    // Reading what it was not granted: nothing there.
    let snoop = hostile.open_for(&tenant("snoop"), params("snoop")).await?;
    match snoop.stat("/x").await {
        Err(Error::Backend(e)) if e.message == "variable=None file=None" => {
            outcome("snoop", "saw no variable and no file")
        }
        other => bail!("snoop: {other:?}"),
    }

    // Panicking while opening or reporting its policy: the open fails, typed.
    for behaviour in ["panic-open", "panic-policy"] {
        match hostile
            .open_for(&tenant(behaviour), params(behaviour))
            .await
        {
            Err(Error::Component(e)) => {
                outcome(behaviour, &format!("open failed: {}", e.root_cause()))
            }
            Err(e) => bail!("{behaviour}: {e}"),
            Ok(_) => bail!("{behaviour}: opened"),
        }
    }

    // Panicking in every operation: each call traps and gets a typed error.
    let panicking = hostile.open_for(&tenant("panic"), params("panic")).await?;
    let mut trapped = Vec::new();
    for operation in [
        "get-content",
        "put-content",
        "reader",
        "writer",
        "list",
        "move",
        "delete",
        "delete-files",
        "url-for",
        "redirect-url",
        "walk",
        "walk-parallel",
    ] {
        let result = match operation {
            "stat" => panicking.stat("/x").await.map(drop),
            "get-content" => panicking.get_content("/x").await.map(drop),
            "put-content" => panicking.put_content("/x", vec![1]).await,
            "reader" => panicking.reader("/x", 0).await.map(drop),
            "writer" => panicking.writer("/x", false).await.map(drop),
            "list" => panicking.list("/x").await.map(drop),
            "move" => panicking.move_path("/x", "/y").await,
            "delete" => panicking.delete("/x").await,
            "delete-files" => panicking.delete_files(&["/x".into()]).await.map(drop),
            "url-for" => panicking.url_for("/x", "GET", None).await.map(drop),
            "redirect-url" => panicking.redirect_url("GET", "/x").await.map(drop),
            "walk" => panicking.walk("/x", None).await.map(drop),
            _ => panicking.walk_parallel("/x").await.map(drop),
        };
        match result {
            Err(Error::Component(_)) => trapped.push(operation),
            other => bail!("panic in {operation}: {other:?}"),
        }
    }
    outcome(
        "panic",
        &format!(
            "{} operations each trapped, typed: {}",
            trapped.len(),
            trapped.join(", ")
        ),
    );

    // Spinning (in its own code or in the host's checksum import), hoarding memory: the call
    // traps, the instance is discarded, and
    // the driver serves again from a new instance (which traps again, bounded again).
    for behaviour in ["spin", "checksum-spin", "hog"] {
        let driver = hostile
            .open_for(&tenant(behaviour), params(behaviour))
            .await?;
        for attempt in 1..=2 {
            let started = Instant::now();
            match tokio::time::timeout(Duration::from_secs(30), driver.stat("/x")).await {
                Ok(Err(Error::Component(e))) => outcome(
                    behaviour,
                    &format!(
                        "call {attempt} trapped after {:.1} s, instance discarded: {}",
                        started.elapsed().as_secs_f64(),
                        e.root_cause()
                    ),
                ),
                Ok(other) => bail!("{behaviour}: {other:?}"),
                Err(_) => bail!("{behaviour}: the call was not stopped within 30 s"),
            }
        }
    }

    // Flooding the log: a bounded number of lines, none longer than the budget's bytes.
    let flood = hostile
        .open_for(&tenant("flood-log"), params("flood-log"))
        .await?;
    let started = Instant::now();
    match flood.stat("/x").await {
        Err(Error::Backend(e)) if e.message == "flooded" => {}
        other => bail!("flood-log: {other:?}"),
    }
    let elapsed = started.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&log.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("flood-log")).collect();
    let longest = lines.iter().map(|l| l.len()).max().unwrap_or(0);
    ensure!(
        !lines.is_empty() && lines.len() <= 300 && longest <= 9 << 10,
        "flood-log: {} lines logged, the longest {longest} bytes",
        lines.len()
    );
    outcome(
        "flood-log",
        &format!(
            "100,001 events in {elapsed:.2} s: {} logged (the longest {longest} bytes), the rest dropped and counted",
            lines.len()
        ),
    );

    // Claiming more bytes than it passed: the read fails, nothing made up is delivered.
    let liar = hostile.open_for(&tenant("liar"), params("liar")).await?;
    let mut reader = liar.reader("/x", 0).await?;
    let mut delivered = 0;
    let failure = loop {
        match reader.chunk().await {
            Ok(Some(chunk)) => delivered += chunk.len(),
            Ok(None) => bail!("liar: the stream ended normally after {delivered} bytes"),
            Err(e) => break e,
        }
    };
    ensure!(
        delivered <= 16,
        "liar: {delivered} bytes delivered, 16 written"
    );
    outcome(
        "liar",
        &format!("read failed after {delivered} bytes: {failure}"),
    );

    // A huge answer: lifted within the instance's memory, or refused; never the process.
    let huge = hostile
        .open_for(&tenant("huge-list"), params("huge-list"))
        .await?;
    match huge.list("/x").await {
        Ok(entries) => outcome(
            "huge-list",
            &format!("{} entries returned within 64 MiB", entries.len()),
        ),
        Err(e) => outcome("huge-list", &format!("refused: {e}")),
    }

    // Batches ten times what the host asks for: refused, the instance discarded.
    let walking = hostile
        .open_for(&tenant("huge-walk"), params("huge-walk"))
        .await?;
    let mut walker = walking.walk("/", None).await?;
    match walker.next().await {
        Err(Error::Component(e)) => outcome("huge-walk", &format!("refused: {}", e.root_cause())),
        other => bail!("huge-walk: {other:?}"),
    }

    // Flooding its own endpoint: held to the parameters' rate (here 200 a second).
    let mut flooding = params("flood-requests");
    flooding.push(("maxrequestspersecond".into(), "200".into()));
    let flooder = Tenant {
        limits: Limits {
            call_deadline: Duration::from_secs(60),
            ..Limits::default()
        },
        ..Tenant::new("flood-requests")
    };
    let flood = hostile.open_for(&flooder, flooding).await?;
    let started = Instant::now();
    let answered = match flood.stat("/x").await {
        Err(Error::Backend(e)) if e.code == "hostile" => e.message,
        other => bail!("flood-requests: {other:?}"),
    };
    let elapsed = started.elapsed().as_secs_f64();
    ensure!(
        elapsed >= 3.0,
        "flood-requests: 700 requests in {elapsed:.2} s, faster than 200 a second"
    );
    outcome(
        "flood-requests",
        &format!("700 GETs took {elapsed:.2} s at 200 a second ({answered})"),
    );

    ensure!(
        forbidden.connections.load(Ordering::SeqCst) == 0,
        "the forbidden server got {} connections",
        forbidden.connections.load(Ordering::SeqCst)
    );
    outcome("all", "the forbidden origin got no connection");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let honest_component = servers::artifact(
        "S3DRV_COMPONENT",
        "target/wasm32-wasip2/release/s3drv_guest.wasm",
        "guest",
    )?;
    let hostile_component = servers::artifact(
        "S3DRV_HOSTILE_COMPONENT",
        "target/wasm32-wasip2/release/s3drv_hostile_component.wasm",
        "hostile",
    )?;
    // Set where the snooping component could read it if the sandbox passed the host's
    // environment through.
    // SAFETY: set before any other thread reads the environment.
    unsafe { std::env::set_var("S3DRV_HOSTILE_SECRET", "not for the component") };
    // What the drivers log, kept to count the flooding component's lines.
    let log = Arc::new(Mutex::new(Vec::new()));
    let kept = log.clone();
    tracing_subscriber::fmt()
        .with_env_filter("s3drv::driver=debug")
        .with_writer(move || KeptLog(kept.clone()))
        .init();
    let (_servers, endpoints) = servers::start_all()?;
    let endpoint = endpoints.first().context("no server")?;
    let forbidden = forbidden_server()?;
    let honest = Arc::new(Runtime::load(&honest_component)?);
    let hostile = Runtime::load(&hostile_component)?;
    let root = format!("s3drv-hostile/{}", std::process::id());
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Honest::default());
    let tasks = start_honest(honest, endpoint, &root, stop.clone(), seen.clone());
    let attacked = attacks(&hostile, endpoint, &forbidden, &log).await;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await?;
    }
    let (rounds, errors) = (
        seen.rounds.load(Ordering::SeqCst),
        seen.errors.load(Ordering::SeqCst),
    );
    println!(
        "honest tenants on {}: 10 tenants, {rounds} write-and-read rounds, {errors} errors",
        endpoint.name
    );
    attacked?;
    ensure!(
        errors == 0 && rounds >= 10,
        "honest tenants: {errors} errors in {rounds} rounds"
    );
    println!("\nhostile component: every attack refused or contained");
    Ok(())
}
