//! Progress on stderr while a command runs, shown only when stderr is a terminal and the
//! output is text: scripts and `--output json` see nothing of it.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::output::Format;

/// Whether progress is drawn at all.
pub fn wanted(format: Format) -> bool {
    format == Format::Text && std::io::stderr().is_terminal()
}

/// A bar counting the bytes of a transfer of `len` bytes (a spinner with bytes and rate when
/// the length is unknown, as for stdin). Wrap the reader with `wrap_async_read`.
pub fn transfer(format: Format, what: &str, len: Option<u64>) -> ProgressBar {
    if !wanted(format) {
        return ProgressBar::hidden();
    }
    let (bar, template) = match len {
        Some(len) => (
            ProgressBar::new(len),
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        ),
        None => (
            ProgressBar::no_length(),
            "{spinner} {msg} {bytes} {binary_bytes_per_sec}",
        ),
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A bar counting `count` cases of `s3drv check`; the message names the running case.
pub fn cases(format: Format, count: usize) -> ProgressBar {
    if !wanted(format) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(count as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed} {msg}")
            .expect("the template is valid"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
