//! The three clients, each doing a workload's S3 work its own way: s3drv through the host
//! and the component, the native floor (the same guest code without wasm), and aws-sdk-s3;
//! and distribution's Go driver for the stream rows ([`go_driver`]).

pub mod go_driver;
pub mod native;
pub mod sdk;

use std::sync::Arc;

use anyhow::{Result, anyhow};
use bytes::Bytes;
use s3drv_guest::s3::object;
use s3drv_guest::s3::reader::Reader;
use s3drv_guest::s3::walk::Walker;
use s3drv_guest::s3::writer::Writer;
use s3drv_guest::s3::{delete, list, moves};
use s3drv_host::Driver;

use crate::data::DataPool;
use native::NativeFloor;
use sdk::SdkClient;

/// Bytes the native floor asks for per read.
const READ_SIZE: usize = 1 << 20;

/// One client under test.
#[derive(Clone)]
pub enum Client {
    /// The component through the host library.
    S3drv(Driver),
    /// The guest's S3 logic compiled natively.
    Native(NativeFloor),
    /// The official Rust SDK.
    Sdk(SdkClient),
}

fn driver_error(e: s3drv_guest::error::Error) -> anyhow::Error {
    anyhow!("{e}")
}

impl Client {
    /// The client's name in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Client::S3drv(_) => "s3drv",
            Client::Native(_) => "native",
            Client::Sdk(_) => "aws-sdk-s3",
        }
    }

    /// Writes `size` bytes of `pool` to `path` in `write_size` writes through a writer
    /// (the SDK: a multipart upload with `part_size` parts), then commits.
    pub async fn write_stream(
        &self,
        path: &str,
        pool: &Arc<DataPool>,
        size: usize,
        write_size: usize,
        part_size: usize,
    ) -> Result<()> {
        match self {
            Client::S3drv(driver) => {
                let mut writer = driver.writer(path, false).await?;
                for block in pool.blocks(size, write_size) {
                    writer.write(block).await?;
                }
                writer.commit().await?;
            }
            Client::Native(floor) => {
                let (path, pool) = (path.to_string(), pool.clone());
                floor
                    .run(move |s3| {
                        let mut writer = Writer::open(s3, &path, false)?;
                        for block in pool.blocks(size, write_size) {
                            // The one copy a native caller makes (the component's is the
                            // lowering of its write's bytes into the guest).
                            writer.write(s3, Bytes::copy_from_slice(block))?;
                        }
                        writer.commit(s3)
                    })
                    .await?
                    .map_err(driver_error)?;
            }
            Client::Sdk(sdk) => {
                sdk.write_stream(path, pool.blocks(size, write_size), part_size, 1)
                    .await?
            }
        }
        Ok(())
    }

    /// Reads `path` to the end without keeping it; returns the size.
    pub async fn read_stream(&self, path: &str) -> Result<u64> {
        match self {
            Client::S3drv(driver) => {
                // The bytes as the reader holds them, counted (as the SDK's body is): what a
                // registry streaming a blob to its client does (`s3drv serve` does so).
                let mut reader = driver.reader(path, 0).await?;
                let mut size = 0;
                while let Some(chunk) = reader.chunk().await? {
                    size += chunk.len() as u64;
                }
                Ok(size)
            }
            Client::Native(floor) => {
                let path = path.to_string();
                floor
                    .run(move |s3| {
                        let mut reader = Reader::open(s3, &path, 0)?;
                        let mut size = 0;
                        loop {
                            let chunk = reader.read(s3, READ_SIZE)?;
                            if chunk.is_empty() {
                                return Ok(size);
                            }
                            size += chunk.len() as u64;
                        }
                    })
                    .await?
                    .map_err(driver_error)
            }
            Client::Sdk(sdk) => sdk.read_stream(path).await,
        }
    }

    /// put-content.
    pub async fn put(&self, path: &str, data: Vec<u8>) -> Result<()> {
        match self {
            Client::S3drv(driver) => Ok(driver.put_content(path, data).await?),
            Client::Native(floor) => {
                let path = path.to_string();
                floor
                    .run(move |s3| object::put_content(s3, &path, data))
                    .await?
                    .map_err(driver_error)
            }
            Client::Sdk(sdk) => sdk.put(path, data).await,
        }
    }

    /// get-content.
    pub async fn get(&self, path: &str) -> Result<Vec<u8>> {
        match self {
            Client::S3drv(driver) => Ok(driver.get_content(path).await?),
            Client::Native(floor) => {
                let path = path.to_string();
                floor
                    .run(move |s3| object::get_content(s3, &path))
                    .await?
                    .map_err(driver_error)
            }
            Client::Sdk(sdk) => sdk.get(path).await,
        }
    }

    /// stat: the size.
    pub async fn stat(&self, path: &str) -> Result<u64> {
        match self {
            Client::S3drv(driver) => Ok(driver.stat(path).await?.size),
            Client::Native(floor) => {
                let path = path.to_string();
                floor
                    .run(move |s3| object::stat(s3, &path).map(|info| info.size))
                    .await?
                    .map_err(driver_error)
            }
            Client::Sdk(sdk) => sdk.stat(path).await,
        }
    }

    /// list: the number of direct children.
    pub async fn list(&self, dir: &str) -> Result<usize> {
        match self {
            Client::S3drv(driver) => Ok(driver.list(dir).await?.len()),
            Client::Native(floor) => {
                let dir = dir.to_string();
                floor
                    .run(move |s3| list::list(s3, &dir).map(|children| children.len()))
                    .await?
                    .map_err(driver_error)
            }
            Client::Sdk(sdk) => sdk.list(dir, true).await,
        }
    }

    /// walk (or walk-parallel): the number of files and directories below `dir` (the SDK:
    /// the number of keys of one flat listing).
    pub async fn walk(&self, dir: &str, parallel: bool) -> Result<usize> {
        match self {
            Client::S3drv(driver) => {
                let walker = match parallel {
                    true => driver.walk_parallel(dir).await?,
                    false => driver.walk(dir, None).await?,
                };
                Ok(walker.collect().await?.len())
            }
            Client::Native(floor) => {
                let dir = dir.to_string();
                floor
                    .run(move |s3| {
                        let mut walker = match parallel {
                            true => Walker::walk_parallel(s3, &dir)?,
                            false => Walker::walk(s3, &dir, None)?,
                        };
                        let mut count = 0;
                        while walker.next(s3)?.is_some() {
                            count += 1;
                        }
                        Ok(count)
                    })
                    .await?
                    .map_err(driver_error)
            }
            Client::Sdk(sdk) => sdk.list(dir, false).await,
        }
    }

    /// move of an object of `size` bytes.
    pub async fn move_object(&self, source: &str, dest: &str, size: u64) -> Result<()> {
        match self {
            Client::S3drv(driver) => Ok(driver.move_path(source, dest).await?),
            Client::Native(floor) => {
                let (source, dest) = (source.to_string(), dest.to_string());
                floor
                    .run(move |s3| moves::move_object(s3, &source, &dest))
                    .await?
                    .map_err(driver_error)
            }
            Client::Sdk(sdk) => sdk.move_object(source, dest, size).await,
        }
    }

    /// delete-files.
    pub async fn delete_files(&self, paths: Vec<String>) -> Result<()> {
        match self {
            Client::S3drv(driver) => driver
                .delete_files(&paths)
                .await
                .map(drop)
                .map_err(Into::into),
            Client::Native(floor) => floor
                .run(move |s3| delete::delete_files(s3, &paths).map(drop))
                .await?
                .map_err(driver_error),
            Client::Sdk(sdk) => sdk.delete_files(&paths).await,
        }
    }
}
