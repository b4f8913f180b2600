//! S3 XML documents: the answers the driver reads and the two request bodies it writes.

use serde::Deserialize;

use crate::checksum::ChecksumAlgorithm;

/// One stored part of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// 1-based part number.
    pub number: u32,
    /// The part's ETag.
    pub etag: String,
    /// Size in bytes.
    pub size: u64,
    /// The additional checksum CompleteMultipartUpload must repeat.
    pub checksum: Option<(ChecksumAlgorithm, String)>,
}

impl Part {
    /// A part as ListParts reports it, with the checksum of the configured algorithm.
    pub fn listed(part: ListedPart, algorithm: Option<ChecksumAlgorithm>) -> Part {
        let checksum = algorithm.and_then(|a| Some((a, part.checksum(a)?)));
        Part {
            number: part.part_number,
            etag: part.etag,
            size: part.size,
            checksum,
        }
    }
}

/// `<Error>`: the body of every failed S3 request (and of some 200 answers).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct ErrorResponse {
    /// `NoSuchKey`, `SlowDown`, ...
    pub code: String,
    /// Human readable detail.
    pub message: String,
    /// The server's request id.
    pub request_id: Option<String>,
}

/// ListObjectsV2 answer.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListBucketResult {
    /// More keys follow.
    pub is_truncated: bool,
    /// Token of the next page.
    pub next_continuation_token: Option<String>,
    /// Objects of this page.
    pub contents: Vec<ListedObject>,
    /// Delimited prefixes of this page.
    pub common_prefixes: Vec<CommonPrefix>,
}

/// One object of a listing.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListedObject {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// ISO 8601 time of the last modification.
    pub last_modified: String,
}

/// One `<CommonPrefixes>` entry.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct CommonPrefix {
    /// The prefix, ending with the delimiter.
    pub prefix: String,
}

/// CreateMultipartUpload answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateMultipartUploadResult {
    /// The new upload's id.
    pub upload_id: String,
}

/// ListMultipartUploads answer.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListMultipartUploadsResult {
    /// More uploads follow.
    pub is_truncated: bool,
    /// Key marker of the next page.
    pub next_key_marker: Option<String>,
    /// Upload id marker of the next page.
    pub next_upload_id_marker: Option<String>,
    /// Uploads of this page, oldest first for each key.
    #[serde(rename = "Upload")]
    pub uploads: Vec<ListedUpload>,
}

/// One in-progress upload.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListedUpload {
    /// Its key.
    pub key: String,
    /// Its id.
    pub upload_id: String,
}

/// ListParts answer.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListPartsResult {
    /// More parts follow.
    pub is_truncated: bool,
    /// Part number marker of the next page.
    pub next_part_number_marker: Option<u32>,
    /// Parts of this page.
    #[serde(rename = "Part")]
    pub parts: Vec<ListedPart>,
}

/// One uploaded part.
#[derive(Debug, Deserialize, Default, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListedPart {
    /// 1-based part number.
    pub part_number: u32,
    /// The part's ETag (quoted).
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Size in bytes.
    pub size: u64,
    /// When the part was stored (RFC 3339; SeaweedFS gives whole seconds).
    pub last_modified: String,
    /// Additional checksums of the part (only the upload's algorithm is present).
    #[serde(rename = "ChecksumCRC32")]
    pub crc32: Option<String>,
    /// See `crc32`.
    #[serde(rename = "ChecksumCRC32C")]
    pub crc32c: Option<String>,
    /// See `crc32`.
    #[serde(rename = "ChecksumSHA1")]
    pub sha1: Option<String>,
    /// See `crc32`.
    #[serde(rename = "ChecksumSHA256")]
    pub sha256: Option<String>,
    /// See `crc32`.
    #[serde(rename = "ChecksumCRC64NVME")]
    pub crc64nvme: Option<String>,
}

impl ListedPart {
    /// The part's checksum of `algorithm`.
    pub fn checksum(&self, algorithm: ChecksumAlgorithm) -> Option<String> {
        pick_checksum(
            algorithm,
            [
                &self.crc32,
                &self.crc32c,
                &self.sha1,
                &self.sha256,
                &self.crc64nvme,
            ],
        )
    }
}

/// UploadPartCopy / CopyObject answer.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct CopyResult {
    /// The ETag of the copied part or object.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Additional checksums of the copy (only the upload's algorithm is present).
    #[serde(rename = "ChecksumCRC32")]
    pub crc32: Option<String>,
    /// See `crc32`.
    #[serde(rename = "ChecksumCRC32C")]
    pub crc32c: Option<String>,
    /// See `crc32`.
    #[serde(rename = "ChecksumSHA1")]
    pub sha1: Option<String>,
    /// See `crc32`.
    #[serde(rename = "ChecksumSHA256")]
    pub sha256: Option<String>,
    /// See `crc32`.
    #[serde(rename = "ChecksumCRC64NVME")]
    pub crc64nvme: Option<String>,
}

impl CopyResult {
    /// The copy's checksum of `algorithm`.
    pub fn checksum(&self, algorithm: ChecksumAlgorithm) -> Option<String> {
        pick_checksum(
            algorithm,
            [
                &self.crc32,
                &self.crc32c,
                &self.sha1,
                &self.sha256,
                &self.crc64nvme,
            ],
        )
    }
}

/// The one of `[crc32, crc32c, sha1, sha256, crc64nvme]` that `algorithm` names.
fn pick_checksum(algorithm: ChecksumAlgorithm, values: [&Option<String>; 5]) -> Option<String> {
    let index = match algorithm {
        ChecksumAlgorithm::Md5 => return None,
        ChecksumAlgorithm::Crc32 => 0,
        ChecksumAlgorithm::Crc32c => 1,
        ChecksumAlgorithm::Sha1 => 2,
        ChecksumAlgorithm::Sha256 => 3,
        ChecksumAlgorithm::Crc64Nvme => 4,
    };
    values[index].clone()
}

/// DeleteObjects answer.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteResult {
    /// Keys deleted (missing keys are reported as deleted).
    pub deleted: Vec<DeletedKey>,
    /// Keys that failed.
    #[serde(rename = "Error")]
    pub errors: Vec<DeleteError>,
}

/// One deleted key.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeletedKey {
    /// The key.
    pub key: String,
}

/// One key DeleteObjects failed to delete.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteError {
    /// The key.
    pub key: String,
    /// S3 error code.
    pub code: String,
    /// Detail.
    pub message: String,
}

/// Body of CompleteMultipartUpload for `parts` in order, with their additional checksums.
pub fn complete_multipart_upload(parts: &[Part]) -> Vec<u8> {
    let mut xml = String::from("<CompleteMultipartUpload>");
    for part in parts {
        xml.push_str("<Part>");
        if let Some((algorithm, value)) = &part.checksum
            && let Some(name) = algorithm.s3_name()
        {
            xml.push_str(&format!(
                "<Checksum{name}>{}</Checksum{name}>",
                quick_xml::escape::escape(value.as_str())
            ));
        }
        xml.push_str(&format!(
            "<PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            part.number,
            quick_xml::escape::escape(part.etag.as_str())
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    xml.into_bytes()
}

/// Body of DeleteObjects for `keys` (at most 1,000).
pub fn delete_objects(keys: &[String]) -> Vec<u8> {
    let mut xml = String::from("<Delete><Quiet>false</Quiet>");
    for key in keys {
        xml.push_str(&format!(
            "<Object><Key>{}</Key></Object>",
            quick_xml::escape::escape(key.as_str())
        ));
    }
    xml.push_str("</Delete>");
    xml.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::decode_xml;

    #[test]
    fn list_bucket_result_from_aws_documentation() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix/><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents><Key>a/b</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>"fba9dede5f27731c9771645a39863328"</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>a/c</Key><LastModified>2009-10-12T17:50:31.000Z</LastModified><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>a/d/</Prefix></CommonPrefixes>
</ListBucketResult>"#;
        let r: ListBucketResult = decode_xml("ListObjectsV2", body, 200).unwrap();
        assert!(r.is_truncated);
        assert_eq!(r.contents.len(), 2);
        assert_eq!(r.contents[0].size, 434234);
        assert_eq!(r.common_prefixes[0].prefix, "a/d/");
        assert_eq!(
            r.next_continuation_token.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );
    }

    #[test]
    fn empty_listing_has_no_entries() {
        let r: ListBucketResult = decode_xml(
            "ListObjectsV2",
            b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
            200,
        )
        .unwrap();
        assert!(r.contents.is_empty() && r.common_prefixes.is_empty() && !r.is_truncated);
    }

    #[test]
    fn list_parts_and_uploads() {
        let parts: ListPartsResult = decode_xml("ListParts", br#"<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>
            <Part><PartNumber>1</PartNumber><ETag>"e1"</ETag><Size>5242880</Size></Part>
            <Part><PartNumber>2</PartNumber><ETag>"e2"</ETag><Size>10</Size><ChecksumSHA256>c2</ChecksumSHA256></Part></ListPartsResult>"#, 200).unwrap();
        assert_eq!(
            parts.parts[1],
            ListedPart {
                part_number: 2,
                etag: "\"e2\"".into(),
                size: 10,
                sha256: Some("c2".into()),
                ..Default::default()
            }
        );
        assert_eq!(
            parts.parts[1]
                .checksum(ChecksumAlgorithm::Sha256)
                .as_deref(),
            Some("c2")
        );
        assert_eq!(parts.parts[1].checksum(ChecksumAlgorithm::Crc32), None);
        assert_eq!(parts.next_part_number_marker, Some(2));
        let uploads: ListMultipartUploadsResult = decode_xml("ListMultipartUploads", br#"<ListMultipartUploadsResult>
            <IsTruncated>false</IsTruncated><Upload><Key>k</Key><UploadId>u1</UploadId></Upload></ListMultipartUploadsResult>"#, 200).unwrap();
        assert_eq!(uploads.uploads[0].upload_id, "u1");
    }

    #[test]
    fn malformed_xml_is_a_typed_error() {
        let e = decode_xml::<ListBucketResult>(
            "ListObjectsV2",
            b"<ListBucketResult><IsTruncated>maybe",
            200,
        )
        .unwrap_err();
        assert_eq!(e.code, "MalformedResponse");
        assert!(e.message.contains("ListObjectsV2"));
        let e = decode_xml::<InitiateMultipartUploadResult>("CreateMultipartUpload", b"<x/>", 200)
            .unwrap_err();
        assert!(e.message.contains("CreateMultipartUpload"), "{}", e.message);
    }

    #[test]
    fn request_bodies_escape_etags() {
        let part = |number, checksum| Part {
            number,
            etag: "\"abc\"".into(),
            size: 5,
            checksum,
        };
        let body = complete_multipart_upload(&[
            part(1, None),
            part(2, Some((ChecksumAlgorithm::Crc32, "DUoRhQ==".into()))),
            part(3, Some((ChecksumAlgorithm::Md5, "ignored".into()))),
        ]);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag></Part>\
             <Part><ChecksumCRC32>DUoRhQ==</ChecksumCRC32><PartNumber>2</PartNumber><ETag>&quot;abc&quot;</ETag></Part>\
             <Part><PartNumber>3</PartNumber><ETag>&quot;abc&quot;</ETag></Part></CompleteMultipartUpload>"
        );
        let body = delete_objects(&["a/b".into()]);
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains("<Object><Key>a/b</Key></Object>")
        );
    }
}
