//! Read events are recorded off the request path: queued in memory and written in batches,
//! one transaction per batch. Writes never use this queue: their events are part of the
//! write's own transaction, and refusals are written before the answer.

use tokio::sync::{mpsc, oneshot};

use crate::domain::sync::SyncEvent;
use crate::store::Store;

/// Largest batch written in one transaction.
const BATCH: usize = 512;
/// Events waiting before `push` falls back to a direct write.
const CAPACITY: usize = 16_384;

enum Msg {
    Event(Box<SyncEvent>),
    Flush(oneshot::Sender<()>),
}

/// Handle to the background writer.
#[derive(Clone)]
pub struct EventQueue {
    tx: mpsc::Sender<Msg>,
}

impl EventQueue {
    /// Start the writer task on the current tokio runtime.
    pub fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::channel(CAPACITY);
        tokio::spawn(write_batches(store, rx));
        EventQueue { tx }
    }

    /// Queue an event. When the queue is full the event is written by a task of its own,
    /// so load sheds nothing.
    pub fn push(&self, store: &Store, event: SyncEvent) {
        if let Err(
            mpsc::error::TrySendError::Full(Msg::Event(e))
            | mpsc::error::TrySendError::Closed(Msg::Event(e)),
        ) = self.tx.try_send(Msg::Event(Box::new(event)))
        {
            let store = store.clone();
            tokio::spawn(async move {
                if let Err(err) = store.record_events_impl(vec![*e]).await {
                    tracing::warn!(error = %err, "could not record a read event");
                }
            });
        }
    }

    /// Wait until every event queued so far is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _written = wait.await;
        }
    }
}

async fn write_batches(store: Store, mut rx: mpsc::Receiver<Msg>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut waiters = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(m) = next {
            match m {
                Msg::Event(e) => batch.push(*e),
                Msg::Flush(w) => waiters.push(w),
            }
            next = if batch.len() < BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if !batch.is_empty()
            && let Err(e) = store.record_events_impl(std::mem::take(&mut batch)).await
        {
            tracing::warn!(error = %e, "could not record read events");
        }
        batch.clear();
        for w in waiters.drain(..) {
            let _notified = w.send(());
        }
    }
}
