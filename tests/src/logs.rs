//! Everything the drivers log during a run, kept in memory so that cases can check what a
//! `loglevel` printed (and that no secret was ever printed). The runner installs [`capture`]
//! as the global `tracing` subscriber.

use std::io::Write;
use std::sync::Mutex;

static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// A writer appending to the capture.
pub struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        CAPTURED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing subscriber: every level of the drivers' events, plain text.
pub fn capture() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("s3drv=trace"))
        .with_ansi(false)
        .with_writer(|| CaptureWriter)
        .try_init();
}

/// Everything captured so far.
pub fn captured() -> String {
    String::from_utf8_lossy(&CAPTURED.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

/// The captured lines of tenant `tenant`.
pub fn lines_of(tenant: &str) -> Vec<String> {
    let field = format!("tenant=\"{tenant}\"");
    captured()
        .lines()
        .filter(|l| l.contains(&field))
        .map(String::from)
        .collect()
}
