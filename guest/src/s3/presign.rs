//! Presigned URLs (`url-for`, `redirect-url`): SigV4 query signing, or SigV2 for endpoints
//! configured with `v4auth: false`.

use std::time::{Duration, SystemTime};

use super::address::address;
use super::client::S3Client;
use super::{sigv2, sigv4};
use crate::config::SignatureVersion;
use crate::error::BackendError;
use crate::http::{Method, Transport};

impl<T: Transport> S3Client<T> {
    /// A presigned URL of `key` for `method`, valid `expires_in`. With `redirectendpoint`, its
    /// scheme and host replace the endpoint's before signing.
    pub fn presign(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, BackendError> {
        let mut address = address(&self.config, key, "");
        if let Some((secure, authority)) = &self.config.redirect {
            let scheme = if *secure { "https" } else { "http" };
            address.url = format!("{scheme}://{authority}{}", address.path_and_query);
            address.authority = authority.clone();
        }
        let credentials = self.credentials()?;
        let now = SystemTime::now();
        match self.config.signature {
            SignatureVersion::V4 => sigv4::presign(
                method.as_str(),
                &address.url,
                &credentials,
                &self.config.region,
                now,
                expires_in,
            ),
            SignatureVersion::V2 => {
                let path = self.sigv2_path(&address);
                let resource = sigv2::Resource {
                    path: &path,
                    query: &[],
                };
                Ok(sigv2::presign(
                    method.as_str(),
                    &address.url,
                    &resource,
                    &credentials,
                    now,
                    expires_in,
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::client_with as client;

    #[test]
    fn presigned_urls_use_the_redirect_endpoint() {
        let c = client(&[
            ("regionendpoint", "http://minio:9000"),
            ("redirectendpoint", "https://cdn.example.com"),
        ]);
        let url = c
            .presign(Method::Get, "blobs/x", Duration::from_secs(60))
            .unwrap();
        assert!(
            url.starts_with("https://cdn.example.com/b/blobs/x?X-Amz-"),
            "{url}"
        );
        let url = client(&[])
            .presign(Method::Get, "blobs/x", Duration::from_secs(60))
            .unwrap();
        assert!(
            url.starts_with("https://b.s3.us-east-1.amazonaws.com/blobs/x?"),
            "{url}"
        );
    }
}
