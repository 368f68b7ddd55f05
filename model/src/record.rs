//! Recording the messages each step moves, for trace files: the checker's states keep only what
//! is still in flight, so a message sent and delivered within one step would otherwise leave no
//! mark. Off unless asked for; the checker never asks.

use std::sync::Mutex;

use highwater_traces::{Fate, Message, NodeId, StepMessage};

use crate::cluster::ClusterModel;

/// The messages moved since the log was last taken.
#[derive(Debug, Default)]
pub(crate) struct MessageLog(Mutex<Vec<StepMessage>>);

impl ClusterModel {
    /// This model, recording every message its steps move ([`ClusterModel::take_messages`]).
    pub fn recording(mut self) -> Self {
        self.message_log = Some(MessageLog::default());
        self
    }

    /// The messages moved since the last call, in order (empty unless [`ClusterModel::recording`]).
    pub fn take_messages(&self) -> Vec<StepMessage> {
        self.message_log.as_ref().map_or_else(Vec::new, |log| std::mem::take(&mut *lock(log)))
    }

    pub(crate) fn record(&self, from: NodeId, to: NodeId, fate: Fate, message: &Message) {
        if let Some(log) = &self.message_log {
            lock(log).push(StepMessage { from, to, fate, message: message.clone() });
        }
    }
}

/// The log, even if a thread panicked while holding it (it is only ever appended to).
fn lock(log: &MessageLog) -> std::sync::MutexGuard<'_, Vec<StepMessage>> {
    log.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
