//! The credential chain on real peers: keys from a granted environment (checked by Garage's
//! signature verification), and instance-role, web-identity and container credentials served
//! by moto's instance metadata and STS.

use anyhow::{Result, ensure};
use s3drv_host::{Error, Tenant};

use super::Ctx;

/// The case's parameters without `accesskey` and `secretkey`.
fn params_without_keys(c: &Ctx) -> Vec<(String, String)> {
    c.endpoint
        .params(&c.root)
        .into_iter()
        .filter(|(k, _)| k != "accesskey" && k != "secretkey")
        .collect()
}

/// Writes, reads back and deletes a file; returns a presigned URL of it made on the way.
async fn round_trip(driver: &s3drv_host::Driver) -> Result<String> {
    driver
        .put_content("/creds/file", b"credentials".to_vec())
        .await?;
    ensure!(
        driver.get_content("/creds/file").await? == b"credentials",
        "read other data"
    );
    let url = driver.url_for("/creds/file", "GET", None).await?;
    driver.delete("/creds").await?;
    Ok(url)
}

/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` granted by the host sign the requests (a
/// server that verifies signatures proves they were used).
pub async fn credentials_from_granted_environment(c: &Ctx) -> Result<()> {
    let tenant = Tenant::new("env")
        .with_var("AWS_ACCESS_KEY_ID", &c.endpoint.access_key)
        .with_var("AWS_SECRET_ACCESS_KEY", &c.endpoint.secret_key)
        .with_var("AWS_EC2_METADATA_DISABLED", "true");
    let driver = c.runtime.open_for(&tenant, params_without_keys(c)).await?;
    let url = round_trip(&driver).await?;
    ensure!(
        url.contains(&format!("X-Amz-Credential={}%2F", c.endpoint.access_key)),
        "the environment's key did not sign: {url}"
    );
    Ok(())
}

/// Without keys and without grants, the first request fails with `NoCredentials` naming
/// every source it tried (instance metadata is refused by the host, not waited for).
pub async fn no_credentials_named_clearly(c: &Ctx) -> Result<()> {
    let driver = c.runtime.open(params_without_keys(c)).await?;
    let started = std::time::Instant::now();
    match driver.stat("/anything").await {
        Err(Error::Backend(e)) if e.code == "NoCredentials" => {
            for source in [
                "AWS_ACCESS_KEY_ID",
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS",
                "instance metadata",
            ] {
                ensure!(
                    e.message.contains(source),
                    "{source} not named: {}",
                    e.message
                );
            }
        }
        other => anyhow::bail!("expected NoCredentials, got {other:?}"),
    }
    ensure!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    Ok(())
}

/// EC2 instance-role credentials through IMDSv2 (moto's instance metadata).
pub async fn instance_role_credentials(c: &Ctx) -> Result<()> {
    let tenant = Tenant {
        instance_metadata: true,
        ..Tenant::new("instance-role")
    }
    .with_var("AWS_EC2_METADATA_SERVICE_ENDPOINT", &c.endpoint.url);
    let driver = c.runtime.open_for(&tenant, params_without_keys(c)).await?;
    let url = round_trip(&driver).await?;
    ensure!(
        url.contains("X-Amz-Credential=test-key%2F")
            && url.contains("X-Amz-Security-Token=test-session-token"),
        "the instance role's credentials did not sign: {url}"
    );
    Ok(())
}

/// Web identity: the token file exchanged with STS AssumeRoleWithWebIdentity (moto's STS).
pub async fn web_identity_credentials(c: &Ctx) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl")?;
    let tenant = Tenant::new("web-identity")
        .with_var("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_string_lossy())
        .with_var("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/registry")
        .with_var("AWS_ENDPOINT_URL_STS", &c.endpoint.url)
        .with_var("AWS_EC2_METADATA_DISABLED", "true");
    let driver = c.runtime.open_for(&tenant, params_without_keys(c)).await?;
    let url = round_trip(&driver).await?;
    ensure!(
        url.contains("X-Amz-Credential=ASIA") && url.contains("X-Amz-Security-Token="),
        "STS credentials did not sign: {url}"
    );
    Ok(())
}

/// Container credentials from `AWS_CONTAINER_CREDENTIALS_FULL_URI` with an authorization
/// token (moto's credentials document at that URL).
pub async fn container_credentials(c: &Ctx) -> Result<()> {
    let uri = format!(
        "{}/latest/meta-data/iam/security-credentials/default-role",
        c.endpoint.url
    );
    let tenant = Tenant::new("container")
        .with_var("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri)
        .with_var("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token")
        .with_var("AWS_EC2_METADATA_DISABLED", "true");
    let driver = c.runtime.open_for(&tenant, params_without_keys(c)).await?;
    let url = round_trip(&driver).await?;
    ensure!(
        url.contains("X-Amz-Credential=test-key%2F"),
        "container credentials did not sign: {url}"
    );
    Ok(())
}
