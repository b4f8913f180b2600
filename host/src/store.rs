//! [`StoreState`]: what one component instance's store holds (WASI with nothing granted but
//! the tenant's grants, `wasi:http` sent through the driver's outbound hooks, the resource
//! table, the tenant's memory and call-time limits) and the driver's `log` import (within
//! its budget).

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::s3drv::storage::log;
use crate::error::Result;
use crate::log_budget::LogBudget;
use crate::outbound::{Outbound, OutboundHooks};
use crate::tenant::Tenant;

/// The data of one store: WASI (with nothing granted: no files, no environment, no sockets),
/// `wasi:http`, and the hooks that send its requests.
pub(crate) struct StoreState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: OutboundHooks,
    tenant: Arc<str>,
    limits: StoreLimits,
    /// When the running call must end; `None` between calls.
    call_ends: Option<Instant>,
    call_deadline: Duration,
    log_budget: LogBudget,
}

impl StoreState {
    /// Starts the deadline of a call.
    pub(crate) fn start_call(&mut self) {
        self.call_ends = Some(Instant::now() + self.call_deadline);
    }

    /// Sends this instance's requests through `outbound` from now on.
    pub(crate) fn set_outbound(&mut self, outbound: Arc<Outbound>) {
        self.hooks = OutboundHooks::new(outbound);
    }
}

/// The driver's `log` import: events of target `s3drv::driver` with the tenant and operation,
/// within the instance's [`LogBudget`].
impl log::Host for StoreState {
    fn emit(&mut self, level: log::Level, operation: String, message: String) {
        let Some(message) = self.log_budget.admit(message) else {
            return;
        };
        let operation: String = operation.chars().take(64).collect();
        let tenant = &*self.tenant;
        match level {
            log::Level::Error => {
                tracing::error!(target: "s3drv::driver", tenant, operation, "{message}")
            }
            log::Level::Warn => {
                tracing::warn!(target: "s3drv::driver", tenant, operation, "{message}")
            }
            log::Level::Info => {
                tracing::info!(target: "s3drv::driver", tenant, operation, "{message}")
            }
            log::Level::Debug => {
                tracing::debug!(target: "s3drv::driver", tenant, operation, "{message}")
            }
        }
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for StoreState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// A store on `engine` for one instance of a driver of `tenant`, sending through
/// `outbound`, with the tenant's memory, table and call-time limits.
pub(crate) fn new_store(
    engine: &Engine,
    tenant: &Tenant,
    outbound: Arc<Outbound>,
) -> Result<Store<StoreState>> {
    let mut table = ResourceTable::new();
    table.set_max_capacity(tenant.limits.table_entries);
    let state = StoreState {
        wasi: tenant.wasi_ctx()?,
        http: WasiHttpCtx::new(),
        table,
        hooks: OutboundHooks::new(outbound),
        tenant: tenant.name.as_str().into(),
        limits: StoreLimitsBuilder::new()
            .memory_size(tenant.limits.memory)
            .build(),
        call_ends: None,
        call_deadline: tenant.limits.call_deadline,
        log_budget: LogBudget::new(&tenant.name, &tenant.limits),
    };
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.limits);
    // Every epoch tick the running guest yields to other tasks, and traps once its call
    // is past its deadline.
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|store| match store.data().call_ends {
        Some(ends) if Instant::now() > ends => Err(wasmtime::format_err!(
            "the call ran longer than its deadline of {:?}",
            store.data().call_deadline
        )),
        _ => Ok(UpdateDeadline::Yield(1)),
    });
    store.data_mut().start_call();
    Ok(store)
}
