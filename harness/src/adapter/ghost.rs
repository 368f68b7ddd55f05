//! The implementation's cluster as the shared observers (`highwater_traces::observe`) read it,
//! and the bookkeeping the protocol crate does not keep for them: which replica served each
//! record a consumer's application was handed.

use highwater_protocol::sim::Cluster;
use highwater_protocol::{ConsumerPhase, Message};
use highwater_traces::observe::{BrokerFacts, ConsumerFacts, Observed, StepStart};
use highwater_traces::{BrokerId, Delivery, LeaderEpoch, Offset, Record, Role, Semantics, NO_BROKER};

use super::convert;

/// The ghost history of an implementation run, and what feeds it.
#[derive(Clone)]
pub(super) struct Watch {
    pub(super) ghost: highwater_traces::Ghost,
    /// Every record each consumer was handed, with the replica that served it.
    pub(super) deliveries: Vec<Vec<Delivery>>,
    /// The cluster as the current step began.
    pub(super) start: StepStart,
}

impl Watch {
    pub(super) fn new(sim: &Cluster) -> Self {
        let consumers = (0..).map_while(|c| sim.consumer(c)).count();
        Watch {
            ghost: highwater_traces::Ghost::default(),
            deliveries: vec![Vec::new(); consumers],
            start: StepStart::default(),
        }
    }

    /// The records `consumer` took from `broker`'s fetch answer `response`, just delivered.
    pub(super) fn served(&mut self, sim: &Cluster, broker: BrokerId, consumer: u32, response: &Message) {
        let Message::FetchResponse(response) = response else { return };
        let (Some(now), Some(known)) = (sim.consumer(consumer), self.deliveries.get_mut(consumer as usize)) else {
            return;
        };
        let new: Vec<Delivery> = now
            .delivered()
            .iter()
            .skip(known.len())
            .map(|r| Delivery {
                offset: r.offset,
                record: Record { epoch: r.epoch, value: r.value },
                served_by: broker,
                served_hw: response.high_watermark,
            })
            .collect();
        known.extend(new);
    }
}

/// The running `sim::Cluster` and the deliveries kept beside it, as the observers read them.
pub(super) struct SimFacts<'a> {
    pub(super) sim: &'a Cluster,
    pub(super) deliveries: &'a [Vec<Delivery>],
    pub(super) semantics: Semantics,
}

impl Observed for SimFacts<'_> {
    fn controller(&self) -> (BrokerId, LeaderEpoch) {
        let controller = self.sim.controller();
        (controller.leader().unwrap_or(NO_BROKER), controller.leader_epoch())
    }

    fn brokers(&self) -> impl Iterator<Item = BrokerFacts> + '_ {
        self.sim.broker_ids().into_iter().map(|id| match self.sim.broker(id) {
            Some(b) => BrokerFacts {
                id,
                alive: true,
                role: convert::role(b.role_kind()),
                leader_epoch: b.leader_epoch(),
                high_watermark: b.high_watermark(),
                log_end_offset: b.log_end_offset(),
            },
            None => BrokerFacts {
                id,
                alive: false,
                role: Role::Offline,
                leader_epoch: -1,
                high_watermark: 0,
                log_end_offset: 0,
            },
        })
    }

    fn consumers(&self) -> impl Iterator<Item = ConsumerFacts> + '_ {
        (0..).map_while(|id| self.sim.consumer(id)).enumerate().map(|(id, c)| ConsumerFacts {
            id: id as u32,
            fetching: c.phase() == ConsumerPhase::Fetching,
            position: c.position().offset,
            current_leader_epoch: c.current_leader_epoch(),
            preferred_read_replica: c.preferred_read_replica().map(|p| p.broker_id),
            metadata_leader: c.metadata().map_or(NO_BROKER, |m| m.leader_id),
        })
    }

    fn records(&self, broker: BrokerId, from: usize, to: usize) -> Vec<Record> {
        let Some(b) = self.sim.broker(broker) else { return Vec::new() };
        let log = b.log().records();
        let slice = log.get(from.min(log.len())..to.min(log.len())).unwrap_or_default();
        slice.iter().map(|r| Record { epoch: r.epoch, value: r.value }).collect()
    }

    fn in_isr(&self, broker: BrokerId, member: BrokerId) -> bool {
        self.sim.broker(broker).is_some_and(|b| b.isr().contains(&member))
    }

    fn follower_log_end_offset(&self, broker: BrokerId, follower: BrokerId) -> Option<Offset> {
        self.sim.broker(broker)?.leader_state()?.followers.get(&follower)?.log_end_offset
    }

    fn deliveries(&self, consumer: u32) -> &[Delivery] {
        self.deliveries.get(consumer as usize).map(Vec::as_slice).unwrap_or_default()
    }

    fn acked(&self) -> &[(u64, Offset)] {
        self.sim.producer().acknowledged()
    }

    fn any_rack_cut(&self) -> bool {
        !self.sim.cut_racks().is_empty() || !self.sim.outages().is_empty()
    }

    fn semantics(&self) -> Semantics {
        self.semantics
    }
}
