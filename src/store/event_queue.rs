//! Read events are recorded off the request path: queued in memory and written in batches,
//! one transaction per batch. Writes never use this queue: their events are part of the
//! write's own transaction, and refusals are written before the answer.
//!
//! A push only appends to a buffer under a short lock; the writer is woken once per batch
//! (when the buffer stops being empty), lingers briefly to let the batch fill, then writes
//! it, so a read costs no cross-thread wake-up of its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::domain::sync::SyncEvent;
use crate::store::Store;

/// Largest batch written in one transaction.
const BATCH: usize = 512;
/// Events waiting before `push` falls back to a direct write.
const CAPACITY: usize = 16_384;
/// How long the writer lets a batch fill after the first event arrives.
const LINGER: Duration = Duration::from_millis(20);

struct Inner {
    buf: Mutex<Vec<SyncEvent>>,
    wake: Notify,
    /// Held while a batch is written, so `flush` can wait for a batch in flight.
    writing: tokio::sync::Mutex<()>,
}

/// Handle to the background writer.
#[derive(Clone)]
pub struct EventQueue {
    inner: Arc<Inner>,
}

impl EventQueue {
    /// Start the writer task on the current tokio runtime.
    pub fn start(store: Store) -> Self {
        let inner = Arc::new(Inner {
            buf: Mutex::new(Vec::with_capacity(BATCH)),
            wake: Notify::new(),
            writing: tokio::sync::Mutex::new(()),
        });
        tokio::spawn(write_batches(store, Arc::downgrade(&inner)));
        EventQueue { inner }
    }

    /// Queue an event. When the queue is full the event is written by a task of its own,
    /// so load sheds nothing.
    pub fn push(&self, store: &Store, event: SyncEvent) {
        let overflow = {
            let Ok(mut buf) = self.inner.buf.lock() else {
                return;
            };
            if buf.len() >= CAPACITY {
                Some(event)
            } else {
                buf.push(event);
                if buf.len() == 1 {
                    // The writer needs waking only for the first event of a batch.
                    self.inner.wake.notify_one();
                }
                None
            }
        };
        if let Some(e) = overflow {
            let store = store.clone();
            tokio::spawn(async move {
                if let Err(err) = store.record_events_impl(vec![e]).await {
                    tracing::warn!(error = %err, "could not record a read event");
                }
            });
        }
    }

    /// Wait until every event queued so far is written.
    pub async fn flush(&self, store: &Store) {
        write_pending(store, &self.inner).await;
    }
}

/// Write what is buffered, a batch at a time.
async fn write_pending(store: &Store, inner: &Inner) {
    let _writing = inner.writing.lock().await;
    loop {
        let batch: Vec<SyncEvent> = match inner.buf.lock() {
            Ok(mut buf) => {
                let n = buf.len().min(BATCH);
                buf.drain(..n).collect()
            }
            Err(_) => return,
        };
        if batch.is_empty() {
            return;
        }
        if let Err(e) = store.record_events_impl(batch).await {
            tracing::warn!(error = %e, "could not record read events");
        }
    }
}

async fn write_batches(store: Store, inner: std::sync::Weak<Inner>) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        // Wake at least once a second to notice that the last handle is gone.
        let woken = tokio::time::timeout(Duration::from_secs(1), strong.wake.notified())
            .await
            .is_ok();
        if woken {
            tokio::time::sleep(LINGER).await;
        }
        write_pending(&store, &strong).await;
    }
}
