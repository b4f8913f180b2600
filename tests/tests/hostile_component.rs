//! The sandbox against a hostile plugin: `tests/hostile-component` (`make hostile`) implements
//! the world and abuses it, one attack per tenant, while 10 honest tenants (the real
//! component) write and read back objects on the suite's server in the same process. Each
//! attack must be refused or contained with a typed error or a discarded instance, nothing
//! may reach the forbidden origin (a second loopback server, 127.0.0.2), and the honest
//! tenants must see no error and exact bytes. A flood of log events leaves a bounded number
//! of bounded lines; a flood of requests is held to the rate its parameters allow and to the
//! tenant's ceiling of requests in flight; a panic in
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

/// A loopback HTTP server that answers every request after 50 ms: counts the most requests
/// it had at once. A GET of `/cut` is answered at once with a head announcing 1 GB (too
/// large for the host to take in whole and retry) and no body: the connection closes. Those
/// are counted in `cuts`.
struct Slow {
    url: String,
    busy: Arc<AtomicU64>,
    most: Arc<AtomicU64>,
    cuts: Arc<AtomicU64>,
}

fn slow_server() -> Result<Slow> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1")?;
    let url = format!("http://{}", listener.local_addr()?);
    let (busy, most) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let cuts = Arc::new(AtomicU64::new(0));
    let (counted, highest, cut) = (busy.clone(), most.clone(), cuts.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (busy, most, cuts) = (counted.clone(), highest.clone(), cut.clone());
            std::thread::spawn(move || answer_slowly(stream, &busy, &most, &cuts));
        }
    });
    Ok(Slow {
        url,
        busy,
        most,
        cuts,
    })
}

/// Answers the requests (bodiless GETs) of one connection, each after 50 ms; cuts a GET of
/// `/cut` short and closes the connection.
fn answer_slowly(
    stream: std::net::TcpStream,
    busy: &AtomicU64,
    most: &AtomicU64,
    cuts: &AtomicU64,
) {
    use std::io::BufRead;
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = std::io::BufReader::new(stream);
    loop {
        let mut line = String::new();
        let mut cut = false;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => cut |= line.starts_with("GET /cut "),
            }
        }
        if cut {
            cuts.fetch_add(1, Ordering::SeqCst);
            let _ = writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000000000\r\n\r\n");
            return;
        }
        let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        busy.fetch_sub(1, Ordering::SeqCst);
        if writer
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
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
        "stat",
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

    // Panicking in the resources' methods and drop: each trap is a typed error, and the
    // driver serves its next call from a fresh instance.
    let panicking = hostile
        .open_for(&tenant("panic-resources"), params("panic-resources"))
        .await?;
    let mut trapped = Vec::new();
    let typed = |method: &str, result: Result<(), Error>| match result {
        Err(Error::Component(_)) => Ok(()),
        other => Err(anyhow::anyhow!("panic in {method}: {other:?}")),
    };
    // `body` is called as the reader opens.
    typed("body", panicking.reader("/x", 0).await.map(drop))?;
    trapped.push("body");
    for method in ["write", "size", "close", "commit", "cancel"] {
        let mut writer = panicking.writer("/x", false).await?;
        let result = match method {
            "write" => writer.write(b"x").await,
            "size" => writer.size().await.map(drop),
            "close" => writer.close().await,
            "commit" => writer.commit().await,
            _ => writer.cancel().await,
        };
        typed(method, result)?;
        trapped.push(method);
    }
    let mut walker = panicking.walk("/panic-next", None).await?;
    typed("next-batch", walker.next().await.map(drop))?;
    trapped.push("next-batch");
    let mut walker = panicking.walk("/x", None).await?;
    ensure!(
        walker.next().await?.is_some_and(|e| e.is_dir),
        "no directory"
    );
    typed("skip-directory", walker.skip_directory().await)?;
    trapped.push("skip-directory");
    // The walk ends and the walker is dropped in the guest, which panics there.
    let walker = panicking.walk("/x", None).await?;
    ensure!(walker.collect().await?.len() == 1, "one entry");
    trapped.push("walker drop");
    match panicking.stat("/x").await {
        Err(Error::UnsupportedMethod) => {}
        other => bail!("panic-resources: the next call got {other:?}"),
    }
    outcome(
        "panic-resources",
        &format!(
            "{} resource methods each trapped, typed, the instance discarded: {}; the next call served",
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

    // Bodies that break off before their first byte, resumed forever: the host gives up after
    // 8 resumes without a byte, and a read after that fails too, naming the path.
    let slow = slow_server()?;
    let mut resuming = params("resume-forever");
    resuming.retain(|(key, _)| key != "regionendpoint");
    resuming.push(("regionendpoint".into(), slow.url.clone()));
    let resumer = hostile
        .open_for(&tenant("resume-forever"), resuming)
        .await?;
    let mut reader = resumer.reader("/x", 0).await?;
    let failure = match reader.chunk().await {
        Err(e) => e,
        other => bail!("resume-forever: the first read gave {other:?}"),
    };
    let cuts = slow.cuts.load(Ordering::SeqCst);
    ensure!(
        failure.to_string().contains("8 times without a byte") && cuts == 9,
        "resume-forever: after {cuts} broken bodies: {failure}"
    );
    match reader.chunk().await {
        Err(again) if again.to_string().contains("/x") => {}
        other => bail!("resume-forever: a read after the failure gave {other:?}"),
    }
    outcome(
        "resume-forever",
        &format!("read failed after {cuts} broken bodies: {failure}"),
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

    // 200 requests handed over at once: without a ceiling they are all on the wire together
    // (the slow server sees that many at once); with the tenant's ceiling of 8, never more.
    for ceiling in [None, Some(8)] {
        let mut at_once = params("flood-at-once");
        at_once.retain(|(key, _)| key != "regionendpoint");
        at_once.push(("regionendpoint".into(), slow.url.clone()));
        let mut flooder = tenant("flood-at-once");
        flooder.limits.call_deadline = Duration::from_secs(60);
        flooder.policy.max_requests_in_flight = ceiling;
        slow.most.store(0, Ordering::SeqCst);
        let flood = hostile.open_for(&flooder, at_once).await?;
        let started = Instant::now();
        let answered = match flood.stat("/x").await {
            Err(Error::Backend(e)) if e.code == "hostile" => e.message,
            other => bail!("flood-at-once: {other:?}"),
        };
        let elapsed = started.elapsed().as_secs_f64();
        let most = slow.most.load(Ordering::SeqCst);
        ensure!(
            answered == "200 of 200 answered",
            "flood-at-once: {answered}"
        );
        match ceiling {
            None => ensure!(
                most > 8,
                "flood-at-once: without a ceiling the server saw only {most} at once"
            ),
            Some(ceiling) => ensure!(
                most <= ceiling as u64 && slow.busy.load(Ordering::SeqCst) == 0,
                "flood-at-once: {most} requests at once, the tenant allows {ceiling}"
            ),
        }
        outcome(
            "flood-at-once",
            &format!(
                "200 GETs handed over at once, ceiling {}: at most {most} in flight, {elapsed:.2} s ({answered})",
                ceiling.map_or("none".to_string(), |c| c.to_string())
            ),
        );
    }

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
    let (_servers, endpoints) = servers::start_garage_and_moto()?;
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
