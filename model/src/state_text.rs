//! A state in words, for stateright's Explorer, which shows a state with `{:#?}`: the alternate
//! form reads as the cluster does (each node's role, epochs, log, HW, ISR, the consumers'
//! positions, what is in flight and which timers are set); the plain form stays the fields.

use std::fmt;

use crate::cluster::ClusterState;
use crate::explorer::{ids, role_words};
use crate::layout::Layout;
use crate::node::NodeState;

impl fmt::Debug for ClusterState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return f
                .debug_struct("ClusterState")
                .field("sys", &self.sys)
                .field("cut", &self.cut)
                .field("crashes_left", &self.crashes_left)
                .field("outages_left", &self.outages_left)
                .field("isr_ticks_left", &self.isr_ticks_left)
                .field("seeks_left", &self.seeks_left)
                .field("produced", &self.produced)
                .field("ghost", &self.ghost)
                .finish();
        }
        let count = |kind: fn(&NodeState) -> bool| self.sys.actor_states.iter().filter(|s| kind(s)).count();
        let layout = Layout {
            brokers: count(|s| matches!(s, NodeState::Broker(_))),
            consumers: count(|s| matches!(s, NodeState::Consumer(_))),
        };
        for (index, node) in self.sys.actor_states.iter().enumerate() {
            let name = layout.node(index.into());
            match &**node {
                NodeState::Controller(c) => writeln!(
                    f,
                    "{name}: leader broker-{}, leader epoch {}, partition epoch {}, ISR {}, fenced {}",
                    c.leader,
                    c.leader_epoch,
                    c.partition_epoch,
                    ids(&c.isr),
                    ids(&c.fenced)
                )?,
                NodeState::Broker(b) => {
                    let role = role_words(b.alive, b.role);
                    let log: Vec<String> = b.log.iter().map(|r| format!("e{}", r.epoch)).collect();
                    writeln!(
                        f,
                        "{name}: {role}, leader epoch {}, log [{}], high watermark {}, ISR {}",
                        b.leader_epoch,
                        log.join(" "),
                        b.hw,
                        ids(&b.isr)
                    )?
                }
                NodeState::Consumer(c) => writeln!(
                    f,
                    "{name}: position {}, leader broker-{} in epoch {}, preferred read replica {}, {} received",
                    c.position,
                    c.leader,
                    c.leader_epoch,
                    c.preferred.map_or("none".to_string(), |p| format!("broker-{p}")),
                    plural(c.delivered.len(), "record")
                )?,
                NodeState::Producer(p) => writeln!(
                    f,
                    "{name}: {} acknowledged, {} waiting to be sent",
                    plural(p.acked.len(), "record"),
                    p.unsent.len() + usize::from(p.in_flight.is_some())
                )?,
            }
        }
        if let stateright::actor::Network::Ordered(channels) = &self.sys.network {
            for ((src, dst), queue) in channels {
                for message in queue {
                    writeln!(f, "in flight {} -> {}: {}", layout.node(*src), layout.node(*dst), message.label())?;
                }
            }
        }
        for (index, timers) in self.sys.timers_set.iter().enumerate() {
            let mut set: Vec<&str> = timers.iter().map(|t| t.name()).collect();
            set.sort_unstable();
            if !set.is_empty() {
                writeln!(f, "timers at {}: {}", layout.node(index.into()), set.join(", "))?;
            }
        }
        let cut: Vec<String> = self
            .cut
            .racks
            .iter()
            .map(|r| format!("rack {r}'s brokers"))
            .chain(self.cut.outages.iter().map(ToString::to_string))
            .collect();
        writeln!(f, "cut: {}", if cut.is_empty() { "nothing".to_string() } else { cut.join(", ") })?;
        let left = [
            plural(self.crashes_left as usize, "crash").replace("crashs", "crashes"),
            plural(self.outages_left as usize, "outage"),
            plural(self.isr_ticks_left as usize, "lag tick"),
            plural(self.seeks_left as usize, "seek"),
        ];
        writeln!(f, "left: {}; {} produced", left.join(", "), plural(self.produced as usize, "record"))
    }
}

fn plural(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}

#[cfg(test)]
mod tests {
    use stateright::Model;

    use crate::{preset, ClusterModel};

    #[test]
    fn the_explorer_reads_a_state_in_words_and_the_plain_form_keeps_the_fields() {
        let model = ClusterModel::new(preset("smoke").unwrap().config());
        let state = model.init_states().remove(0);
        let words = format!("{state:#?}");
        assert!(words.starts_with("controller: leader broker-1, leader epoch 0"), "{words}");
        assert!(words.contains("in flight controller -> broker-1: PartitionChange leader=broker-1"), "{words}");
        assert!(words.contains("left: 1 crash, 1 outage, 0 lag ticks, 0 seeks; 0 records produced"), "{words}");
        assert!(!words.contains("ActorModelState"), "{words}");
        assert!(format!("{state:?}").starts_with("ClusterState { sys: ActorModelState"));
    }
}
