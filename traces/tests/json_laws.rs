//! Round trip laws (quickcheck): every action and node id reads back from its JSON as it was.

use highwater_traces::*;
use quickcheck::quickcheck;

fn node(kind: u8, n: u32) -> NodeId {
    match kind % 4 {
        0 => NodeId::Controller,
        1 => NodeId::Broker(n as i32 % 1000),
        2 => NodeId::Consumer(n % 1000),
        _ => NodeId::Producer,
    }
}

fn outage(shape: u8, rack: String) -> Outage {
    match shape % 3 {
        0 => Outage::Rack { rack },
        1 => Outage::Link { a: rack.clone(), b: format!("{rack}-other") },
        _ => Outage::OneWay { from: format!("{rack}-other"), to: rack },
    }
}

fn action(kind: u8, a: u8, b: u32, value: u64, rack: String) -> Action {
    let (from, to) = (node(a, b), node(a / 4, b / 7));
    match kind % 11 {
        0 => Action::Deliver { from, to },
        1 => Action::Drop { from, to },
        2 => Action::Timer { node: from, timer: TimerKind::ALL[b as usize % TimerKind::ALL.len()] },
        3 => Action::Crash { broker: b as i32 % 1000 },
        4 => Action::Restart { broker: b as i32 % 1000 },
        5 => Action::CutRack { rack },
        6 => Action::HealRack { rack },
        7 => Action::Produce { value },
        8 => Action::Cut { outage: outage(a, rack.clone()) },
        9 => Action::Heal { outage: outage(a / 3, rack) },
        _ => Action::Seek {
            consumer: b % 4,
            to: match a % 3 {
                0 => SeekTo::Beginning,
                1 => SeekTo::End,
                _ => SeekTo::Offset(value as i64 % 1_000_000),
            },
        },
    }
}

quickcheck! {
    fn actions_round_trip(kind: u8, a: u8, b: u32, value: u64, rack: String) -> bool {
        let action = action(kind, a, b, value, rack);
        let json = serde_json::to_string(&action).unwrap();
        serde_json::from_str::<Action>(&json).ok() == Some(action)
    }

    fn node_ids_round_trip_through_their_names(kind: u8, n: u32) -> bool {
        let node = node(kind, n);
        node.to_string().parse::<NodeId>() == Ok(node)
            && serde_json::from_str::<NodeId>(&serde_json::to_string(&node).unwrap()).ok() == Some(node)
    }
}
