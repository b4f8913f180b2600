//! What the `s3drv` command is built from beyond the host library: [`config_file`], the
//! driver parameters of a registry configuration file, and [`serve`], the server that lets
//! registries which cannot load a component use the driver.
#![deny(missing_docs)]

pub mod config_file;
pub mod serve;
