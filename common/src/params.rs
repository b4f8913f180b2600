//! Reading typed values out of the driver's parameter map, collecting every problem with its
//! key. The guest reads its whole configuration with it; the host reads the endpoint
//! parameters with it ([`crate::endpoint`]) to compute where a driver may send requests.
//!
//! Values arrive as strings (the host prints YAML booleans and numbers as YAML would), so
//! `true` and `"true"` are the same boolean, and `10485760` and `"10485760"` the same number.

/// One problem in the driver's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The parameter key.
    pub key: String,
    /// What is wrong and what is accepted.
    pub message: String,
}

/// Reads parameters and collects problems.
///
/// ```
/// use s3drv_common::params::Values;
/// let params = vec![("Secure".to_string(), "false".to_string()), ("chunksize".to_string(), "1".to_string())];
/// let mut v = Values::new(&params);
/// assert!(!v.bool("secure", true));
/// assert_eq!(v.integer("chunksize", 10, 5, 100), 10);
/// assert_eq!(v.problems[0].key, "chunksize");
/// ```
pub struct Values<'a> {
    params: &'a [(String, String)],
    /// Problems found so far, in the order met.
    pub problems: Vec<ConfigProblem>,
}

impl<'a> Values<'a> {
    /// A reader of `params` (later duplicates win; keys are case-insensitive).
    pub fn new(params: &'a [(String, String)]) -> Self {
        Values {
            params,
            problems: Vec::new(),
        }
    }

    /// The raw value of `key`, if present.
    pub fn raw(&self, key: &str) -> Option<&'a str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The trimmed value of `key`; absent or blank is `None`.
    pub fn string(&self, key: &str) -> Option<String> {
        self.raw(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    }

    /// Records a problem with `key`.
    pub fn problem(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            key: key.into(),
            message: message.into(),
        });
    }

    /// A boolean (Go's `strconv.ParseBool` spellings, as the reference drivers accept).
    pub fn bool(&mut self, key: &str, default: bool) -> bool {
        let Some(v) = self.string(key) else {
            return default;
        };
        match v.as_str() {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
            "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
            _ => {
                self.problem(
                    key,
                    format!("{v:?} is not a boolean (accepted: true or false)"),
                );
                default
            }
        }
    }

    /// A decimal whole number in `[min, max]`.
    pub fn integer(&mut self, key: &str, default: u64, min: u64, max: u64) -> u64 {
        let Some(v) = self.string(key) else {
            return default;
        };
        match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                self.problem(
                    key,
                    format!("{v:?} is not a whole number between {min} and {max} (inclusive)"),
                );
                default
            }
        }
    }

    /// One of `accepted`, compared after upper-casing when `case_insensitive`.
    pub fn one_of(
        &mut self,
        key: &str,
        accepted: &[&'static str],
        case_insensitive: bool,
    ) -> Option<&'static str> {
        let v = self.string(key)?;
        let wanted = if case_insensitive {
            v.to_ascii_uppercase()
        } else {
            v.clone()
        };
        match accepted.iter().find(|a| **a == wanted) {
            Some(found) => Some(found),
            None => {
                self.problem(key, format!("{v:?} is not one of {}", accepted.join(", ")));
                None
            }
        }
    }
}
