//! The tenant's [`Environment`], and the credentials it holds in `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` (or the older `AWS_ACCESS_KEY` / `AWS_SECRET_KEY`) and
//! `AWS_SESSION_TOKEN`.

use super::keys::{Credentials, Lookup};

/// What the tenant's environment holds: variables and files, as far as the host granted them.
pub trait Environment {
    /// The value of variable `name`, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
    /// The contents of the file at `path`.
    fn read_file(&self, path: &str) -> std::io::Result<String>;
}

/// The process environment: in the component, what the host granted.
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn read_file(&self, path: &str) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// The environment's static credentials, if both keys are set.
pub(super) fn find(env: &dyn Environment) -> Lookup {
    let access_key = env
        .var("AWS_ACCESS_KEY_ID")
        .or_else(|| env.var("AWS_ACCESS_KEY"));
    let secret_key = env
        .var("AWS_SECRET_ACCESS_KEY")
        .or_else(|| env.var("AWS_SECRET_KEY"));
    match (access_key, secret_key) {
        (Some(access_key), Some(secret_key)) => Lookup::Found(Credentials {
            access_key,
            secret_key,
            session_token: env.var("AWS_SESSION_TOKEN"),
            expires: None,
        }),
        _ => Lookup::NotConfigured(
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both in the environment".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::testing::MapEnvironment;

    #[test]
    fn both_keys_needed() {
        let mut env = MapEnvironment(HashMap::from([("AWS_ACCESS_KEY".into(), "AK".into())]));
        assert!(matches!(find(&env), Lookup::NotConfigured(_)));
        env.0.insert("AWS_SECRET_ACCESS_KEY".into(), "SK".into());
        env.0.insert("AWS_SESSION_TOKEN".into(), "T".into());
        let Lookup::Found(c) = find(&env) else {
            panic!()
        };
        assert_eq!(
            (c.access_key.as_str(), c.session_token.as_deref()),
            ("AK", Some("T"))
        );
    }
}
