//! The real cluster: a KRaft controller in a place of its own and three brokers in racks `a`,
//! `b`, `b`, started from Kafka's own classes (`kafka.tools.StorageTool`, `kafka.Kafka`), each
//! JVM inside its place's namespace, and stopped with every process and namespace gone.
//!
//! The controller quorum is one node outside every rack, as the model's controller is a place
//! of its own: an outage between racks leaves it reachable from both sides, so each outage
//! shape under test is the one intended, and never also a loss of the quorum.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use highwater_protocol::{BrokerId, MetadataResponse};
use kafka_protocol::messages::create_topics_request::{CreatableReplicaAssignment, CreatableTopic};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{
    ApiVersionsRequest, BrokerId as WireBrokerId, CreateTopicsRequest, FetchRequest, MetadataRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::history::RecordAt;
use crate::judge::FinalRead;
use crate::netns::{self, Network, Place};
use crate::{translate, wire, KafkaError};

/// The controller's node id.
pub const CONTROLLER_ID: i32 = 0;
/// The port brokers listen on.
pub const BROKER_PORT: u16 = 9092;
/// The port the controller listens on.
pub const CONTROLLER_PORT: u16 = 9093;
/// KRaft's cluster id (a base64 UUID; these are the bytes of "highwater-kafka1").
const CLUSTER_ID: &str = "aGlnaHdhdGVyLWthZmthMQ";

/// A node of the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// `node.id`.
    pub id: i32,
    /// The place it runs in.
    pub place: &'static str,
    /// Its address.
    pub address: Ipv4Addr,
    /// `broker.rack`; `None` for the controller.
    pub rack: Option<&'static str>,
}

impl NodeSpec {
    /// Where clients reach it.
    pub fn endpoint(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.address, if self.rack.is_some() { BROKER_PORT } else { CONTROLLER_PORT })
    }
}

/// The controller and the brokers.
pub const NODES: [NodeSpec; 4] = [
    NodeSpec { id: CONTROLLER_ID, place: "controller", address: Ipv4Addr::new(10, 73, 0, 10), rack: None },
    NodeSpec { id: 1, place: "a", address: Ipv4Addr::new(10, 73, 0, 11), rack: Some("a") },
    NodeSpec { id: 2, place: "b", address: Ipv4Addr::new(10, 73, 0, 12), rack: Some("b") },
    NodeSpec { id: 3, place: "b", address: Ipv4Addr::new(10, 73, 0, 13), rack: Some("b") },
];

/// The place of the producer (it has no `client.rack`, as in the model) and its address.
pub const PRODUCER_PLACE: (&str, Ipv4Addr) = ("producer", Ipv4Addr::new(10, 73, 0, 20));

/// The brokers.
pub fn brokers() -> impl Iterator<Item = &'static NodeSpec> {
    NODES.iter().filter(|n| n.rack.is_some())
}

/// The broker with this id.
pub fn broker(id: BrokerId) -> Option<&'static NodeSpec> {
    brokers().find(|n| n.id == id)
}

/// The network the nodes and the clients live in.
pub fn network() -> Network {
    let mut places: BTreeMap<&str, Vec<Ipv4Addr>> = BTreeMap::new();
    for node in &NODES {
        places.entry(node.place).or_default().push(node.address);
    }
    places.entry(PRODUCER_PLACE.0).or_default().push(PRODUCER_PLACE.1);
    Network::new(places.into_iter().map(|(name, addresses)| Place { name: name.to_string(), addresses }).collect())
}

/// A running cluster. Dropping it stops every process and removes every namespace.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    classpath: String,
    network: Network,
    settings: Vec<(String, String)>,
    children: BTreeMap<i32, Child>,
}

impl Cluster {
    /// Start the cluster in `dir` (its configuration, data and logs), with `settings` added to
    /// every node's properties. Whatever an earlier run left behind is stopped first.
    pub fn start(dir: &Path, classpath: String, settings: Vec<(String, String)>) -> Result<Cluster, KafkaError> {
        preflight()?;
        stop_all()?;
        let nodes_dir = dir.join("nodes");
        if nodes_dir.exists() {
            std::fs::remove_dir_all(&nodes_dir).map_err(|e| KafkaError::io(&nodes_dir, e))?;
        }
        let network = network();
        let mut cluster = Cluster { dir: dir.to_path_buf(), classpath, network, settings, children: BTreeMap::new() };
        cluster.network.create()?;
        let log_config = dir.join("log4j2.properties");
        std::fs::write(&log_config, LOG_CONFIG).map_err(|e| KafkaError::io(&log_config, e))?;
        for node in &NODES {
            let node_dir = cluster.node_dir(node.id);
            std::fs::create_dir_all(&node_dir).map_err(|e| KafkaError::io(&node_dir, e))?;
            let path = node_dir.join("server.properties");
            std::fs::write(&path, cluster.properties(node)).map_err(|e| KafkaError::io(&path, e))?;
        }
        cluster.format()?;
        for node in &NODES {
            cluster.spawn(node)?;
        }
        Ok(cluster)
    }

    fn node_dir(&self, id: i32) -> PathBuf {
        self.dir.join("nodes").join(id.to_string())
    }

    /// The network, for cutting and healing.
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.network
    }

    /// A node's `server.properties`.
    fn properties(&self, node: &NodeSpec) -> String {
        let controller = &NODES[0];
        let mut lines = vec![
            format!("node.id={}", node.id),
            format!("controller.quorum.voters={}@{}:{CONTROLLER_PORT}", controller.id, controller.address),
            "controller.listener.names=CONTROLLER".to_string(),
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT".to_string(),
            format!("log.dirs={}", self.node_dir(node.id).join("data").display()),
            "auto.create.topics.enable=false".to_string(),
        ];
        match node.rack {
            None => {
                lines.push("process.roles=controller".into());
                lines.push(format!("listeners=CONTROLLER://{}:{CONTROLLER_PORT}", node.address));
            }
            Some(rack) => {
                lines.push("process.roles=broker".into());
                lines.push(format!("listeners=PLAINTEXT://{}:{BROKER_PORT}", node.address));
                lines.push(format!("advertised.listeners=PLAINTEXT://{}:{BROKER_PORT}", node.address));
                lines.push("inter.broker.listener.name=PLAINTEXT".into());
                lines.push(format!("broker.rack={rack}"));
                // KIP-392's selector, the subject of every scenario.
                lines.push("replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector".into());
                lines.push("offsets.topic.replication.factor=1".into());
                lines.push("transaction.state.log.replication.factor=1".into());
                lines.push("transaction.state.log.min.isr=1".into());
            }
        }
        lines.extend(self.settings.iter().map(|(k, v)| format!("{k}={v}")));
        lines.push(String::new());
        lines.join("\n")
    }

    fn java(&self, node: &NodeSpec, log: &Path) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &netns::namespace(node.place), "java"]);
        command.args(JVM_OPTIONS);
        command.arg(format!("-Dlog4j2.configurationFile={}", self.dir.join("log4j2.properties").display()));
        command.arg(format!("-Dhighwater.log={}", log.display()));
        command.arg("-cp").arg(&self.classpath);
        command.stdin(Stdio::null());
        command
    }

    /// `kafka-storage format` for every node, side by side.
    fn format(&self) -> Result<(), KafkaError> {
        let mut running = Vec::new();
        for node in &NODES {
            let dir = self.node_dir(node.id);
            let out = open(&dir.join("format.out"))?;
            let err = out.try_clone().map_err(|e| KafkaError::io(&dir, e))?;
            let child = self
                .java(node, &dir.join("format.log"))
                .args(["kafka.tools.StorageTool", "format", "-t", CLUSTER_ID, "-c"])
                .arg(dir.join("server.properties"))
                .stdout(out)
                .stderr(err)
                .spawn()
                .map_err(|e| {
                    KafkaError::Environment(format!("cannot start `java` (a JDK 17 or later is needed): {e}"))
                })?;
            running.push((node.id, child));
        }
        for (id, mut child) in running {
            let status = child.wait().map_err(|e| KafkaError::Environment(format!("node {id}'s format: {e}")))?;
            if !status.success() {
                let out = self.node_dir(id).join("format.out");
                return Err(KafkaError::Environment(format!(
                    "formatting node {id}'s storage failed ({status}); its output is in {}",
                    out.display()
                )));
            }
        }
        Ok(())
    }

    fn spawn(&mut self, node: &NodeSpec) -> Result<(), KafkaError> {
        let dir = self.node_dir(node.id);
        let out = open(&dir.join("stdout"))?;
        let err = out.try_clone().map_err(|e| KafkaError::io(&dir, e))?;
        let child = self
            .java(node, &dir.join("server.log"))
            .arg("kafka.Kafka")
            .arg(dir.join("server.properties"))
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| KafkaError::Environment(format!("cannot start node {}: {e}", node.id)))?;
        self.children.insert(node.id, child);
        Ok(())
    }

    /// Whether a node's process is still running; a node that exited is reported with its log.
    pub fn check_alive(&mut self) -> Result<(), KafkaError> {
        for (id, child) in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                let log = self.dir.join("nodes").join(id.to_string()).join("server.log");
                return Err(KafkaError::Environment(format!(
                    "node {id} exited ({status}); its log is {}",
                    log.display()
                )));
            }
        }
        Ok(())
    }

    /// Kill a broker at once (SIGKILL): a crash, with no controlled shutdown.
    pub fn kill(&mut self, id: BrokerId) -> Result<(), KafkaError> {
        let mut child =
            self.children.remove(&id).ok_or_else(|| KafkaError::Scenario(format!("broker {id} is not running")))?;
        let _ = child.kill();
        let _ = child.wait();
        Ok(())
    }

    /// Start a killed broker again, on the log it had.
    pub fn restart(&mut self, id: BrokerId) -> Result<(), KafkaError> {
        if self.children.contains_key(&id) {
            return Err(KafkaError::Scenario(format!("broker {id} is running")));
        }
        let node = broker(id).ok_or_else(|| KafkaError::Scenario(format!("no broker {id}")))?;
        self.spawn(node)
    }

    /// Wait until every running broker answers Metadata naming all three brokers.
    pub async fn await_registered(&mut self, timeout: Duration) -> Result<(), KafkaError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.check_alive()?;
            let mut all = true;
            for node in brokers().filter(|n| self.children.contains_key(&n.id)) {
                let request = MetadataRequest::default().with_topics(Some(Vec::new()));
                match wire::call(CONTROL_PLACE, node.endpoint(), &request, 12, Duration::from_secs(2)).await {
                    Ok(response) if response.brokers.len() == brokers().count() => {}
                    _ => all = false,
                }
            }
            if all {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(KafkaError::Environment(format!(
                    "the brokers did not all register within {timeout:?}; their logs are under {}",
                    self.dir.join("nodes").display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Ask broker 1 which versions of each API it serves (ApiVersions), and refuse a Kafka
    /// that does not serve every version the shell sends.
    pub async fn check_versions(&self) -> Result<(), KafkaError> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("highwater"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let node = broker(1).expect("broker 1 is in the layout");
        let response = wire::call(
            CONTROL_PLACE,
            node.endpoint(),
            &request,
            translate::API_VERSIONS_VERSION,
            Duration::from_secs(5),
        )
        .await
        .map_err(|e| KafkaError::Environment(format!("ApiVersions: {e}")))?;
        for (api, version) in translate::VERSIONS {
            let served = response.api_keys.iter().find(|k| k.api_key == *api as i16);
            match served {
                Some(k) if (k.min_version..=k.max_version).contains(version) => {}
                Some(k) => {
                    return Err(KafkaError::Environment(format!(
                        "this Kafka serves {api:?} v{}..v{}, and the shell sends v{version}",
                        k.min_version, k.max_version
                    )))
                }
                None => return Err(KafkaError::Environment(format!("this Kafka does not serve {api:?}"))),
            }
        }
        Ok(())
    }

    /// Create `topic`: one partition, replicas 1 (rack a, the first leader), 2 and 3.
    pub async fn create_topic(&self, topic: &str) -> Result<(), KafkaError> {
        let assignment = CreatableReplicaAssignment::default()
            .with_partition_index(0)
            .with_broker_ids(brokers().map(|b| WireBrokerId(b.id)).collect());
        let creatable = CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_string(topic.to_string())))
            .with_num_partitions(-1)
            .with_replication_factor(-1)
            .with_assignments(vec![assignment]);
        let request = CreateTopicsRequest::default().with_topics(vec![creatable]).with_timeout_ms(10_000);
        let node = broker(1).expect("broker 1 is in the layout");
        let response = wire::call(CONTROL_PLACE, node.endpoint(), &request, 7, Duration::from_secs(15))
            .await
            .map_err(|e| KafkaError::Environment(format!("CreateTopics for {topic}: {e}")))?;
        match response.topics.first().map(|t| t.error_code) {
            Some(0) => Ok(()),
            Some(code) => Err(KafkaError::Environment(format!("CreateTopics for {topic} answered error {code}"))),
            None => Err(KafkaError::Environment(format!("CreateTopics for {topic} answered no topic"))),
        }
    }

    /// The partition as broker `id` describes it (Metadata), if it answers within 2 s.
    pub async fn partition(&self, topic: &str, id: BrokerId) -> Option<MetadataResponse> {
        self.describe(topic, id, Duration::from_secs(2)).await
    }

    /// The same, if it answers within 200 ms: for watching while a fault is on, when a broker
    /// may be unreachable and the run must not stall on it.
    pub async fn partition_quick(&self, topic: &str, id: BrokerId) -> Option<MetadataResponse> {
        if !self.children.contains_key(&id) {
            return None;
        }
        self.describe(topic, id, Duration::from_millis(200)).await
    }

    async fn describe(&self, topic: &str, id: BrokerId, timeout: Duration) -> Option<MetadataResponse> {
        let node = broker(id)?;
        let request = translate::metadata_request(topic);
        let response =
            wire::call(CONTROL_PLACE, node.endpoint(), &request, translate::METADATA_VERSION, timeout).await.ok()?;
        translate::metadata_response(&response, topic).ok()
    }

    /// Wait until some broker reports the partition led by `leader` with every replica in
    /// the ISR.
    pub async fn await_partition(&self, topic: &str, leader: BrokerId, timeout: Duration) -> Result<(), KafkaError> {
        let deadline = Instant::now() + timeout;
        loop {
            for b in brokers().filter(|b| self.children.contains_key(&b.id)) {
                if let Some(m) = self.partition(topic, b.id).await {
                    if m.leader_id == leader && m.isr_nodes.len() == brokers().count() {
                        return Ok(());
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(KafkaError::Environment(format!(
                    "{topic} was not led by broker {leader} with all three replicas in the ISR within {timeout:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Read the committed log from the leader, from offset 0 to its high watermark.
    pub async fn final_read(&self, topic: &str) -> Result<FinalRead, KafkaError> {
        let mut leader = None;
        for b in brokers() {
            if let Some(m) = self.partition(topic, b.id).await {
                if m.leader_id >= 0 {
                    leader = Some(m.leader_id);
                    break;
                }
            }
        }
        let leader = leader.ok_or_else(|| KafkaError::Environment(format!("{topic}: no leader for the final read")))?;
        let node = broker(leader).ok_or_else(|| KafkaError::Environment(format!("no broker {leader}")))?;
        let mut read = FinalRead { leader, high_watermark: 0, records: Vec::new() };
        loop {
            let offset = read.records.last().map_or(0, |r| r.offset + 1);
            let partition = FetchPartition::default()
                .with_partition(0)
                .with_current_leader_epoch(-1)
                .with_fetch_offset(offset)
                .with_last_fetched_epoch(-1)
                .with_log_start_offset(-1)
                .with_partition_max_bytes(1 << 20);
            let request = FetchRequest::default()
                .with_replica_id(WireBrokerId(-1))
                .with_max_wait_ms(0)
                .with_min_bytes(0)
                .with_max_bytes(1 << 20)
                .with_session_id(0)
                .with_session_epoch(-1)
                .with_topics(vec![FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                    .with_partitions(vec![partition])]);
            let response =
                wire::call(CONTROL_PLACE, node.endpoint(), &request, translate::FETCH_VERSION, Duration::from_secs(5))
                    .await
                    .map_err(|e| KafkaError::Environment(format!("{topic}: the final read: {e}")))?;
            let p = response
                .responses
                .first()
                .and_then(|t| t.partitions.first())
                .ok_or_else(|| KafkaError::Environment(format!("{topic}: the final read answered no partition")))?;
            if p.error_code != 0 {
                return Err(KafkaError::Environment(format!(
                    "{topic}: the final read answered error {}",
                    p.error_code
                )));
            }
            read.high_watermark = p.high_watermark;
            let records = match &p.records {
                Some(bytes) if !bytes.is_empty() => {
                    translate::decode_records(bytes.clone(), offset).map_err(KafkaError::Environment)?
                }
                _ => Vec::new(),
            };
            let before = read.records.len();
            read.records.extend(records.into_iter().filter(|r| r.offset < p.high_watermark).map(RecordAt::from));
            if read.records.last().map_or(0, |r| r.offset + 1) >= p.high_watermark || read.records.len() == before {
                return Ok(read);
            }
        }
    }

    /// Stop every node and remove every namespace.
    pub fn stop(mut self) -> Result<Stopped, KafkaError> {
        for (_, mut child) in std::mem::take(&mut self.children) {
            let _ = child.kill();
            let _ = child.wait();
        }
        stop_all()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.children.values_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !self.children.is_empty() {
            let _ = stop_all();
        }
    }
}

/// The place the run's own requests (set-up and watching) come from: the controller's, outside
/// every rack, so that an outage between racks never hides the cluster from the run.
pub const CONTROL_PLACE: &str = "controller";

/// What stopping found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Processes killed.
    pub processes: usize,
    /// Namespaces removed.
    pub namespaces: usize,
}

/// Stop every process in the run's namespaces (SIGTERM, then SIGKILL after 10 s) and remove
/// the namespaces, whether this process started them or an earlier run did.
pub fn stop_all() -> Result<Stopped, KafkaError> {
    let namespaces = netns::existing()?;
    let mut pids = Vec::new();
    for ns in &namespaces {
        pids.extend(netns::pids(ns)?);
    }
    for pid in &pids {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while pids.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    for pid in pids.iter().filter(|p| alive(**p)) {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
    }
    while pids.iter().any(|p| alive(*p)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    Network::destroy_all()?;
    Ok(Stopped { processes: pids.len(), namespaces: namespaces.len() })
}

fn alive(pid: i32) -> bool {
    // A zombie child of this process still answers signal 0; its /proc state says it is gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

/// Root, `ip`, `tc` and `java` are needed before anything is made.
fn preflight() -> Result<(), KafkaError> {
    if !nix::unistd::Uid::effective().is_root() {
        return Err(KafkaError::Environment(
            "the real cluster needs root: it makes network namespaces and sets their neighbour tables".into(),
        ));
    }
    for (program, why) in [("ip", "iproute2"), ("java", "a JDK, 17 or later")] {
        // Spawning is the test: `java -V` fails, but only a program that exists can fail.
        let found = Command::new(program).arg("-V").stdout(Stdio::null()).stderr(Stdio::null()).status();
        if found.is_err() {
            return Err(KafkaError::Environment(format!("`{program}` was not found ({why} provides it)")));
        }
    }
    Ok(())
}

fn open(path: &Path) -> Result<std::fs::File, KafkaError> {
    std::fs::File::create(path).map_err(|e| KafkaError::io(path, e))
}

/// Small heaps and a quick JIT: four JVMs share two cores, and none holds more than one
/// partition.
const JVM_OPTIONS: &[&str] = &[
    "-Xms64m",
    "-Xmx320m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.net.preferIPv4Stack=true",
    "-Djava.awt.headless=true",
];

/// Each node logs to its own file, at INFO, as Kafka's own scripts configure it.
const LOG_CONFIG: &str = "status = error
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:highwater.log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
";
