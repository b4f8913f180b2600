//! [`Pool`]: one driver's component instances. A store runs one call at a time, so the pool
//! keeps idle instances and checks one out per call; readers, writers and walkers lease
//! theirs for their whole life ([`Leased`]). An instance whose call trapped is discarded,
//! never reused. Every instance opens the driver from the same parameters and keeps no state
//! between calls, so any instance can serve any call.

use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::Store;
use wasmtime::component::ResourceAny;

use crate::bindings::S3Driver;
use crate::bindings::s3drv::storage::types as wit;
use crate::engine::Compiled;
use crate::error::{Error, Result};
use crate::metrics::LiveInstance;
use crate::outbound::Outbound;
use crate::store::{StoreState, new_store};
use crate::tenant::Tenant;

/// One component instance with an opened `driver` resource.
pub(crate) struct Instance {
    pub(crate) store: Store<StoreState>,
    pub(crate) bindings: S3Driver,
    pub(crate) driver: ResourceAny,
    /// Held while the instance is checked out: the driver's share of `max_instances`.
    permit: Option<OwnedSemaphorePermit>,
    /// Calls served so far.
    uses: u32,
    /// Counts the instance in `s3drv_instances_live` while it exists.
    _live: LiveInstance,
}

/// An instance leased to one of its resources (a reader, writer or walker) while no call
/// runs on them.
pub(crate) struct Leased {
    pub(crate) instance: Instance,
    pub(crate) resource: ResourceAny,
}

/// Maps a call's outcome: a trap is [`Error::Component`], a driver error is itself.
pub(crate) fn flatten<T>(outcome: wasmtime::Result<Result<T, wit::DriverError>>) -> Result<T> {
    outcome.map_err(Error::Component)?.map_err(Error::from)
}

/// The instances of one driver.
pub(crate) struct Pool {
    compiled: Arc<Compiled>,
    tenant: Tenant,
    outbound: Arc<Outbound>,
    params: Vec<(String, String)>,
    idle: Mutex<Vec<Instance>>,
    /// One permit per instance that may be checked out at once (`Limits::max_instances`).
    slots: Arc<Semaphore>,
}

/// A new instance of `tenant` sending through `outbound`, with the driver opened from
/// `params`.
async fn instantiate(
    compiled: &Compiled,
    tenant: &Tenant,
    outbound: Arc<Outbound>,
    params: &[(String, String)],
) -> Result<Instance> {
    let live = outbound.metrics().instance_live();
    let mut store = new_store(&compiled.engine, tenant, outbound)?;
    let bindings = compiled
        .pre
        .instantiate_async(&mut store)
        .await
        .map_err(Error::Component)?;
    let opened = bindings
        .s3drv_storage_driver()
        .driver()
        .call_open(&mut store, params)
        .await;
    let driver = flatten(opened)?;
    Ok(Instance {
        store,
        bindings,
        driver,
        permit: None,
        uses: 0,
        _live: live,
    })
}

impl Pool {
    /// Opens the driver in a first instance, then gives the pool the outbound policy the
    /// driver reports. Returns the pool and the driver's warnings about its parameters.
    pub(crate) async fn open(
        compiled: Arc<Compiled>,
        tenant: Tenant,
        params: Vec<(String, String)>,
    ) -> Result<(Pool, Vec<String>)> {
        let provisional = Arc::new(Outbound::provisional(&tenant)?);
        let mut first = instantiate(&compiled, &tenant, provisional, &params).await?;
        let api = first.bindings.s3drv_storage_driver().driver();
        let warnings = api
            .call_warnings(&mut first.store, first.driver)
            .await
            .map_err(Error::Component)?;
        let policy = api
            .call_transport_policy(&mut first.store, first.driver)
            .await
            .map_err(Error::Component)?;
        tenant.policy.check(&params, &tenant.environment, &policy)?;
        let outbound = Arc::new(Outbound::new(&tenant, policy)?);
        first.store.data_mut().set_outbound(outbound.clone());
        let slots = Arc::new(Semaphore::new(tenant.limits.max_instances.max(1)));
        let pool = Pool {
            compiled,
            tenant,
            outbound,
            params,
            idle: Mutex::new(vec![first]),
            slots,
        };
        Ok((pool, warnings))
    }

    /// An idle instance, or a new one, once fewer than `max_instances` are checked out
    /// (callers wait for one to come back: backpressure, not failure). Its call deadline
    /// starts now.
    pub(crate) async fn checkout(&self) -> Result<Instance> {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the instance semaphore is never closed");
        let idle = self.idle.lock().expect("idle list lock").pop();
        let mut instance = match idle {
            Some(instance) => instance,
            None => {
                instantiate(
                    &self.compiled,
                    &self.tenant,
                    self.outbound.clone(),
                    &self.params,
                )
                .await?
            }
        };
        instance.permit = Some(permit);
        instance.uses += 1;
        instance.store.data_mut().start_call();
        Ok(instance)
    }

    /// Returns a healthy instance for reuse, or retires it after `uses_per_instance` calls.
    pub(crate) fn checkin(&self, mut instance: Instance) {
        instance.permit = None;
        if instance.uses >= self.tenant.limits.uses_per_instance {
            return;
        }
        self.idle.lock().expect("idle list lock").push(instance);
    }

    /// Drops a leased resource and returns its instance to the pool; an instance whose
    /// resource cannot be dropped is discarded.
    pub(crate) async fn release(&self, leased: Leased) {
        let Leased {
            mut instance,
            resource,
        } = leased;
        instance.store.data_mut().start_call();
        if resource
            .resource_drop_async(&mut instance.store)
            .await
            .is_ok()
        {
            self.checkin(instance);
        }
    }

    /// Runs `call` on a checked-out instance; the instance is reused unless it trapped.
    pub(crate) async fn with_instance<T>(
        &self,
        call: impl AsyncFnOnce(&mut Instance) -> wasmtime::Result<Result<T, wit::DriverError>>,
    ) -> Result<T> {
        let mut instance = self.checkout().await?;
        let outcome = call(&mut instance).await;
        if outcome.is_ok() {
            self.checkin(instance);
        }
        flatten(outcome)
    }

    /// Runs `call`, which creates a resource, on a checked-out instance. On success the
    /// instance is leased to the resource; after a driver error it goes back to the pool;
    /// after a trap it is discarded.
    pub(crate) async fn with_resource(
        &self,
        call: impl AsyncFnOnce(&mut Instance) -> wasmtime::Result<Result<ResourceAny, wit::DriverError>>,
    ) -> Result<Leased> {
        let mut instance = self.checkout().await?;
        let outcome = call(&mut instance).await;
        let healthy = outcome.is_ok();
        match flatten(outcome) {
            Ok(resource) => Ok(Leased { instance, resource }),
            Err(e) => {
                if healthy {
                    self.checkin(instance);
                }
                Err(e)
            }
        }
    }
}
