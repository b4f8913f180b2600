//! What the `s3drv` command is built from beyond the host library: [`config_file`], the
//! driver parameters of a registry configuration file.
#![deny(missing_docs)]

pub mod config_file;
