//! Writers and walkers that outlive one request: a registry's `FileWriter` and `Walk` are
//! several requests each. A session belongs to one tenant and is found by its id; one idle
//! longer than the idle limit is ended (a writer closed, so that its upload stays resumable
//! with exactly the bytes it received; a walker dropped).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use s3drv_host::{Walker, Writer};
use tokio::sync::Mutex as AsyncMutex;

/// A session's object, locked while a request works on it.
pub type Shared<T> = Arc<AsyncMutex<T>>;

struct Entry<T> {
    tenant: String,
    value: Shared<T>,
    last_used: Instant,
}

/// The open sessions of one kind.
struct Table<T> {
    entries: Mutex<HashMap<u64, Entry<T>>>,
}

impl<T> Table<T> {
    fn new() -> Self {
        Table {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn insert(&self, id: u64, tenant: &str, value: T) {
        let entry = Entry {
            tenant: tenant.to_string(),
            value: Arc::new(AsyncMutex::new(value)),
            last_used: Instant::now(),
        };
        self.lock().insert(id, entry);
    }

    /// The session `id` of `tenant`, marked as used now.
    fn get(&self, tenant: &str, id: u64) -> Option<Shared<T>> {
        let mut entries = self.lock();
        let entry = entries.get_mut(&id).filter(|e| e.tenant == tenant)?;
        entry.last_used = Instant::now();
        Some(entry.value.clone())
    }

    fn remove(&self, tenant: &str, id: u64) -> Option<Shared<T>> {
        let mut entries = self.lock();
        if entries.get(&id).is_some_and(|e| e.tenant == tenant) {
            return entries.remove(&id).map(|e| e.value);
        }
        None
    }

    /// Takes the sessions unused since `before` and not in use by a request now (a long
    /// upload's data request holds its session for as long as the body takes); all of them
    /// with `None`.
    fn take_idle(&self, before: Option<Instant>) -> Vec<(String, Shared<T>)> {
        let mut entries = self.lock();
        let idle: Vec<u64> = entries
            .iter()
            .filter(|(_, e)| {
                // A request working on the session holds a second reference to it.
                before.is_none_or(|b| e.last_used < b && Arc::strong_count(&e.value) == 1)
            })
            .map(|(id, _)| *id)
            .collect();
        idle.into_iter()
            .filter_map(|id| entries.remove(&id))
            .map(|e| (e.tenant, e.value))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry<T>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every open writer and walker of the server.
pub struct Sessions {
    next_id: AtomicU64,
    writers: Table<Writer>,
    walkers: Table<Walker>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions::new()
    }
}

impl Sessions {
    /// No sessions; ids start at a value that differs between server runs, so that a client
    /// of an earlier run never reaches a session of this one by its old id.
    pub fn new() -> Sessions {
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_micros() as u64);
        Sessions {
            next_id: AtomicU64::new(start),
            writers: Table::new(),
            walkers: Table::new(),
        }
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Keeps `writer` for `tenant`; returns its id.
    pub fn add_writer(&self, tenant: &str, writer: Writer) -> u64 {
        let id = self.id();
        self.writers.insert(id, tenant, writer);
        id
    }

    /// The writer `id` of `tenant`.
    pub fn writer(&self, tenant: &str, id: u64) -> Option<Shared<Writer>> {
        self.writers.get(tenant, id)
    }

    /// Ends the writer session `id` of `tenant`, returning its writer.
    pub fn remove_writer(&self, tenant: &str, id: u64) -> Option<Shared<Writer>> {
        self.writers.remove(tenant, id)
    }

    /// Keeps `walker` for `tenant`; returns its id.
    pub fn add_walker(&self, tenant: &str, walker: Walker) -> u64 {
        let id = self.id();
        self.walkers.insert(id, tenant, walker);
        id
    }

    /// The walker `id` of `tenant`.
    pub fn walker(&self, tenant: &str, id: u64) -> Option<Shared<Walker>> {
        self.walkers.get(tenant, id)
    }

    /// Ends the walker session `id` of `tenant`.
    pub fn remove_walker(&self, tenant: &str, id: u64) -> Option<Shared<Walker>> {
        self.walkers.remove(tenant, id)
    }

    /// Ends the sessions idle for longer than `idle` (every session with `None`): writers
    /// are closed (their uploads stay resumable), walkers dropped. Returns how many.
    pub async fn end_idle(&self, idle: Option<Duration>) -> usize {
        let before = idle.map(|idle| Instant::now() - idle);
        let writers = self.writers.take_idle(before);
        let ended = writers.len() + self.walkers.take_idle(before).len();
        for (tenant, writer) in writers {
            let mut writer = writer.lock().await;
            if let Err(e) = writer.close().await {
                tracing::warn!(target: "s3drv::serve", tenant, "closing an idle writer: {e}");
            }
        }
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_found_only_by_its_tenant() {
        let table = Table::new();
        table.insert(7, "a", 1u8);
        assert!(table.get("b", 7).is_none());
        assert!(table.remove("b", 7).is_none());
        assert!(table.get("a", 7).is_some());
        assert!(
            table
                .take_idle(Some(Instant::now() - Duration::from_secs(60)))
                .is_empty()
        );
        assert_eq!(table.take_idle(None).len(), 1);
        assert!(table.get("a", 7).is_none());
    }
}
