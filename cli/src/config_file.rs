//! Driver parameters from YAML: a registry configuration file (its `storage: s3:` block) or a
//! flat map of parameters. Values become strings as the registry's environment overrides
//! would give them (`true`, `10485760`), which the driver accepts like YAML-typed values.

use std::path::Path;

use serde_norway::Value;

/// Why a configuration file could not be used.
///
/// ```
/// let e = s3drv_cli::config_file::read("/nonexistent/registry.yml".as_ref()).unwrap_err();
/// assert!(e.to_string().starts_with("cannot read /nonexistent/registry.yml"));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not YAML, or not a map.
    #[error("{path} is not a YAML map of parameters: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads parameters from the YAML file at `path`.
///
/// ```no_run
/// # fn demo() -> Result<(), s3drv_cli::config_file::ConfigFileError> {
/// let params = s3drv_cli::config_file::read("/etc/docker/registry/config.yml".as_ref())?;
/// # Ok(()) }
/// ```
pub fn read(path: &Path) -> Result<Vec<(String, String)>, ConfigFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text).map_err(|message| ConfigFileError::Parse {
        path: path.display().to_string(),
        message,
    })
}

/// Parses parameters from YAML text: `storage.s3` (or `storage.s3aws`) of a registry
/// configuration when present, else the top-level map.
///
/// ```
/// let yaml = "storage:\n  s3:\n    bucket: registry\n    secure: true\n";
/// let params = s3drv_cli::config_file::parse(yaml).unwrap();
/// let expected = [("bucket", "registry"), ("secure", "true")].map(|(k, v)| (k.into(), v.into()));
/// assert_eq!(params, expected);
/// ```
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let document: Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    let storage = document.get("storage");
    let block = match storage.and_then(|s| s.get("s3").or_else(|| s.get("s3aws"))) {
        Some(block) => block,
        None if storage.is_some() => return Err("the storage section has no s3 block".into()),
        None => &document,
    };
    let Value::Mapping(map) = block else {
        return Err("expected a map of parameters".into());
    };
    map.iter()
        .map(|(key, value)| {
            let key = scalar(key).ok_or("a parameter name is not a string")?;
            let value =
                scalar(value).ok_or_else(|| format!("parameter {key} is not a single value"))?;
            Ok((key.to_ascii_lowercase(), value))
        })
        .collect()
}

/// A YAML scalar as the string an environment override would give; `None` for a map or a list.
pub fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_configuration_file() {
        let text = "version: 0.1\nstorage:\n  s3:\n    bucket: registry\n    secure: false\n    chunksize: 10485760\n  redirect:\n    disable: true\n";
        let params = parse(text).unwrap();
        assert_eq!(
            params,
            [
                ("bucket".into(), "registry".into()),
                ("secure".into(), "false".into()),
                ("chunksize".into(), "10485760".into())
            ]
        );
    }

    #[test]
    fn flat_map_and_errors() {
        assert_eq!(
            parse("Region: us-east-1\n").unwrap(),
            [("region".to_string(), "us-east-1".to_string())]
        );
        assert!(
            parse("storage:\n  filesystem: {}\n")
                .unwrap_err()
                .contains("no s3 block")
        );
        assert!(parse("- a\n- b\n").unwrap_err().contains("map"));
        assert!(parse("bucket: [a, b]\n").unwrap_err().contains("bucket"));
    }
}
