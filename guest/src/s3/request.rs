//! One S3 API request before addressing and signing: [`S3Request`], the checksum its body
//! carries, and the attributes a new object is created with.

use crate::config::{Encryption, ObjectAttributes};
use crate::http::{Method, Payload};

/// Which checksum a request body carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyChecksum {
    /// No body, or the request sets its checksum header itself.
    None,
    /// `Content-MD5` whatever the configuration: XML request bodies (DeleteObjects requires
    /// it).
    Md5,
    /// Object data: the configured `checksum_algorithm`, nothing with `checksum_disabled`.
    Data,
}

/// One S3 API request before addressing and signing.
#[derive(Debug)]
pub struct S3Request {
    /// Method.
    pub method: Method,
    /// Object key; empty for bucket-level requests.
    pub key: String,
    /// Query parameters (unencoded); an empty value is sent as a bare name (`?uploads`).
    pub query: Vec<(&'static str, String)>,
    /// Extra headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Payload,
    /// Checksum of the body.
    pub checksum: BodyChecksum,
}

impl S3Request {
    /// A request without body.
    pub fn new(method: Method, key: impl Into<String>) -> Self {
        S3Request {
            method,
            key: key.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Payload::default(),
            checksum: BodyChecksum::None,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Adds the attributes of a new object (content type, ACL, encryption, storage class).
    pub fn with_attributes(mut self, attributes: &ObjectAttributes) -> Self {
        self = self.header("content-type", "application/octet-stream");
        if let Some(acl) = &attributes.acl {
            self = self.header("x-amz-acl", acl.clone());
        }
        match &attributes.encryption {
            None => {}
            Some(Encryption::Aes256) => {
                self = self.header("x-amz-server-side-encryption", "AES256")
            }
            Some(Encryption::Kms(key_id)) => {
                self = self.header("x-amz-server-side-encryption", "aws:kms");
                if let Some(id) = key_id {
                    self = self.header("x-amz-server-side-encryption-aws-kms-key-id", id.clone());
                }
            }
        }
        if let Some(class) = &attributes.storage_class {
            self = self.header("x-amz-storage-class", class.clone());
        }
        self
    }

    /// Sets the body and its checksum.
    pub fn body(mut self, body: impl Into<Payload>, checksum: BodyChecksum) -> Self {
        self.body = body.into();
        self.checksum = checksum;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(attributes: &ObjectAttributes) -> Vec<(String, String)> {
        S3Request::new(Method::Put, "k")
            .with_attributes(attributes)
            .headers
    }

    #[test]
    fn attributes_become_headers() {
        let all = ObjectAttributes {
            storage_class: Some("STANDARD_IA".into()),
            acl: Some("private".into()),
            encryption: Some(Encryption::Kms(Some("key-1".into()))),
        };
        let h = headers(&all);
        for expected in [
            ("content-type", "application/octet-stream"),
            ("x-amz-acl", "private"),
            ("x-amz-server-side-encryption", "aws:kms"),
            ("x-amz-server-side-encryption-aws-kms-key-id", "key-1"),
            ("x-amz-storage-class", "STANDARD_IA"),
        ] {
            assert!(
                h.contains(&(expected.0.to_string(), expected.1.to_string())),
                "{expected:?} missing from {h:?}"
            );
        }
    }

    #[test]
    fn omitted_attributes_send_no_header() {
        let h = headers(&ObjectAttributes::default());
        assert_eq!(
            h,
            [(
                "content-type".to_string(),
                "application/octet-stream".to_string()
            )]
        );
        let h = headers(&ObjectAttributes {
            encryption: Some(Encryption::Aes256),
            ..Default::default()
        });
        assert!(h.contains(&("x-amz-server-side-encryption".into(), "AES256".into())));
    }
}
