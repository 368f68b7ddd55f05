//! Safety facts checked after every step of a simulated run. These are test-local checks on
//! `sim::ClusterState`; the suite's named properties live in the `properties` crate.

use std::collections::BTreeMap;

use highwater_protocol::sim::ClusterState;
use highwater_protocol::*;

/// Remembers what earlier states showed, to check facts about histories.
#[derive(Default)]
pub struct Invariants {
    /// Highest HW seen per (leader broker, leader epoch).
    leader_hw: BTreeMap<(BrokerId, LeaderEpoch), Offset>,
    controller_epoch: LeaderEpoch,
    /// Every record a consumer received: (offset, record).
    consumed: BTreeMap<Offset, Record>,
}

impl Invariants {
    /// Check `state`; the error names the broken fact.
    pub fn check(&mut self, state: &ClusterState) -> Result<(), String> {
        if state.controller.leader_epoch < self.controller_epoch {
            return Err(format!("controller epoch went back to {}", state.controller.leader_epoch));
        }
        self.controller_epoch = state.controller.leader_epoch;
        for broker in state.brokers.iter().filter(|b| b.alive) {
            if broker.high_watermark > broker.log_end_offset {
                return Err(format!(
                    "broker {} HW {} above LEO {}",
                    broker.broker_id, broker.high_watermark, broker.log_end_offset
                ));
            }
            let cache = &broker.epoch_cache;
            if cache.windows(2).any(|w| w[0].0 >= w[1].0 || w[0].1 >= w[1].1) {
                return Err(format!("broker {} epoch cache not increasing: {cache:?}", broker.broker_id));
            }
            if broker.log.windows(2).any(|w| w[0].epoch > w[1].epoch) {
                return Err(format!("broker {} record epochs decrease", broker.broker_id));
            }
            if broker.role == RoleKind::Leader {
                let key = (broker.broker_id, broker.leader_epoch);
                let seen = self.leader_hw.entry(key).or_insert(broker.high_watermark);
                if broker.high_watermark < *seen {
                    return Err(format!("leader {key:?} HW went back from {seen} to {}", broker.high_watermark));
                }
                *seen = broker.high_watermark;
            }
        }
        for consumer in &state.consumers {
            check_consumer_prefix(consumer)?;
            for record in &consumer.delivered {
                let value = record.record();
                if let Some(old) = self.consumed.insert(record.offset, value) {
                    if old != value {
                        return Err(format!("offset {} consumed as {old:?} and as {value:?}", record.offset));
                    }
                }
            }
        }
        // Everything consumed is committed: every live controller-ISR member still holds it.
        for broker in state.brokers.iter().filter(|b| b.alive && state.controller.isr.contains(&b.broker_id)) {
            for (&offset, record) in &self.consumed {
                let held = broker.log.get(offset as usize);
                if held != Some(record) {
                    return Err(format!(
                        "ISR member {} holds {held:?} at offset {offset}, a consumer received {record:?}",
                        broker.broker_id
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Delivered records are contiguous offsets from 0, restarting only where a reset says so.
fn check_consumer_prefix(consumer: &highwater_protocol::sim::ConsumerView) -> Result<(), String> {
    let mut expected = 0;
    let mut resets = consumer.resets.iter().map(|r| r.to).collect::<Vec<_>>().into_iter();
    for record in &consumer.delivered {
        if record.offset != expected {
            // An explicit reset may explain the jump; each reset explains at most one.
            let explained = resets.by_ref().any(|to| to == record.offset);
            if !explained {
                return Err(format!(
                    "consumer {} got offset {} where {} was next, without a reset",
                    consumer.consumer_id, record.offset, expected
                ));
            }
        }
        expected = record.offset + 1;
    }
    Ok(())
}
