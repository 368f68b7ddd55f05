//! Counts the states of a configuration and times it: `cargo run --release -p highwater-kip320
//! --example count [replicas log_size max_records max_leader_epoch]` (default: TLC's).

use std::time::Instant;

use highwater_kip320::{count, Kip320, TLC_DISTINCT, TLC_GENERATED, TLC_SECONDS_ONE_WORKER};

fn main() {
    let args: Vec<u8> = std::env::args().skip(1).map(|a| a.parse().expect("a small integer")).collect();
    let model = match args[..] {
        [] => Kip320::tlc(),
        [replicas, log_size, max_records, max_leader_epoch] => {
            Kip320::new(replicas, log_size, max_records, max_leader_epoch)
        }
        _ => panic!("expected no arguments or: replicas log_size max_records max_leader_epoch"),
    };
    let start = Instant::now();
    let counts = count(&model);
    let seconds = start.elapsed().as_secs_f64();
    println!("{model:?}");
    println!("{counts:?}");
    println!("count() took {seconds:.2} s");
    if model == Kip320::tlc() {
        println!("TLC: {TLC_DISTINCT} distinct, {TLC_GENERATED} generated, {TLC_SECONDS_ONE_WORKER} s with one worker");
    }
}
