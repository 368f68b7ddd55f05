//! The protocol crate's messages on Kafka's wire, and back.
//!
//! A request is encoded at a fixed version (each within Kafka 4.4.0's range, checked against
//! the brokers' ApiVersions answer before a run). A response is decoded and given to the node
//! as the protocol crate's message, with the request fields it echoes (`messages.rs` explains
//! why) filled in from the request the shell kept under the correlation id, as Kafka's clients
//! judge a response against the request they kept.
//!
//! A record's value is the producer's `u64`, eight bytes big-endian, one record per batch.
//! Kafka's leader epoch of a record is its batch's `partitionLeaderEpoch`.

use bytes::{Bytes, BytesMut};
use highwater_protocol::{
    EpochEndOffset, ErrorCode, FetchResponse, LeaderIdAndEpoch, ListOffsetsResponse, Message, MetadataResponse,
    OffsetRecord, OffsetsForLeaderEpochResponse, ProduceResponse, ReplicaInfo,
};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::offset_for_leader_epoch_request::{OffsetForLeaderPartition, OffsetForLeaderTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{self as wire, ApiKey, BrokerId as WireBrokerId, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

/// Metadata v12: leader epochs, racks, offline replicas; topics by name.
pub const METADATA_VERSION: i16 = 12;
/// Produce v10: the first with KIP-951's `current_leader`.
pub const PRODUCE_VERSION: i16 = 10;
/// Fetch v12: `rack_id` (v11+), `diverging_epoch` and `current_leader`; topics by name.
pub const FETCH_VERSION: i16 = 12;
/// ListOffsets v6: `current_leader_epoch` for fencing.
pub const LIST_OFFSETS_VERSION: i16 = 6;
/// OffsetForLeaderEpoch v4: `replica_id`, so a consumer is told apart (KIP-392).
pub const OFFSET_FOR_LEADER_EPOCH_VERSION: i16 = 4;
/// ApiVersions v3.
pub const API_VERSIONS_VERSION: i16 = 3;

/// Every API the shell sends and the version it sends it at.
pub const VERSIONS: &[(ApiKey, i16)] = &[
    (ApiKey::Metadata, METADATA_VERSION),
    (ApiKey::Produce, PRODUCE_VERSION),
    (ApiKey::Fetch, FETCH_VERSION),
    (ApiKey::ListOffsets, LIST_OFFSETS_VERSION),
    (ApiKey::OffsetForLeaderEpoch, OFFSET_FOR_LEADER_EPOCH_VERSION),
];

/// How the shell fetches, beyond what the protocol crate's request carries.
#[derive(Clone, Copy, Debug)]
pub struct FetchSettings {
    /// `fetch.max.wait.ms`.
    pub max_wait_ms: i32,
    /// `request.timeout.ms`, also the produce request's `timeout_ms` bound.
    pub request_timeout_ms: i32,
}

/// What a response is judged against: the request fields it echoes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// A Metadata request.
    Metadata,
    /// A Produce request of this value.
    Produce {
        /// The value.
        value: u64,
    },
    /// A Fetch request.
    Fetch {
        /// Its `fetch_offset`.
        fetch_offset: i64,
        /// Its `current_leader_epoch`.
        current_leader_epoch: i32,
    },
    /// A ListOffsets request.
    ListOffsets {
        /// Its timestamp.
        timestamp: i64,
    },
    /// An OffsetForLeaderEpoch request.
    Validation {
        /// The epoch asked about.
        leader_epoch: i32,
        /// Its `current_leader_epoch`.
        current_leader_epoch: i32,
    },
}

impl Context {
    /// The API it belongs to and the version it was sent at.
    pub fn api(&self) -> (ApiKey, i16) {
        match self {
            Context::Metadata => (ApiKey::Metadata, METADATA_VERSION),
            Context::Produce { .. } => (ApiKey::Produce, PRODUCE_VERSION),
            Context::Fetch { .. } => (ApiKey::Fetch, FETCH_VERSION),
            Context::ListOffsets { .. } => (ApiKey::ListOffsets, LIST_OFFSETS_VERSION),
            Context::Validation { .. } => (ApiKey::OffsetForLeaderEpoch, OFFSET_FOR_LEADER_EPOCH_VERSION),
        }
    }
}

fn topic_name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

/// A Metadata request for `topic` alone.
pub fn metadata_request(topic: &str) -> wire::MetadataRequest {
    wire::MetadataRequest::default()
        .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some(topic_name(topic)))]))
}

/// Encode a node's request as a frame with this correlation id.
pub fn request(
    message: &Message,
    topic: &str,
    correlation_id: i32,
    client_id: &str,
    settings: FetchSettings,
    now_ms: i64,
) -> Result<(Bytes, Context), String> {
    use crate::wire::frame_request as frame;
    match message {
        Message::Metadata(_) => {
            let request = metadata_request(topic);
            Ok((frame(&request, METADATA_VERSION, correlation_id, client_id)?, Context::Metadata))
        }
        Message::Produce(p) => {
            let records = encode_value(p.value, now_ms)?;
            let partition = PartitionProduceData::default().with_index(0).with_records(Some(records));
            let data = TopicProduceData::default().with_name(topic_name(topic)).with_partition_data(vec![partition]);
            let request = wire::ProduceRequest::default()
                .with_acks(p.acks)
                .with_timeout_ms(settings.request_timeout_ms)
                .with_topic_data(vec![data]);
            Ok((frame(&request, PRODUCE_VERSION, correlation_id, client_id)?, Context::Produce { value: p.value }))
        }
        Message::Fetch(f) => {
            let partition = FetchPartition::default()
                .with_partition(0)
                .with_current_leader_epoch(f.current_leader_epoch)
                .with_fetch_offset(f.fetch_offset)
                .with_last_fetched_epoch(f.last_fetched_epoch)
                .with_log_start_offset(f.log_start_offset)
                .with_partition_max_bytes(1 << 20);
            let request = wire::FetchRequest::default()
                .with_replica_id(WireBrokerId(f.replica_id))
                .with_max_wait_ms(settings.max_wait_ms)
                .with_min_bytes(1)
                .with_max_bytes(1 << 20)
                .with_isolation_level(0)
                // A full fetch without a session (`FetchMetadata.LEGACY`): every request
                // names the partition and its position, as the protocol crate's does.
                .with_session_id(0)
                .with_session_epoch(-1)
                .with_topics(vec![FetchTopic::default().with_topic(topic_name(topic)).with_partitions(vec![partition])])
                .with_rack_id(StrBytes::from_string(f.rack_id.clone()));
            let context = Context::Fetch { fetch_offset: f.fetch_offset, current_leader_epoch: f.current_leader_epoch };
            Ok((frame(&request, FETCH_VERSION, correlation_id, client_id)?, context))
        }
        Message::ListOffsets(l) => {
            let partition = ListOffsetsPartition::default()
                .with_partition_index(0)
                .with_current_leader_epoch(l.current_leader_epoch)
                .with_timestamp(l.timestamp);
            let request = wire::ListOffsetsRequest::default()
                .with_replica_id(WireBrokerId(l.replica_id))
                .with_isolation_level(0)
                .with_topics(vec![ListOffsetsTopic::default()
                    .with_name(topic_name(topic))
                    .with_partitions(vec![partition])]);
            let context = Context::ListOffsets { timestamp: l.timestamp };
            Ok((frame(&request, LIST_OFFSETS_VERSION, correlation_id, client_id)?, context))
        }
        Message::OffsetsForLeaderEpoch(o) => {
            let partition = OffsetForLeaderPartition::default()
                .with_partition(0)
                .with_current_leader_epoch(o.current_leader_epoch)
                .with_leader_epoch(o.leader_epoch);
            let request = wire::OffsetForLeaderEpochRequest::default()
                .with_replica_id(WireBrokerId(o.replica_id))
                .with_topics(vec![OffsetForLeaderTopic::default()
                    .with_topic(topic_name(topic))
                    .with_partitions(vec![partition])]);
            let context =
                Context::Validation { leader_epoch: o.leader_epoch, current_leader_epoch: o.current_leader_epoch };
            Ok((frame(&request, OFFSET_FOR_LEADER_EPOCH_VERSION, correlation_id, client_id)?, context))
        }
        other => Err(format!("a client does not send {}", other.api_name())),
    }
}

/// An error code as the protocol crate knows it. A code it does not model is given to the node
/// as REPLICA_NOT_AVAILABLE, a retriable error that carries no leadership hint, which every
/// client node answers as Kafka's clients answer an unexpected retriable error: new metadata
/// and a backoff. The history keeps the code Kafka sent.
pub fn error_code(code: i16) -> (ErrorCode, Option<i16>) {
    match ErrorCode::from_code(code) {
        Some(known) => (known, None),
        None => (ErrorCode::REPLICA_NOT_AVAILABLE, Some(code)),
    }
}

/// A decoded response, and any error code Kafka sent that the node was given a stand-in for.
pub struct Decoded {
    /// The node's message.
    pub message: Message,
    /// The code Kafka sent, where it is not one the protocol crate models.
    pub unmodelled_error: Option<i16>,
}

/// Decode a response frame into the node's message.
pub fn response(frame: Bytes, context: Context, topic: &str) -> Result<Decoded, String> {
    use crate::wire::decode_response as decode;
    let (api, version) = context.api();
    match context {
        Context::Metadata => {
            let response: wire::MetadataResponse = decode(api, frame, version)?;
            let metadata = metadata_response(&response, topic)?;
            Ok(Decoded { message: Message::MetadataResponse(metadata), unmodelled_error: None })
        }
        Context::Produce { value } => {
            let response: wire::ProduceResponse = decode(api, frame, version)?;
            let p = response
                .responses
                .first()
                .and_then(|t| t.partition_responses.first())
                .ok_or("a Produce response without the partition")?;
            let (error_code, unmodelled_error) = error_code(p.error_code);
            let message = Message::ProduceResponse(ProduceResponse {
                error_code,
                base_offset: p.base_offset,
                value,
                current_leader: LeaderIdAndEpoch {
                    leader_id: p.current_leader.leader_id.0,
                    leader_epoch: p.current_leader.leader_epoch,
                },
            });
            Ok(Decoded { message, unmodelled_error })
        }
        Context::Fetch { fetch_offset, current_leader_epoch } => {
            let response: wire::FetchResponse = decode(api, frame, version)?;
            let p = response
                .responses
                .first()
                .and_then(|t| t.partitions.first())
                .ok_or_else(|| format!("a Fetch response without the partition (error {})", response.error_code))?;
            let (error_code, unmodelled_error) = error_code(p.error_code);
            let records = match &p.records {
                Some(bytes) if !bytes.is_empty() => decode_records(bytes.clone(), fetch_offset)?,
                _ => Vec::new(),
            };
            let diverging = p.diverging_epoch.epoch >= 0;
            let message = Message::FetchResponse(FetchResponse {
                error_code,
                high_watermark: p.high_watermark,
                log_start_offset: p.log_start_offset,
                records,
                diverging_epoch: diverging.then_some(EpochEndOffset {
                    epoch: p.diverging_epoch.epoch,
                    end_offset: p.diverging_epoch.end_offset,
                }),
                preferred_read_replica: p.preferred_read_replica.0,
                current_leader: LeaderIdAndEpoch {
                    leader_id: p.current_leader.leader_id.0,
                    leader_epoch: p.current_leader.leader_epoch,
                },
                fetch_offset,
                request_leader_epoch: current_leader_epoch,
            });
            Ok(Decoded { message, unmodelled_error })
        }
        Context::ListOffsets { timestamp } => {
            let response: wire::ListOffsetsResponse = decode(api, frame, version)?;
            let p = response
                .topics
                .first()
                .and_then(|t| t.partitions.first())
                .ok_or("a ListOffsets response without the partition")?;
            let (error_code, unmodelled_error) = error_code(p.error_code);
            let message = Message::ListOffsetsResponse(ListOffsetsResponse {
                error_code,
                offset: p.offset,
                leader_epoch: p.leader_epoch,
                timestamp,
            });
            Ok(Decoded { message, unmodelled_error })
        }
        Context::Validation { leader_epoch, current_leader_epoch } => {
            let response: wire::OffsetForLeaderEpochResponse = decode(api, frame, version)?;
            let p = response
                .topics
                .first()
                .and_then(|t| t.partitions.first())
                .ok_or("an OffsetForLeaderEpoch response without the partition")?;
            let (error_code, unmodelled_error) = error_code(p.error_code);
            let message = Message::OffsetsForLeaderEpochResponse(OffsetsForLeaderEpochResponse {
                error_code,
                leader_epoch: p.leader_epoch,
                end_offset: p.end_offset,
                requested_epoch: leader_epoch,
                request_leader_epoch: current_leader_epoch,
            });
            Ok(Decoded { message, unmodelled_error })
        }
    }
}

/// The partition in a Metadata response, as the protocol crate's message.
pub fn metadata_response(response: &wire::MetadataResponse, topic: &str) -> Result<MetadataResponse, String> {
    let t = response
        .topics
        .iter()
        .find(|t| t.name.as_ref().is_some_and(|n| n.0.as_str() == topic))
        .ok_or_else(|| format!("Metadata does not list topic {topic}"))?;
    if t.error_code != 0 {
        return Err(format!("Metadata answers error {} for topic {topic}", t.error_code));
    }
    let p = t.partitions.iter().find(|p| p.partition_index == 0).ok_or("Metadata lists no partition 0")?;
    let rack = |id: i32| {
        response.brokers.iter().find(|b| b.node_id.0 == id).and_then(|b| b.rack.as_ref()).map(|r| r.to_string())
    };
    Ok(MetadataResponse {
        leader_id: p.leader_id.0,
        leader_epoch: p.leader_epoch,
        replicas: p.replica_nodes.iter().map(|b| ReplicaInfo { broker_id: b.0, rack: rack(b.0) }).collect(),
        isr_nodes: sorted(p.isr_nodes.iter().map(|b| b.0)),
        offline_replicas: sorted(p.offline_replicas.iter().map(|b| b.0)),
    })
}

fn sorted(ids: impl Iterator<Item = i32>) -> Vec<i32> {
    let mut ids: Vec<i32> = ids.collect();
    ids.sort_unstable();
    ids
}

/// One record batch holding `value`.
pub fn encode_value(value: u64, now_ms: i64) -> Result<Bytes, String> {
    let record = Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: -1,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: 0,
        sequence: -1,
        timestamp: now_ms,
        key: None,
        value: Some(Bytes::copy_from_slice(&value.to_be_bytes())),
        headers: Default::default(),
    };
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions { version: 2, compression: Compression::None };
    RecordBatchEncoder::encode(&mut buf, [&record], &options).map_err(|e| format!("record batch: {e}"))?;
    Ok(buf.freeze())
}

/// The records of a fetch response from `fetch_offset` on. A broker answers whole batches, so
/// a batch may start below the offset asked for; a consumer skips those records, as Kafka's
/// `CompletedFetch` does.
pub fn decode_records(mut bytes: Bytes, fetch_offset: i64) -> Result<Vec<OffsetRecord>, String> {
    let sets = RecordBatchDecoder::decode_all(&mut bytes).map_err(|e| format!("record batches: {e}"))?;
    let mut records = Vec::new();
    for record in sets.into_iter().flat_map(|s| s.records) {
        if record.control || record.offset < fetch_offset {
            continue;
        }
        let value =
            record.value.as_deref().ok_or_else(|| format!("the record at offset {} has no value", record.offset))?;
        let value: [u8; 8] = value.try_into().map_err(|_| {
            format!("the record at offset {} is {} bytes, not a highwater value (8)", record.offset, value.len())
        })?;
        records.push(OffsetRecord {
            offset: record.offset,
            epoch: record.partition_leader_epoch,
            value: u64::from_be_bytes(value),
        });
    }
    Ok(records)
}
