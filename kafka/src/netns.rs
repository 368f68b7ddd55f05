//! The cluster's network: one namespace per place, joined by a bridge in a namespace of its
//! own, and outages made by dropping packets at the bridge.
//!
//! A place is where the model puts a node ([`highwater_traces::place`]): a rack (`a`, `b`), the
//! controller's place, the producer's place. Each gets a namespace `hw-<place>` with one veth
//! into the bridge namespace `hw-core`; every address lives in `10.73.0.0/24`, so no packet
//! ever leaves the namespaces the run made, and nothing outside them is touched. A consumer
//! sits in its rack's namespace: its sockets are opened there (see `wire::connect_in`).
//!
//! An outage makes the packets a place sends to a place it may not reach vanish: the sender's
//! neighbour entry for each address there names a link-layer address no host has. Nothing is
//! refused and no error is raised at either end, so it is a black hole, as the simulated
//! network's `black_hole_outages`: a connection across it hangs until a timeout ends it. A
//! one-way outage loses one direction only, as the model's does. It needs nothing of the
//! kernel but a bridge and veth pairs (no packet filter, no traffic-control module).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::process::Command;

use highwater_traces::Outage;

use crate::KafkaError;

/// The prefix of every namespace the run makes, so that `down` can find what a crashed run
/// left behind.
pub const PREFIX: &str = "hw-";
/// The namespace of the bridge.
pub const CORE: &str = "hw-core";
/// A locally administered link-layer address that no interface of the run has.
const NOWHERE: &str = "02:68:77:00:00:01";

/// A place and the addresses in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// Its name: a rack, `controller` or `producer`.
    pub name: String,
    /// The addresses of the hosts in it.
    pub addresses: Vec<Ipv4Addr>,
}

impl Place {
    /// Its namespace.
    pub fn namespace(&self) -> String {
        namespace(&self.name)
    }

    /// The bridge port that leads to it, in the bridge namespace (at most 15 bytes, as Linux
    /// allows for a link's name).
    fn port(&self) -> String {
        format!("v-{}", self.name.chars().take(12).collect::<String>())
    }
}

/// The namespace of a place.
pub fn namespace(place: &str) -> String {
    format!("{PREFIX}{place}")
}

/// The network of a run.
#[derive(Clone, Debug)]
pub struct Network {
    places: Vec<Place>,
    outages: BTreeSet<Outage>,
}

impl Network {
    /// The network of these places; nothing is made until [`Network::create`].
    pub fn new(places: Vec<Place>) -> Self {
        Network { places, outages: BTreeSet::new() }
    }

    /// Its places.
    pub fn places(&self) -> &[Place] {
        &self.places
    }

    /// The place with this name.
    pub fn place(&self, name: &str) -> Option<&Place> {
        self.places.iter().find(|p| p.name == name)
    }

    /// Make the namespaces, the bridge and the links, and give each place its addresses.
    pub fn create(&self) -> Result<(), KafkaError> {
        ip(&["netns", "add", CORE])?;
        ip(&["-n", CORE, "link", "set", "lo", "up"])?;
        ip(&["-n", CORE, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", CORE, "link", "set", "br0", "up"])?;
        for place in &self.places {
            let ns = place.namespace();
            let port = place.port();
            ip(&["netns", "add", &ns])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            ip(&["-n", &ns, "link", "add", "eth0", "type", "veth", "peer", "name", &port, "netns", CORE])?;
            ip(&["-n", CORE, "link", "set", &port, "master", "br0"])?;
            ip(&["-n", CORE, "link", "set", &port, "up"])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
            for address in &place.addresses {
                ip(&["-n", &ns, "addr", "add", &format!("{address}/24"), "dev", "eth0"])?;
            }
        }
        Ok(())
    }

    /// The outages on now.
    pub fn outages(&self) -> impl Iterator<Item = &Outage> {
        self.outages.iter()
    }

    /// Start an outage between places.
    pub fn cut(&mut self, outage: Outage) -> Result<(), KafkaError> {
        self.check_places(&outage)?;
        if !self.outages.insert(outage.clone()) {
            return Err(KafkaError::Scenario(format!("{outage} is already on")));
        }
        self.apply()
    }

    /// End an outage.
    pub fn heal(&mut self, outage: &Outage) -> Result<(), KafkaError> {
        if !self.outages.remove(outage) {
            return Err(KafkaError::Scenario(format!("{outage} is not on")));
        }
        self.apply()
    }

    fn check_places(&self, outage: &Outage) -> Result<(), KafkaError> {
        let named = match outage {
            Outage::Rack { rack } => vec![rack],
            Outage::Link { a, b } => vec![a, b],
            Outage::OneWay { from, to } => vec![from, to],
        };
        match named.into_iter().find(|p| self.place(p).is_none()) {
            Some(unknown) => Err(KafkaError::Scenario(format!("{outage}: the cluster has no place `{unknown}`"))),
            None => Ok(()),
        }
    }

    /// Rewrite every place's neighbour entries from the outages on now: a place that may not
    /// reach another holds, for each of the other's addresses, a permanent entry naming a
    /// link-layer address no host has, so what it sends there is flooded by the bridge and
    /// taken by no one; every other entry is left to ARP.
    fn apply(&self) -> Result<(), KafkaError> {
        for from in &self.places {
            let ns = from.namespace();
            for to in self.places.iter().filter(|to| to.name != from.name) {
                let blocked = self.outages.iter().any(|o| o.blocks(&from.name, &to.name));
                for address in &to.addresses {
                    let address = address.to_string();
                    if blocked {
                        ip(&[
                            "-n",
                            &ns,
                            "neigh",
                            "replace",
                            &address,
                            "lladdr",
                            NOWHERE,
                            "dev",
                            "eth0",
                            "nud",
                            "permanent",
                        ])?;
                    } else {
                        // No entry is not an error here: the place had learned none.
                        let _ = Command::new("ip").args(["-n", &ns, "neigh", "del", &address, "dev", "eth0"]).output();
                    }
                }
            }
        }
        Ok(())
    }

    /// Remove every namespace this run (or an earlier one that did not clean up) made: their
    /// links go with them. Processes still in them must be stopped first.
    pub fn destroy_all() -> Result<(), KafkaError> {
        for ns in existing()? {
            ip(&["netns", "del", &ns])?;
        }
        Ok(())
    }
}

/// The namespaces with our prefix that exist now.
pub fn existing() -> Result<Vec<String>, KafkaError> {
    let out = run("ip", &["netns", "list"])?;
    Ok(out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(PREFIX))
        .map(str::to_string)
        .collect())
}

/// The processes running in a namespace.
pub fn pids(ns: &str) -> Result<Vec<i32>, KafkaError> {
    Ok(run("ip", &["netns", "pids", ns])?.split_whitespace().filter_map(|p| p.parse().ok()).collect())
}

fn ip(args: &[&str]) -> Result<(), KafkaError> {
    run("ip", args).map(drop)
}

fn run(program: &str, args: &[&str]) -> Result<String, KafkaError> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| KafkaError::Environment(format!("cannot run `{program}`: {e} (iproute2 provides `ip`)")))?;
    if !output.status.success() {
        return Err(KafkaError::Environment(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
