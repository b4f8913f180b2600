//! aws-sdk-s3 doing the same S3 requests as the driver: what a Rust registry would use
//! instead. Defaults are kept (the SDK's own checksums and retries), TLS via rustls/ring.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier,
};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use s3drv_tests::servers::Endpoint;
use tokio::task::JoinHandle;

/// One SDK client on the bench's bucket and root.
#[derive(Clone)]
pub struct SdkClient {
    s3: aws_sdk_s3::Client,
    bucket: String,
    /// Key prefix of the bench's root directory, without a trailing slash.
    root: String,
}

impl SdkClient {
    /// A client for `endpoint`, keys under `root`.
    pub fn new(endpoint: &Endpoint, root: &str) -> SdkClient {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let config = aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(Region::new(endpoint.region.clone()))
            .endpoint_url(&endpoint.url)
            .force_path_style(true)
            .credentials_provider(Credentials::new(
                &endpoint.access_key,
                &endpoint.secret_key,
                None,
                None,
                "bench",
            ))
            .http_client(http)
            // Garage was seen holding an UploadPart forever under load: an attempt without
            // an answer is retried (the SDK has no attempt timeout of its own).
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            )
            .build();
        SdkClient {
            s3: aws_sdk_s3::Client::from_conf(config),
            bucket: endpoint.bucket.clone(),
            root: root.trim_matches('/').to_string(),
        }
    }

    fn key(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }

    /// A multipart upload of `blocks` in parts of `part_size`, up to `in_flight` parts sent
    /// at once (the oldest awaited first when one more is ready).
    pub async fn write_stream(
        &self,
        path: &str,
        blocks: impl Iterator<Item = &[u8]>,
        part_size: usize,
        in_flight: usize,
    ) -> Result<()> {
        let key = self.key(path);
        // The SDK checksums each part with CRC32 by default; the upload declares it so that
        // the server keeps the part checksums the completion repeats.
        let upload = self
            .s3
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&key)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await?;
        let id = upload.upload_id().context("no upload id")?.to_string();
        let mut parts = Vec::new();
        let mut sent: VecDeque<JoinHandle<Result<CompletedPart>>> = VecDeque::new();
        let mut buffer = Vec::with_capacity(part_size);
        let mut blocks = blocks.peekable();
        let mut number = 0;
        while let Some(block) = blocks.next() {
            buffer.extend_from_slice(block);
            if buffer.len() < part_size && blocks.peek().is_some() {
                continue;
            }
            if sent.len() >= in_flight
                && let Some(oldest) = sent.pop_front()
            {
                parts.push(oldest.await??);
            }
            number += 1;
            let body = std::mem::replace(&mut buffer, Vec::with_capacity(part_size));
            let request = self
                .s3
                .upload_part()
                .bucket(&self.bucket)
                .key(&key)
                .upload_id(&id)
                .part_number(number)
                .body(ByteStream::from(body));
            sent.push_back(tokio::spawn(async move {
                let part = request.send().await?;
                Ok(CompletedPart::builder()
                    .set_e_tag(part.e_tag().map(String::from))
                    .set_checksum_crc32(part.checksum_crc32().map(String::from))
                    .part_number(number)
                    .build())
            }));
        }
        for part in sent {
            parts.push(part.await??);
        }
        self.complete(&key, &id, parts).await
    }

    /// CompleteMultipartUpload of `parts`.
    async fn complete(&self, key: &str, id: &str, parts: Vec<CompletedPart>) -> Result<()> {
        self.s3
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await?;
        Ok(())
    }

    /// Streams the object at `path`, returns its size.
    pub async fn read_stream(&self, path: &str) -> Result<u64> {
        let mut body = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(path))
            .send()
            .await?
            .body;
        let mut size = 0;
        while let Some(bytes) = body.try_next().await? {
            size += bytes.len() as u64;
        }
        Ok(size)
    }

    /// PutObject.
    pub async fn put(&self, path: &str, data: Vec<u8>) -> Result<()> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(path))
            .body(ByteStream::from(data))
            .send()
            .await?;
        Ok(())
    }

    /// GetObject, whole.
    pub async fn get(&self, path: &str) -> Result<Vec<u8>> {
        let object = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(path))
            .send()
            .await?;
        Ok(object.body.collect().await?.to_vec())
    }

    /// HeadObject: the size.
    pub async fn stat(&self, path: &str) -> Result<u64> {
        let head = self
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(self.key(path))
            .send()
            .await?;
        Ok(head.content_length().unwrap_or_default() as u64)
    }

    /// Keys (and, with `delimiter`, common prefixes) under directory `dir`, every page.
    pub async fn list(&self, dir: &str, delimiter: bool) -> Result<usize> {
        let prefix = format!("{}/", self.key(dir).trim_end_matches('/'));
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .set_delimiter(delimiter.then(|| "/".to_string()))
            .into_paginator()
            .send();
        let mut count = 0;
        while let Some(page) = pages.next().await {
            let page = page?;
            count += page.contents().len() + page.common_prefixes().len();
        }
        Ok(count)
    }

    /// CopyObject up to 32 MiB (the driver's default threshold), else a multipart copy in
    /// 32 MiB parts, all in flight; then DeleteObject of the source.
    pub async fn move_object(&self, source: &str, dest: &str, size: u64) -> Result<()> {
        const PART: u64 = 32 << 20;
        let copy_source = format!("{}/{}", self.bucket, self.key(source));
        let dest_key = self.key(dest);
        if size <= PART {
            self.s3
                .copy_object()
                .bucket(&self.bucket)
                .key(&dest_key)
                .copy_source(&copy_source)
                .send()
                .await?;
        } else {
            let upload = self
                .s3
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(&dest_key)
                .send()
                .await?;
            let id = upload.upload_id().context("no upload id")?;
            let copies = (0..size.div_ceil(PART)).map(|i| {
                let range = format!("bytes={}-{}", i * PART, ((i + 1) * PART).min(size) - 1);
                self.s3
                    .upload_part_copy()
                    .bucket(&self.bucket)
                    .key(&dest_key)
                    .upload_id(id)
                    .part_number(i as i32 + 1)
                    .copy_source(&copy_source)
                    .copy_source_range(range)
                    .send()
            });
            let mut parts = Vec::new();
            for (i, copied) in futures::future::try_join_all(copies)
                .await?
                .into_iter()
                .enumerate()
            {
                let etag = copied
                    .copy_part_result()
                    .and_then(|r| r.e_tag().map(String::from));
                parts.push(
                    CompletedPart::builder()
                        .set_e_tag(etag)
                        .part_number(i as i32 + 1)
                        .build(),
                );
            }
            self.complete(&dest_key, id, parts).await?;
        }
        self.s3
            .delete_object()
            .bucket(&self.bucket)
            .key(self.key(source))
            .send()
            .await?;
        Ok(())
    }

    /// DeleteObjects of `paths`, 1,000 per request.
    pub async fn delete_files(&self, paths: &[String]) -> Result<()> {
        for batch in paths.chunks(1000) {
            let objects = batch
                .iter()
                .map(|p| ObjectIdentifier::builder().key(self.key(p)).build())
                .collect::<Result<Vec<_>, _>>()?;
            self.s3
                .delete_objects()
                .bucket(&self.bucket)
                .delete(
                    Delete::builder()
                        .set_objects(Some(objects))
                        .quiet(true)
                        .build()?,
                )
                .send()
                .await?;
        }
        Ok(())
    }
}
