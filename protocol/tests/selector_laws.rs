//! Laws of `RackAwareReplicaSelector` (quickcheck over random partitions): it always chooses,
//! it chooses among the candidates, it never sends a racked client to another rack's follower,
//! it keeps the leader when the client's rack has it or no candidate shares the rack, and among
//! same-rack followers it chooses the most caught up.

use highwater_protocol::*;
use quickcheck::quickcheck;

const RACKS: [&str; 3] = ["a", "b", "c"];

/// A partition from arbitrary numbers: up to 5 replicas, the first the leader.
fn partition(replicas: &[(u8, u8, u16)]) -> Option<PartitionView> {
    let views: Vec<ReplicaView> = replicas
        .iter()
        .take(5)
        .enumerate()
        .map(|(i, (rack, leo, since))| ReplicaView {
            broker_id: i as BrokerId + 1,
            rack: Some(RACKS[*rack as usize % RACKS.len()].to_string()),
            log_end_offset: i64::from(*leo % 8),
            time_since_last_caught_up_ms: u64::from(*since),
        })
        .collect();
    let leader = views.first()?.clone();
    Some(PartitionView { replicas: views, leader })
}

fn client(rack: u8) -> ClientMetadata {
    let rack_id = if rack % 4 == 3 { String::new() } else { RACKS[rack as usize % RACKS.len()].to_string() };
    ClientMetadata { rack_id, client_id: "c".into(), client_address: "127.0.0.1".into() }
}

quickcheck! {
    fn chooses_a_candidate_of_the_clients_rack_or_the_leader(replicas: Vec<(u8, u8, u16)>, rack: u8) -> bool {
        let Some(partition) = partition(&replicas) else { return true };
        let client = client(rack);
        let Some(chosen) = RackAwareReplicaSelector.select(&client, &partition) else { return false };
        let is_candidate = partition.replicas.contains(&chosen);
        let same_rack = chosen.rack.as_deref() == Some(client.rack_id.as_str());
        is_candidate && (chosen == partition.leader || same_rack)
    }

    fn keeps_the_leader_when_its_rack_is_the_clients_or_no_one_shares_it(replicas: Vec<(u8, u8, u16)>, rack: u8) -> bool {
        let Some(partition) = partition(&replicas) else { return true };
        let client = client(rack);
        let shared = partition.replicas.iter().any(|r| r.rack.as_deref() == Some(client.rack_id.as_str()));
        let leader_here = partition.leader.rack.as_deref() == Some(client.rack_id.as_str());
        let chosen = RackAwareReplicaSelector.select(&client, &partition);
        !(client.rack_id.is_empty() || leader_here || !shared) || chosen == Some(partition.leader.clone())
    }

    fn among_same_rack_followers_picks_the_most_caught_up(replicas: Vec<(u8, u8, u16)>, rack: u8) -> bool {
        let Some(partition) = partition(&replicas) else { return true };
        let client = client(rack);
        let Some(chosen) = RackAwareReplicaSelector.select(&client, &partition) else { return false };
        if chosen == partition.leader {
            return true;
        }
        partition
            .replicas
            .iter()
            .filter(|r| r.rack == chosen.rack)
            .all(|r| r.log_end_offset <= chosen.log_end_offset)
    }
}
