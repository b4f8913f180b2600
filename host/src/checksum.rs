//! The component's `checksum` import: CRCs of request bodies computed natively, with the
//! carry-less multiplication wasm lacks, reading the data where it lies in the guest's memory
//! (no copy). Each call continues the CRC it is given ([`Crc::extend`]).

use s3drv_common::crc::Crc;
use wasmtime::component::{Linker, WasmList};

/// The import's name in the world (`wit/storage.wit`).
const INTERFACE: &str = "s3drv:storage/checksum@0.4.0";

/// Defines `crc32`, `crc32c` and `crc64nvme` for components linked with `linker`.
pub(crate) fn add_to_linker<T: 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    let mut checksum = linker.instance(INTERFACE)?;
    checksum.func_wrap("crc32", |store, (crc, data): (u32, WasmList<u8>)| {
        let crc = Crc::Crc32.extend(crc.into(), data.as_le_slice(&store));
        Ok((crc as u32,))
    })?;
    checksum.func_wrap("crc32c", |store, (crc, data): (u32, WasmList<u8>)| {
        let crc = Crc::Crc32c.extend(crc.into(), data.as_le_slice(&store));
        Ok((crc as u32,))
    })?;
    checksum.func_wrap("crc64nvme", |store, (crc, data): (u64, WasmList<u8>)| {
        Ok((Crc::Crc64Nvme.extend(crc, data.as_le_slice(&store)),))
    })?;
    Ok(())
}
