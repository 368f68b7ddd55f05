//! The protocol crate's messages on Kafka's wire and back, without a cluster: what the shell
//! sends is what Kafka's schemas say, and what it hands the node carries the request's echoes.

use bytes::{BufMut, Bytes, BytesMut};
use highwater_kafka::translate::{self, Context, FetchSettings};
use highwater_protocol::{ErrorCode, FetchRequest, Message, CONSUMER_REPLICA_ID};
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, LeaderIdAndEpoch, PartitionData};
use kafka_protocol::messages::{
    ApiKey, BrokerId, FetchRequest as WireFetch, FetchResponse as WireFetchResponse, RequestHeader, ResponseHeader,
    TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

const SETTINGS: FetchSettings = FetchSettings { max_wait_ms: 500, request_timeout_ms: 5_000 };

/// A response frame as a broker writes it, without the size prefix the reader strips.
fn response_frame(correlation_id: i32, response: &WireFetchResponse) -> Bytes {
    let mut buf = BytesMut::new();
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    header.encode(&mut buf, ApiKey::Fetch.response_header_version(translate::FETCH_VERSION)).unwrap();
    response.encode(&mut buf, translate::FETCH_VERSION).unwrap();
    buf.freeze()
}

#[test]
fn a_consumer_fetch_carries_its_rack_and_epoch_on_the_wire() {
    let message = Message::Fetch(FetchRequest {
        replica_id: CONSUMER_REPLICA_ID,
        rack_id: "b".into(),
        current_leader_epoch: 4,
        fetch_offset: 17,
        last_fetched_epoch: -1,
        log_start_offset: -1,
    });
    let (frame, context) = translate::request(&message, "t", 9, "consumer-0", SETTINGS, 0).unwrap();
    assert_eq!(context, Context::Fetch { fetch_offset: 17, current_leader_epoch: 4 });
    let mut body = frame.slice(4..);
    let size = i32::from_be_bytes(frame[..4].try_into().unwrap());
    assert_eq!(size as usize, body.len());
    let header =
        RequestHeader::decode(&mut body, ApiKey::Fetch.request_header_version(translate::FETCH_VERSION)).unwrap();
    assert_eq!((header.request_api_key, header.request_api_version, header.correlation_id), (1, 12, 9));
    let request = WireFetch::decode(&mut body, translate::FETCH_VERSION).unwrap();
    assert_eq!(request.rack_id.as_str(), "b");
    assert_eq!(request.replica_id, BrokerId(-1));
    let partition = &request.topics[0].partitions[0];
    assert_eq!((partition.fetch_offset, partition.current_leader_epoch), (17, 4));
    assert_eq!(request.max_wait_ms, 500);
}

#[test]
fn a_fetch_answer_keeps_records_from_the_offset_asked_and_the_redirect() {
    let mut records = BytesMut::new();
    for (offset, value) in [(5i64, 50u64), (6, 60), (7, 70)] {
        // Three batches of one record each, at offsets 5, 6 and 7, written in epoch 3.
        let batch = translate::encode_value(value, 0).unwrap();
        let mut batch = BytesMut::from(&batch[..]);
        batch[..8].copy_from_slice(&offset.to_be_bytes());
        batch[12..16].copy_from_slice(&3i32.to_be_bytes());
        records.put(batch);
    }
    let partition = PartitionData::default()
        .with_partition_index(0)
        .with_high_watermark(8)
        .with_log_start_offset(0)
        .with_preferred_read_replica(BrokerId(3))
        .with_current_leader(LeaderIdAndEpoch::default().with_leader_id(BrokerId(1)).with_leader_epoch(3))
        .with_records(Some(records.freeze()));
    let response = WireFetchResponse::default().with_responses(vec![FetchableTopicResponse::default()
        .with_topic(TopicName(StrBytes::from_static_str("t")))
        .with_partitions(vec![partition])]);
    let decoded = translate::response(
        response_frame(9, &response),
        Context::Fetch { fetch_offset: 6, current_leader_epoch: 3 },
        "t",
    )
    .unwrap();
    let Message::FetchResponse(r) = decoded.message else { panic!("a fetch answer decodes as one") };
    assert_eq!(r.preferred_read_replica, 3);
    assert_eq!(r.high_watermark, 8);
    assert_eq!((r.fetch_offset, r.request_leader_epoch), (6, 3), "the request's echoes");
    let got: Vec<(i64, i32, u64)> = r.records.iter().map(|r| (r.offset, r.epoch, r.value)).collect();
    assert_eq!(got, vec![(6, 3, 60), (7, 3, 70)], "the record below the offset asked is skipped");
    assert_eq!(r.current_leader.leader_id, 1);
    assert_eq!(decoded.unmodelled_error, None);
}

#[test]
fn an_error_the_protocol_crate_does_not_model_gets_a_retriable_stand_in_and_is_kept() {
    assert_eq!(translate::error_code(6), (ErrorCode::NOT_LEADER_OR_FOLLOWER, None));
    // REQUEST_TIMED_OUT.
    assert_eq!(translate::error_code(7), (ErrorCode::REPLICA_NOT_AVAILABLE, Some(7)));
}

#[test]
fn a_record_that_is_not_a_highwater_value_is_refused_with_its_offset() {
    use kafka_protocol::records::{Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType};
    let batch = translate::encode_value(1, 0).unwrap();
    assert_eq!(translate::decode_records(batch, 0).unwrap()[0].value, 1);
    let foreign = Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: 0,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: 0,
        sequence: -1,
        timestamp: 0,
        key: None,
        value: Some(Bytes::from_static(b"four")),
        headers: Default::default(),
    };
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions { version: 2, compression: Compression::None };
    RecordBatchEncoder::encode(&mut buf, [&foreign], &options).unwrap();
    let error = translate::decode_records(buf.freeze(), 0).unwrap_err();
    assert!(error.contains("offset 0") && error.contains("4 bytes"), "{error}");
}

#[test]
fn a_truncated_batch_is_refused() {
    let mut short = BytesMut::from(&translate::encode_value(1, 0).unwrap()[..]);
    short.truncate(short.len() - 3);
    assert!(translate::decode_records(short.freeze(), 0).is_err());
}

#[test]
fn every_version_the_shell_sends_is_one_the_crate_can_encode() {
    use kafka_protocol::messages::{ListOffsetsRequest, MetadataRequest, OffsetForLeaderEpochRequest, ProduceRequest};
    use kafka_protocol::protocol::Message as _;
    for (api, version) in translate::VERSIONS {
        let range = match api {
            ApiKey::Metadata => MetadataRequest::VERSIONS,
            ApiKey::Produce => ProduceRequest::VERSIONS,
            ApiKey::Fetch => WireFetch::VERSIONS,
            ApiKey::ListOffsets => ListOffsetsRequest::VERSIONS,
            ApiKey::OffsetForLeaderEpoch => OffsetForLeaderEpochRequest::VERSIONS,
            other => panic!("the shell does not send {other:?}"),
        };
        assert!((range.min..=range.max).contains(version), "{api:?} v{version}");
    }
}
