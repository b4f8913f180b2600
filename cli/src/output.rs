//! How results and failures are printed (`--output text|json`) and the exit status each
//! failure gives.

use std::process::ExitCode;

use s3drv_host::Error;

/// `--output`: for people, or one JSON document per command (JSON Lines for `walk`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain text.
    Text,
    /// JSON on stdout; failures as a JSON object on stderr.
    Json,
}

/// Exit statuses, as documented in `--help` and the README.
pub const EXIT_STATUSES: &str = "Exit status:
  0  success
  1  the operation failed (S3 refused it, the network failed, the path is invalid), or
     `check` found a failing case or could not clean up
  2  usage error: bad flags, unreadable --config, invalid driver parameters
  3  path not found
  141 stdout was closed before everything was printed (`s3drv walk / | head -1`), as for
     a tool ended by SIGPIPE; nothing more is printed";

/// A failure and the exit status it gives.
#[derive(Debug)]
pub enum Failure {
    /// Bad flags, an unreadable file, invalid driver parameters: exit 2. The whole message.
    Usage(String),
    /// Nothing at the path: exit 3.
    NotFound(String),
    /// Stdout was closed (the reader of a pipe went away): exit 141, quietly.
    ClosedOutput,
    /// Anything else the operation failed with: exit 1.
    Failed {
        /// The error's kind (the WIT variant name, or `io` / `check`).
        kind: &'static str,
        /// The message.
        message: String,
    },
}

impl Failure {
    /// A usage error of s3drv itself (not of the driver).
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Failure::Usage(format!("s3drv: {message}"))
    }

    /// A failure of kind `kind`.
    pub fn failed(kind: &'static str, message: impl Into<String>) -> Self {
        Failure::Failed {
            kind,
            message: message.into(),
        }
    }

    /// A failure to write to stdout: [`Failure::ClosedOutput`] when the reader went away.
    pub fn writing_stdout(e: &std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::BrokenPipe => Failure::ClosedOutput,
            _ => Failure::failed("io", format!("s3drv: writing stdout: {e}")),
        }
    }

    /// Prints the failure on stderr in `format` and returns its exit status.
    pub fn report(self, format: Format) -> ExitCode {
        let (kind, message, status) = match self {
            Failure::ClosedOutput => return ExitCode::from(141),
            Failure::Usage(message) => ("usage", message, 2),
            Failure::NotFound(message) => ("path-not-found", message, 3),
            Failure::Failed { kind, message } => (kind, message, 1),
        };
        match format {
            Format::Text => eprintln!("{message}"),
            Format::Json => eprintln!(
                "{}",
                serde_json::json!({ "error": { "kind": kind, "message": message } })
            ),
        }
        ExitCode::from(status)
    }
}

impl From<&Error> for Failure {
    fn from(e: &Error) -> Self {
        match e {
            Error::PathNotFound(_) => Failure::NotFound(e.to_string()),
            Error::Config(_) => Failure::Usage(e.to_string()),
            _ => Failure::failed(e.kind(), e.to_string()),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::from(&e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        // The driver's own errors travel inside io errors through AsyncRead/AsyncWrite.
        match e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
            Some(driver) => Failure::from(driver),
            None => Failure::failed("io", format!("s3drv: {e}")),
        }
    }
}

/// Prints `json()` in JSON mode, else `text()` (nothing when it is empty); only the one
/// printed is built.
pub fn print(
    format: Format,
    text: impl FnOnce() -> String,
    json: impl FnOnce() -> serde_json::Value,
) -> Result<(), Failure> {
    match format {
        Format::Json => print_line(json()),
        Format::Text => {
            let text = text();
            match text.is_empty() {
                true => Ok(()),
                false => print_line(text),
            }
        }
    }
}

/// Writes `line` and a newline to stdout.
pub fn print_line(line: impl std::fmt::Display) -> Result<(), Failure> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}").map_err(|e| Failure::writing_stdout(&e))
}
