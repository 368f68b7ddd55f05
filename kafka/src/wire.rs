//! Kafka's wire: size-prefixed frames, request headers with correlation ids, and sockets opened
//! inside a place's network namespace.
//!
//! A socket belongs to the namespace it was created in, whatever thread uses it later, so a
//! connection is opened on a short-lived thread that first joins the place's namespace
//! (`setns`), and is then handed to tokio.

use std::net::{SocketAddr, SocketAddrV4};
use std::os::fd::AsFd;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::netns;

/// The largest response the shell accepts: far above what one partition's fetch returns.
const MAX_FRAME: usize = 64 << 20;

/// Open a TCP connection to `to` from inside the namespace of `place`, giving up after
/// `timeout` (a black-holed peer never answers the handshake).
pub async fn connect_in(place: &str, to: SocketAddrV4, timeout: Duration) -> std::io::Result<TcpStream> {
    let path = format!("/run/netns/{}", netns::namespace(place));
    let stream = tokio::task::spawn_blocking(move || -> std::io::Result<std::net::TcpStream> {
        // A thread of its own: it stays in the namespace it joins, and ends with the connect.
        std::thread::spawn(move || {
            let file = std::fs::File::open(&path)?;
            nix::sched::setns(file.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)?;
            let stream = std::net::TcpStream::connect_timeout(&SocketAddr::V4(to), timeout)?;
            stream.set_nodelay(true)?;
            stream.set_nonblocking(true)?;
            Ok(stream)
        })
        .join()
        .map_err(|_| std::io::Error::other("the connecting thread panicked"))?
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))??;
    TcpStream::from_std(stream)
}

/// Encode a request with its header, as one size-prefixed frame.
pub fn frame_request<R: Request>(
    request: &R,
    version: i16,
    correlation_id: i32,
    client_id: &str,
) -> Result<Bytes, String> {
    let mut header = RequestHeader::default();
    header.request_api_key = R::KEY;
    header.request_api_version = version;
    header.correlation_id = correlation_id;
    header.client_id = Some(StrBytes::from_string(client_id.to_string()));
    let header_version = R::header_version(version);
    let mut body = BytesMut::new();
    header.encode(&mut body, header_version).map_err(|e| format!("request header: {e}"))?;
    request.encode(&mut body, version).map_err(|e| format!("request v{version}: {e}"))?;
    let mut frame = BytesMut::with_capacity(body.len() + 4);
    frame.put_i32(body.len() as i32);
    frame.extend_from_slice(&body);
    Ok(frame.freeze())
}

/// The correlation id at the head of a response frame (without its size prefix).
pub fn peek_correlation(frame: &Bytes) -> Option<i32> {
    (frame.len() >= 4).then(|| (&frame[..4]).get_i32())
}

/// Decode a response frame of `api_key` at `version`.
pub fn decode_response<T: Decodable + HeaderVersion>(
    api_key: ApiKey,
    mut frame: Bytes,
    version: i16,
) -> Result<T, String> {
    let header_version = api_key.response_header_version(version);
    ResponseHeader::decode(&mut frame, header_version).map_err(|e| format!("{api_key:?} response header: {e}"))?;
    T::decode(&mut frame, version).map_err(|e| format!("{api_key:?} v{version} response: {e}"))
}

/// Read one size-prefixed frame.
pub async fn read_frame(reader: &mut OwnedReadHalf) -> std::io::Result<Bytes> {
    let size = reader.read_i32().await?;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s <= MAX_FRAME)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("frame size {size}")))?;
    let mut buf = vec![0u8; size];
    reader.read_exact(&mut buf).await?;
    Ok(Bytes::from(buf))
}

/// Write one frame.
pub async fn write_frame(writer: &mut OwnedWriteHalf, frame: &[u8]) -> std::io::Result<()> {
    writer.write_all(frame).await
}

/// One request and its answer on a connection of its own: for setting up and watching the
/// cluster, not for the clients under test.
pub async fn call<R: Request>(
    place: &str,
    to: SocketAddrV4,
    request: &R,
    version: i16,
    timeout: Duration,
) -> Result<R::Response, String> {
    let api_key = ApiKey::try_from(R::KEY).map_err(|_| format!("unknown API key {}", R::KEY))?;
    let exchange = async {
        let stream = connect_in(place, to, timeout).await.map_err(|e| format!("connect to {to}: {e}"))?;
        let (mut reader, mut writer) = stream.into_split();
        write_frame(&mut writer, &frame_request(request, version, 1, "highwater-admin")?)
            .await
            .map_err(|e| format!("send to {to}: {e}"))?;
        let frame = read_frame(&mut reader).await.map_err(|e| format!("read from {to}: {e}"))?;
        decode_response::<R::Response>(api_key, frame, version)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| format!("{api_key:?} to {to}: no answer in {timeout:?}"))?
}
