//! The checker against stateright's on small models, and the guarantees it makes: the same
//! result for any number of threads, shortest counterexamples, bounds reported as incomplete,
//! and shards whose union is the whole search.

use highwater_checker::{check, Options, Progress, Shard, Stop};
use stateright::{Checker, Model, Property};

/// Counters that each step may raise by one (up to `top`) or, for the first, reset to zero: a
/// graph with diamonds and cycles.
#[derive(Clone)]
struct Counters {
    counters: usize,
    top: u8,
    /// The `always` property's bound on the sum.
    sum_below: u32,
}

impl Model for Counters {
    type State = Vec<u8>;
    type Action = (usize, bool);

    fn init_states(&self) -> Vec<Vec<u8>> {
        vec![vec![0; self.counters]]
    }

    fn actions(&self, state: &Vec<u8>, actions: &mut Vec<(usize, bool)>) {
        for (i, value) in state.iter().enumerate() {
            if *value < self.top {
                actions.push((i, true));
            }
        }
        if state[0] > 0 {
            actions.push((0, false));
        }
    }

    fn next_state(&self, state: &Vec<u8>, (i, raise): (usize, bool)) -> Option<Vec<u8>> {
        let mut next = state.clone();
        next[i] = if raise { next[i] + 1 } else { 0 };
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("sum-below", |m: &Counters, s: &Vec<u8>| {
                s.iter().map(|v| *v as u32).sum::<u32>() < m.sum_below
            }),
            Property::sometimes("all-at-top", |m: &Counters, s: &Vec<u8>| s.iter().all(|v| *v == m.top)),
            Property::sometimes("never", |_: &Counters, s: &Vec<u8>| s.len() > 99),
        ]
    }
}

fn run(model: &Counters, options: &Options<'_, Vec<u8>>) -> highwater_checker::Outcome<Counters> {
    check(model, options, &Progress::default()).expect("no eventually")
}

fn threads(n: usize) -> Options<'static, Vec<u8>> {
    Options { threads: n, ..Options::new() }
}

#[test]
fn counts_match_stateright_and_arithmetic() {
    let model = Counters { counters: 4, top: 5, sum_below: 1000 };
    let outcome = run(&model, &threads(1));
    assert!(outcome.complete());
    assert_eq!(outcome.unique, 6u64.pow(4));
    // Every state offers a raise per counter below the top, and a reset when the first is up.
    let raises: u64 = 4 * 5 * 6u64.pow(3);
    let resets: u64 = 5 * 6u64.pow(3);
    assert_eq!(outcome.generated, 1 + raises + resets);
    assert_eq!(outcome.depth, 21, "the all-at-top state is 20 raises away");
    let stateright = model.checker().spawn_bfs().join();
    assert_eq!(outcome.unique, stateright.unique_state_count() as u64);
}

#[test]
fn discoveries_are_shortest_and_replayable() {
    let model = Counters { counters: 3, top: 4, sum_below: 5 };
    let outcome = run(&model, &threads(1));
    let violation = outcome.discovery("sum-below").expect("a sum of 5 is reachable");
    assert_eq!(violation.actions.len(), 5, "five raises is the shortest way to a sum of 5");
    let last = violation.states.last().unwrap();
    assert_eq!(last.iter().map(|v| *v as u32).sum::<u32>(), 5);
    // The path replays through the model.
    let mut state = model.init_states()[violation.init].clone();
    for action in &violation.actions {
        state = model.next_state(&state, *action).unwrap();
    }
    assert_eq!(&state, last);
    let example = outcome.discovery("all-at-top").expect("reachable");
    assert_eq!(example.actions.len(), 12);
    assert!(outcome.discovery("never").is_none());
    // The first discovery in level order: the first counter raised first.
    assert_eq!(violation.actions[0], (0, true));
}

#[test]
fn every_thread_count_gives_the_same_outcome() {
    let model = Counters { counters: 5, top: 4, sum_below: 9 };
    let one = run(&model, &Options { keep_fingerprints: true, ..threads(1) });
    for n in [2, 3, 8] {
        let many = run(&model, &Options { keep_fingerprints: true, ..threads(n) });
        assert_eq!((many.unique, many.generated, many.depth), (one.unique, one.generated, one.depth));
        assert_eq!(many.fingerprints, one.fingerprints);
        for (a, b) in one.discoveries.iter().zip(&many.discoveries) {
            assert_eq!((a.property, &a.actions), (b.property, &b.actions), "with {n} threads");
        }
        assert_eq!(one.discoveries.len(), many.discoveries.len());
    }
}

#[test]
fn bounds_leave_the_search_incomplete() {
    let model = Counters { counters: 3, top: 4, sum_below: 1000 };
    let deep = run(&model, &Options { max_depth: Some(3), ..threads(2) });
    assert_eq!(deep.stopped, Some(Stop::DepthBound));
    let all = run(&model, &threads(2));
    let exact = run(&model, &Options { max_depth: Some(all.depth - 1), ..threads(2) });
    assert!(exact.complete(), "a bound no path reaches cuts nothing");
    let few = run(&model, &Options { max_states: Some(10), ..threads(2) });
    assert_eq!(few.stopped, Some(Stop::StateBound));
    assert!(few.unique >= 10 && few.unique < all.unique);
    let stopped = run(&model, &Options { interrupted: &|| true, ..threads(2) });
    assert_eq!(stopped.stopped, Some(Stop::Interrupted));
}

#[test]
fn first_violation_stops_after_its_level() {
    let model = Counters { counters: 3, top: 4, sum_below: 2 };
    let outcome = run(&model, &Options { first_violation: true, ..threads(2) });
    assert_eq!(outcome.stopped, Some(Stop::FirstViolation));
    assert!(outcome.discovery("sum-below").is_some());
    assert!(outcome.unique < 125);
}

#[test]
fn symmetry_counts_classes() {
    // A symmetry is a `fn(&State) -> State`, and the state is a `Vec`.
    #[allow(clippy::ptr_arg)]
    fn sorted(state: &Vec<u8>) -> Vec<u8> {
        let mut s = state.clone();
        s[1..].sort_unstable();
        s
    }
    let model = Counters { counters: 3, top: 3, sum_below: 1000 };
    let outcome = run(&model, &Options { symmetry: Some(sorted), ..threads(2) });
    // Counters 1 and 2 are interchangeable: 4 values for the first, 10 multisets of two.
    assert_eq!(outcome.unique, 4 * 10);
}

#[test]
fn shards_together_find_every_state() {
    let model = Counters { counters: 4, top: 6, sum_below: 12 };
    let whole = run(&model, &Options { keep_fingerprints: true, ..threads(2) });
    let n = 3;
    let mut union: Vec<u64> = Vec::new();
    let mut violated = 0;
    for index in 0..n {
        let shard = Shard { index, count: n };
        let part = run(&model, &Options { shard: Some(shard), keep_fingerprints: true, ..threads(2) });
        assert!(part.complete());
        assert!(part.split_level.is_some(), "the search is wide enough to split");
        assert!(part.unique < whole.unique, "a shard explores part of the states");
        violated += usize::from(part.discovery("sum-below").is_some());
        union.extend(part.fingerprints.unwrap());
    }
    union.sort_unstable();
    union.dedup();
    assert_eq!(union, whole.fingerprints.unwrap());
    assert!(violated >= 1);
}

#[test]
fn shard_specs_are_parsed_strictly() {
    assert_eq!(Shard::parse("1/4"), Ok(Shard { index: 1, count: 4 }));
    for bad in ["4/4", "1", "a/2", "1/0", "-1/2"] {
        assert!(Shard::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn eventually_is_refused() {
    struct Eventually;
    impl Model for Eventually {
        type State = u8;
        type Action = ();
        fn init_states(&self) -> Vec<u8> {
            vec![0]
        }
        fn actions(&self, _: &u8, _: &mut Vec<()>) {}
        fn next_state(&self, _: &u8, _: ()) -> Option<u8> {
            None
        }
        fn properties(&self) -> Vec<Property<Self>> {
            vec![Property::eventually("one", |_, s| *s == 1)]
        }
    }
    let Err(refusal) = check(&Eventually, &Options::new(), &Progress::default()) else {
        panic!("an eventually was checked")
    };
    assert!(refusal.to_string().contains("`one`"));
}
