//! Credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (or the older `AWS_ACCESS_KEY`
//! / `AWS_SECRET_KEY`) and `AWS_SESSION_TOKEN`.

use super::{Credentials, Environment, Found};

/// The environment's static credentials, if both keys are set.
pub(super) fn find(env: &dyn Environment) -> Found {
    let access_key = env
        .var("AWS_ACCESS_KEY_ID")
        .or_else(|| env.var("AWS_ACCESS_KEY"));
    let secret_key = env
        .var("AWS_SECRET_ACCESS_KEY")
        .or_else(|| env.var("AWS_SECRET_KEY"));
    match (access_key, secret_key) {
        (Some(access_key), Some(secret_key)) => Found::Yes(Credentials {
            access_key,
            secret_key,
            session_token: env.var("AWS_SESSION_TOKEN"),
            expires: None,
        }),
        _ => Found::NotHere(
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both in the environment".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::credentials::tests::MapEnvironment;

    #[test]
    fn both_keys_needed() {
        let mut env = MapEnvironment(HashMap::from([("AWS_ACCESS_KEY".into(), "AK".into())]));
        assert!(matches!(find(&env), Found::NotHere(_)));
        env.0.insert("AWS_SECRET_ACCESS_KEY".into(), "SK".into());
        env.0.insert("AWS_SESSION_TOKEN".into(), "T".into());
        let Found::Yes(c) = find(&env) else { panic!() };
        assert_eq!(
            (c.access_key.as_str(), c.session_token.as_deref()),
            ("AK", Some("T"))
        );
    }
}
