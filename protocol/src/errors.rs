//! Kafka's error codes, declared once with the numbers of `org.apache.kafka.common.protocol.Errors`.
//!
//! Protocol outcomes are data: every rejection travels in a response as one of these codes. No
//! numeric code appears anywhere else in the crate.

use std::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident($code:expr, $retriable:expr) $text:literal; )*) => {
        /// A Kafka error code, as carried in a response's `error_code` field.
        #[allow(non_camel_case_types)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorCode {
            /// Every code this crate uses, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];

            /// Kafka's wire number for this code.
            pub fn code(self) -> i16 {
                match self { $(ErrorCode::$name => $code,)* }
            }

            /// Kafka's constant name, e.g. `OFFSET_NOT_AVAILABLE`.
            pub fn name(self) -> &'static str {
                match self { $(ErrorCode::$name => stringify!($name),)* }
            }

            /// Kafka's description of the error.
            pub fn description(self) -> &'static str {
                match self { $(ErrorCode::$name => $text,)* }
            }

            /// Whether Kafka marks the error retriable.
            pub fn is_retriable(self) -> bool {
                match self { $(ErrorCode::$name => $retriable,)* }
            }

            /// The code for a wire number, if this crate knows it.
            pub fn from_code(code: i16) -> Option<ErrorCode> {
                ErrorCode::ALL.iter().copied().find(|e| e.code() == code)
            }
        }
    };
}

error_codes! {
    /// No error.
    NONE(0, false) "No error.";
    /// The fetch offset is outside the replica's log.
    OFFSET_OUT_OF_RANGE(1, false) "The requested offset is not within the range of offsets maintained by the server.";
    /// The broker is neither leader nor follower of the partition, or leadership was required.
    NOT_LEADER_OR_FOLLOWER(6, true) "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.";
    /// The replica is not available (e.g. a preferred replica the client cannot reach).
    REPLICA_NOT_AVAILABLE(9, true) "The replica is not available for the requested topic-partition.";
    /// acks=all with fewer in-sync replicas than `min.insync.replicas`.
    NOT_ENOUGH_REPLICAS(19, true) "Messages are rejected since there are fewer in-sync replicas than required.";
    /// An AlterPartition naming a leader or partition epoch newer than the controller's.
    NOT_CONTROLLER(41, true) "This is not the correct controller for this cluster.";
    /// A request that is malformed for its API.
    INVALID_REQUEST(42, false) "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker.";
    /// The request's `current_leader_epoch` is older than the broker's.
    FENCED_LEADER_EPOCH(74, true) "The leader epoch in the request is older than the epoch on the broker.";
    /// The request's `current_leader_epoch` is newer than the broker's.
    UNKNOWN_LEADER_EPOCH(75, true) "The leader epoch in the request is newer than the epoch on the broker.";
    /// KIP-207 / KIP-392: the HW has not caught up since an election, or the offset is not yet committed.
    OFFSET_NOT_AVAILABLE(78, true) "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.";
    /// AlterPartition with a stale partition epoch.
    INVALID_UPDATE_VERSION(95, false) "The given update version was invalid.";
    /// AlterPartition naming a fenced or unknown replica (KIP-841).
    INELIGIBLE_REPLICA(107, false) "The new ISR contains at least one ineligible replica.";
}

impl ErrorCode {
    /// Whether this is `NONE`.
    pub fn is_none(self) -> bool {
        self == ErrorCode::NONE
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_kafkas() {
        // Errors.java; a typo here would silently desynchronise us from every Kafka client.
        let expected = [
            ("NONE", 0),
            ("OFFSET_OUT_OF_RANGE", 1),
            ("NOT_LEADER_OR_FOLLOWER", 6),
            ("REPLICA_NOT_AVAILABLE", 9),
            ("NOT_ENOUGH_REPLICAS", 19),
            ("NOT_CONTROLLER", 41),
            ("INVALID_REQUEST", 42),
            ("FENCED_LEADER_EPOCH", 74),
            ("UNKNOWN_LEADER_EPOCH", 75),
            ("OFFSET_NOT_AVAILABLE", 78),
            ("INVALID_UPDATE_VERSION", 95),
            ("INELIGIBLE_REPLICA", 107),
        ];
        assert_eq!(ErrorCode::ALL.len(), expected.len());
        for (code, (name, number)) in ErrorCode::ALL.iter().zip(expected) {
            assert_eq!((code.name(), code.code()), (name, number));
            assert_eq!(ErrorCode::from_code(number), Some(*code));
        }
        assert_eq!(ErrorCode::from_code(12345), None);
        assert_eq!(ErrorCode::OFFSET_NOT_AVAILABLE.to_string(), "OFFSET_NOT_AVAILABLE(78)");
        assert!(!ErrorCode::OFFSET_OUT_OF_RANGE.is_retriable());
        assert!(ErrorCode::FENCED_LEADER_EPOCH.is_retriable());
    }
}
