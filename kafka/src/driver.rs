//! The real-time shell: the protocol crate's `Consumer` and `Producer`, unchanged, stepped by
//! the clock, by timers and by answers from real brokers.
//!
//! As quinn drives quinn-proto, the shell owns the sockets and the clock and the node owns every
//! decision: each `handle(now, input)` returns outputs, which the shell carries out (send on a
//! connection, set or cancel a timer, close a connection) and records. `now` is milliseconds
//! since the run began.
//!
//! The shell adds what Kafka's `NetworkClient` does beneath a client and the protocol crate
//! leaves to its environment:
//! - Metadata, which the node addresses to the controller, goes to a broker, as Kafka's
//!   clients send it to the least loaded node: one already connected with nothing outstanding,
//!   else the next in turn, brokers of the client's own place first.
//! - A request unanswered after `request.timeout.ms` closes its connection
//!   (`NetworkClient.handleTimedOutRequests`), and every request outstanding on it fails: the
//!   node is told `Disconnected` for each peer it was waiting on there. A node whose own
//!   request timer ran out first closes the connection itself (`Output::Disconnect`) and is not
//!   told again of the request it abandoned.
//! - A connection that cannot be opened or breaks fails its requests the same way.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use highwater_protocol::{BrokerId, Consumer, Input, Message, Millis, NodeId, Output, Producer, TimerKind};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cluster;
use crate::history::{ConsumerState, History, What};
use crate::translate::{self, Context, FetchSettings};
use crate::wire;

/// A client under test.
#[derive(Debug)]
pub enum Client {
    /// A consumer.
    Consumer(Consumer),
    /// The producer.
    Producer(Producer),
}

impl Client {
    fn handle(&mut self, now: Millis, input: Input) -> Vec<Output> {
        match self {
            Client::Consumer(c) => c.handle(now, input),
            Client::Producer(p) => p.handle(now, input),
        }
    }

    /// Its node id.
    pub fn node(&self) -> NodeId {
        match self {
            Client::Consumer(c) => NodeId::Consumer(c.config().consumer_id),
            Client::Producer(_) => NodeId::Producer,
        }
    }

    /// The place it sits in: its `client.rack`, or a place of its own.
    pub fn place(&self) -> String {
        match self {
            Client::Consumer(c) => {
                c.config().client_rack.clone().unwrap_or_else(|| NodeId::Consumer(c.config().consumer_id).to_string())
            }
            Client::Producer(_) => cluster::PRODUCER_PLACE.0.to_string(),
        }
    }
}

struct Pending {
    broker: BrokerId,
    /// Whom the node addressed: the broker, or the controller for Metadata.
    peer: NodeId,
    context: Context,
    sent: Instant,
}

enum Connection {
    Connecting { generation: u64, queued: Vec<Bytes> },
    Open { generation: u64, writer: OwnedWriteHalf },
}

impl Connection {
    fn generation(&self) -> u64 {
        match self {
            Connection::Connecting { generation, .. } | Connection::Open { generation, .. } => *generation,
        }
    }
}

struct Slot {
    client: Client,
    name: String,
    place: String,
    timers: BTreeMap<TimerKind, Instant>,
    connections: BTreeMap<BrokerId, Connection>,
    pending: BTreeMap<i32, Pending>,
    next_bootstrap: usize,
    last_state: Option<ConsumerState>,
}

enum Event {
    Connected { slot: usize, broker: BrokerId, generation: u64, result: std::io::Result<tokio::net::TcpStream> },
    Frame { slot: usize, broker: BrokerId, generation: u64, frame: Bytes },
    Closed { slot: usize, broker: BrokerId, generation: u64, why: String },
}

/// An input waiting for its client: the client's index, the input, and for a fetch answer the
/// replica that served it and its high watermark.
type Queued = (usize, Input, Option<(BrokerId, i64)>);

/// A steady stream of values for the producer.
struct Production {
    interval: Duration,
    next_at: Instant,
    next_value: u64,
}

/// The shell and the clients it drives.
pub struct Driver {
    start: Instant,
    topic: String,
    settings: FetchSettings,
    slots: Vec<Slot>,
    events: mpsc::UnboundedReceiver<Event>,
    sender: mpsc::UnboundedSender<Event>,
    next_correlation: i32,
    next_generation: u64,
    /// Inputs waiting to be given, in order: an input's outputs may fail a connection, whose
    /// `Disconnected` inputs wait here rather than nest inside the first.
    queue: std::collections::VecDeque<Queued>,
    production: Option<Production>,
    /// The run's history.
    pub history: History,
}

impl Driver {
    /// A shell for `clients` on `topic`; nothing starts until [`Driver::start`].
    pub fn new(topic: &str, settings: FetchSettings, clients: Vec<Client>) -> Self {
        let (sender, events) = mpsc::unbounded_channel();
        let slots = clients
            .into_iter()
            .map(|client| Slot {
                name: client.node().to_string(),
                place: client.place(),
                client,
                timers: BTreeMap::new(),
                connections: BTreeMap::new(),
                pending: BTreeMap::new(),
                next_bootstrap: 0,
                last_state: None,
            })
            .collect();
        Driver {
            start: Instant::now(),
            topic: topic.to_string(),
            settings,
            slots,
            events,
            sender,
            next_correlation: 1,
            next_generation: 1,
            queue: Default::default(),
            production: None,
            history: History::default(),
        }
    }

    /// Milliseconds since the run began.
    pub fn now(&self) -> Millis {
        self.start.elapsed().as_millis() as Millis
    }

    /// Record a scenario step.
    pub fn step(&mut self, what: impl Into<String>) {
        let now = self.now();
        self.history.push(now, What::Step { what: what.into() });
    }

    /// The clients.
    pub fn clients(&self) -> impl Iterator<Item = &Client> {
        self.slots.iter().map(|s| &s.client)
    }

    /// Give every client `Start`.
    pub async fn start(&mut self) {
        for slot in 0..self.slots.len() {
            self.input(slot, Input::Start).await;
        }
    }

    /// The index of the client with this node id.
    pub fn slot_of(&self, node: NodeId) -> Option<usize> {
        self.slots.iter().position(|s| s.client.node() == node)
    }

    /// Give a client an input now, and carry out what it says and all that follows from it.
    pub async fn input(&mut self, slot: usize, input: Input) {
        self.enqueue(slot, input);
        self.drain().await;
    }

    fn enqueue(&mut self, slot: usize, input: Input) {
        let served = match &input {
            Input::Message { from: NodeId::Broker(b), message: Message::FetchResponse(r) } => {
                Some((*b, r.high_watermark))
            }
            _ => None,
        };
        self.queue.push_back((slot, input, served));
    }

    async fn drain(&mut self) {
        while let Some((slot, input, served)) = self.queue.pop_front() {
            let now = self.now();
            if let Input::Produce(value) = input {
                self.history.push(now, What::Produced { value });
            }
            let outputs = self.slots[slot].client.handle(now, input);
            self.note_consumer(slot, now);
            self.carry_out(slot, outputs, served).await;
        }
    }

    /// Record a consumer's state when an input changed it.
    fn note_consumer(&mut self, slot: usize, now: Millis) {
        let Client::Consumer(consumer) = &self.slots[slot].client else { return };
        let state = ConsumerState::of(consumer);
        if self.slots[slot].last_state.as_ref() != Some(&state) {
            self.slots[slot].last_state = Some(state.clone());
            let client = self.slots[slot].name.clone();
            self.history.push(now, What::Consumer { client, state });
        }
    }

    /// From now on, give the producer a value every `interval`, counting up from `first`, on a
    /// schedule of its own: time spent outside [`Driver::run_for`] is caught up on.
    pub fn produce_every(&mut self, interval: Duration, first: u64) {
        self.production = Some(Production { interval, next_at: Instant::now(), next_value: first });
    }

    /// Stop producing; the next value the schedule would have given.
    pub fn stop_producing(&mut self) -> Option<u64> {
        self.production.take().map(|p| p.next_value)
    }

    /// Run for `duration`: answers, timers, and the production schedule, if any.
    pub async fn run_for(&mut self, duration: Duration) {
        let end = Instant::now() + duration;
        loop {
            let next_produce = self.production.as_ref().map(|p| p.next_at);
            let mut wake = end;
            for slot in &self.slots {
                if let Some(t) = slot.timers.values().min() {
                    wake = wake.min(*t);
                }
                if let Some(p) = slot.pending.values().map(|p| p.sent).min() {
                    wake = wake.min(p + self.request_deadline());
                }
            }
            if let Some(p) = next_produce {
                wake = wake.min(p);
            }
            tokio::select! {
                event = self.events.recv() => {
                    if let Some(event) = event {
                        self.on_event(event).await;
                    }
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
            let now = Instant::now();
            self.fire_timers(now).await;
            self.expire_requests(now).await;
            while let Some(p) = self.production.as_mut().filter(|p| now >= p.next_at) {
                let value = p.next_value;
                p.next_value += 1;
                p.next_at += p.interval;
                if let Some(producer) = self.slot_of(NodeId::Producer) {
                    self.input(producer, Input::Produce(value)).await;
                }
            }
            if now >= end {
                return;
            }
        }
    }

    /// Run until `done` holds of the clients, or `timeout`; whether it held.
    pub async fn run_until(&mut self, timeout: Duration, done: impl Fn(&Driver) -> bool) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if done(self) {
                return true;
            }
            self.run_for(Duration::from_millis(100)).await;
        }
        done(self)
    }

    fn request_deadline(&self) -> Duration {
        // Past the node's own request timeout, so the node's timer fires first.
        Duration::from_millis(self.settings.request_timeout_ms as u64 + 500)
    }

    async fn fire_timers(&mut self, now: Instant) {
        for slot in 0..self.slots.len() {
            let due: Vec<TimerKind> =
                self.slots[slot].timers.iter().filter(|(_, t)| **t <= now).map(|(k, _)| *k).collect();
            for kind in due {
                self.slots[slot].timers.remove(&kind);
                self.input(slot, Input::Timer(kind)).await;
            }
        }
    }

    async fn expire_requests(&mut self, now: Instant) {
        let deadline = self.request_deadline();
        for slot in 0..self.slots.len() {
            let expired: Vec<BrokerId> =
                self.slots[slot].pending.values().filter(|p| now >= p.sent + deadline).map(|p| p.broker).collect();
            for broker in dedup(expired) {
                self.lose_connection(slot, broker, "a request timed out (request.timeout.ms)".into());
            }
            self.drain().await;
        }
    }

    async fn carry_out(&mut self, slot: usize, outputs: Vec<Output>, served: Option<(BrokerId, i64)>) {
        let now_ms = self.now();
        for output in outputs {
            match output {
                Output::Send { to, message } => self.send(slot, to, message).await,
                Output::SetTimer { timer, after_ms } => {
                    self.slots[slot].timers.insert(timer, Instant::now() + Duration::from_millis(after_ms));
                }
                Output::CancelTimer(timer) => {
                    self.slots[slot].timers.remove(&timer);
                }
                Output::DeliverRecords(records) => {
                    let (served_by, served_hw) = served.unwrap_or((-1, -1));
                    let client = self.slots[slot].name.clone();
                    let records = records.into_iter().map(Into::into).collect();
                    self.history.push(now_ms, What::Delivered { client, served_by, served_hw, records });
                }
                Output::Acknowledged { value, offset } => {
                    self.history.push(now_ms, What::Acknowledged { value, offset })
                }
                Output::Disconnect(NodeId::Broker(b)) => {
                    let why = "closed by the client after a request timeout".to_string();
                    self.close_connection(slot, b, why, Some(NodeId::Broker(b)));
                }
                Output::Disconnect(_) | Output::Ignored(_) => {}
            }
        }
    }

    /// The broker a Metadata request goes to.
    fn bootstrap(&mut self, slot: usize) -> BrokerId {
        let s = &mut self.slots[slot];
        let idle = |b: &BrokerId| {
            matches!(s.connections.get(b), Some(Connection::Open { .. })) && !s.pending.values().any(|p| p.broker == *b)
        };
        let mut order: Vec<BrokerId> = cluster::brokers().filter(|b| b.place == s.place).map(|b| b.id).collect();
        order.extend(cluster::brokers().filter(|b| b.place != s.place).map(|b| b.id));
        if let Some(b) = order.iter().copied().find(idle) {
            return b;
        }
        let b = order[s.next_bootstrap % order.len()];
        s.next_bootstrap += 1;
        b
    }

    async fn send(&mut self, slot: usize, to: NodeId, message: Message) {
        let broker = match to {
            NodeId::Broker(b) => b,
            NodeId::Controller => self.bootstrap(slot),
            _ => return,
        };
        let correlation_id = self.next_correlation;
        self.next_correlation += 1;
        let now_ms = self.now();
        let client = self.slots[slot].name.clone();
        let encoded =
            translate::request(&message, &self.topic, correlation_id, &client, self.settings, wall_clock_ms());
        let (frame, context) = match encoded {
            Ok(encoded) => encoded,
            Err(why) => {
                self.history.push(now_ms, What::Step { what: format!("{client} could not encode a request: {why}") });
                return;
            }
        };
        self.history
            .push(now_ms, What::Sent { client, broker, correlation_id, request: format!("{message:?}"), message });
        self.slots[slot].pending.insert(correlation_id, Pending { broker, peer: to, context, sent: Instant::now() });
        self.write(slot, broker, frame).await;
    }

    async fn write(&mut self, slot: usize, broker: BrokerId, frame: Bytes) {
        let generation = match self.slots[slot].connections.get_mut(&broker) {
            Some(Connection::Connecting { queued, .. }) => {
                queued.push(frame);
                return;
            }
            Some(Connection::Open { writer, generation }) => {
                let generation = *generation;
                if let Err(e) = wire::write_frame(writer, &frame).await {
                    let why = format!("write failed: {e}");
                    let _ = self.sender.send(Event::Closed { slot, broker, generation, why });
                }
                return;
            }
            None => {
                let generation = self.next_generation;
                self.next_generation += 1;
                generation
            }
        };
        self.slots[slot].connections.insert(broker, Connection::Connecting { generation, queued: vec![frame] });
        let Some(node) = cluster::broker(broker) else {
            let _ = self.sender.send(Event::Closed { slot, broker, generation, why: "no such broker".into() });
            return;
        };
        let place = self.slots[slot].place.clone();
        let sender = self.sender.clone();
        let timeout = Duration::from_millis(self.settings.request_timeout_ms as u64);
        let to = node.endpoint();
        tokio::spawn(async move {
            let result = wire::connect_in(&place, to, timeout).await;
            let _ = sender.send(Event::Connected { slot, broker, generation, result });
        });
    }

    async fn on_event(&mut self, event: Event) {
        match event {
            Event::Connected { slot, broker, generation, result } => {
                if self.slots[slot].connections.get(&broker).map(Connection::generation) != Some(generation) {
                    return;
                }
                match result {
                    Ok(stream) => {
                        let (mut reader, mut writer) = stream.into_split();
                        let queued = match self.slots[slot].connections.remove(&broker) {
                            Some(Connection::Connecting { queued, .. }) => queued,
                            _ => Vec::new(),
                        };
                        let mut failed = None;
                        for frame in queued {
                            if let Err(e) = wire::write_frame(&mut writer, &frame).await {
                                failed = Some(format!("write failed: {e}"));
                                break;
                            }
                        }
                        self.slots[slot].connections.insert(broker, Connection::Open { generation, writer });
                        if let Some(why) = failed {
                            self.lose_connection(slot, broker, why);
                            return self.drain().await;
                        }
                        let sender = self.sender.clone();
                        tokio::spawn(async move {
                            loop {
                                match wire::read_frame(&mut reader).await {
                                    Ok(frame) => {
                                        if sender.send(Event::Frame { slot, broker, generation, frame }).is_err() {
                                            return;
                                        }
                                    }
                                    Err(e) => {
                                        let why = format!("connection closed: {e}");
                                        let _ = sender.send(Event::Closed { slot, broker, generation, why });
                                        return;
                                    }
                                }
                            }
                        });
                    }
                    Err(e) => {
                        self.lose_connection(slot, broker, format!("connect failed: {e}"));
                        self.drain().await;
                    }
                }
            }
            Event::Frame { slot, broker, generation, frame } => {
                if self.slots[slot].connections.get(&broker).map(Connection::generation) != Some(generation) {
                    return;
                }
                self.on_frame(slot, broker, frame).await;
            }
            Event::Closed { slot, broker, generation, why } => {
                if self.slots[slot].connections.get(&broker).map(Connection::generation) == Some(generation) {
                    self.lose_connection(slot, broker, why);
                    self.drain().await;
                }
            }
        }
    }

    async fn on_frame(&mut self, slot: usize, broker: BrokerId, frame: Bytes) {
        let Some(correlation_id) = wire::peek_correlation(&frame) else {
            self.lose_connection(slot, broker, "a frame too short for a header".into());
            return self.drain().await;
        };
        let Some(pending) = self.slots[slot].pending.remove(&correlation_id) else {
            self.lose_connection(slot, broker, format!("an answer to unknown correlation id {correlation_id}"));
            return self.drain().await;
        };
        let now_ms = self.now();
        let client = self.slots[slot].name.clone();
        match translate::response(frame, pending.context, &self.topic) {
            Ok(decoded) => {
                self.history.push(
                    now_ms,
                    What::Received {
                        client,
                        broker,
                        correlation_id,
                        latency_ms: pending.sent.elapsed().as_millis() as Millis,
                        response: format!("{:?}", decoded.message),
                        unmodelled_error: decoded.unmodelled_error,
                        message: decoded.message.clone(),
                    },
                );
                let from = match pending.peer {
                    NodeId::Controller => NodeId::Controller,
                    _ => NodeId::Broker(broker),
                };
                self.input(slot, Input::Message { from, message: decoded.message }).await;
            }
            Err(why) => {
                self.slots[slot].pending.insert(correlation_id, pending);
                self.lose_connection(slot, broker, format!("an answer that does not decode: {why}"));
                self.drain().await;
            }
        }
    }

    /// Close a connection and fail what was outstanding on it (the node hears of it when the
    /// queue is drained).
    fn lose_connection(&mut self, slot: usize, broker: BrokerId, why: String) {
        self.close_connection(slot, broker, why, None);
    }

    /// Close a connection and fail what was outstanding on it. The node is told for each peer
    /// it waited on there, except `abandoned`: the node closed the connection itself, having
    /// failed its request to that peer already, and may have sent the next one to the same
    /// broker, which a late `Disconnected` would fail too.
    fn close_connection(&mut self, slot: usize, broker: BrokerId, why: String, abandoned: Option<NodeId>) {
        self.slots[slot].connections.remove(&broker);
        let lost: Vec<i32> =
            self.slots[slot].pending.iter().filter(|(_, p)| p.broker == broker).map(|(c, _)| *c).collect();
        let mut peers = Vec::new();
        for correlation in &lost {
            if let Some(p) = self.slots[slot].pending.remove(correlation) {
                peers.push(p.peer);
            }
        }
        let now_ms = self.now();
        let client = self.slots[slot].name.clone();
        self.history.push(now_ms, What::ConnectionLost { client, broker, why, outstanding: lost.len() });
        for peer in dedup(peers).into_iter().filter(|p| Some(*p) != abandoned) {
            self.enqueue(slot, Input::Disconnected(peer));
        }
    }
}

fn dedup<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items.dedup();
    items
}

fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
