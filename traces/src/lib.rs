#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod action;
pub mod catalogue;
mod ids;
mod message;
pub mod observe;
mod outage;
mod trace;
mod view;

pub use action::{Action, SeekTo, TimerKind};
pub use ids::{
    BrokerId, LeaderEpoch, NodeId, Offset, OffsetRecord, PartitionEpoch, Rack, Record, CONSUMER_REPLICA_ID,
    EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, NO_BROKER, NO_EPOCH,
};
pub use message::{EpochEndOffset, ErrorCode, Message, ReplicaInfo};
pub use observe::{
    fetch_without_last_epoch, outdated_at_broker, served_across_epochs, BrokenRequestRule, Ghost, Happened,
    KeptFailedReplica, MessageEpochs, OffsetAboveHw, OffsetAnswer, Redirect,
};
pub use outage::{passes, place, Outage, OutageShape};
pub use trace::{Fate, StateMeta, StepMessage, Trace, TraceError, TraceMeta, TraceState, FORMAT, FORMATS_READ, VARS};
pub use view::{BrokerView, ClusterView, ConsumerView, ControllerView, Delivery, Reset, ResetCause, Role, Semantics};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_views_round_trip_through_json() {
        let actions = vec![
            Action::Deliver { from: NodeId::Broker(2), to: NodeId::Broker(1) },
            Action::Timer { node: NodeId::Consumer(0), timer: TimerKind::ConsumerFetch },
            Action::CutRack { rack: "b".into() },
            Action::Seek { consumer: 0, to: SeekTo::Offset(3) },
        ];
        let json = serde_json::to_string(&actions).unwrap();
        assert!(json.contains(r#""action":"deliver""#) && json.contains(r#""from":"broker-2""#), "{json}");
        assert_eq!(serde_json::from_str::<Vec<Action>>(&json).unwrap(), actions);
        let mut view = ClusterView::default();
        view.ghost.happened.insert(Happened::FollowerTruncated);
        let back: ClusterView = serde_json::from_str(&serde_json::to_string(&view).unwrap()).unwrap();
        assert_eq!(back, view);
        assert_eq!(actions[1].to_string(), "timer consumer-fetch at consumer-0");
    }

    #[test]
    fn node_ids_read_back_from_their_names_and_reject_others() {
        for node in [NodeId::Controller, NodeId::Producer, NodeId::Broker(3), NodeId::Consumer(0)] {
            assert_eq!(node.to_string().parse::<NodeId>(), Ok(node));
        }
        for bad in ["broker", "broker-x", "leader-1", ""] {
            let err = bad.parse::<NodeId>().unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }
}
