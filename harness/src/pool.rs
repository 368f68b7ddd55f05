//! Independent jobs on a few threads, their results handed over in the jobs' order whatever
//! order the threads finish them in, so that output is the same with any number of threads.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// Run `job` for each index of `start_order`, a reordering of `0..start_order.len()`, starting
/// them in that order on `threads` workers, and give each result to `take`, on this thread, in
/// index order: result `i` as soon as results `0..=i` are all in.
///
/// A job that gives `None` (it saw an interrupt, or failed and kept its error) ends the run, as
/// `take` giving `Break` does: no job starts after it, the jobs already running are waited for,
/// and no result after the first missing one is handed over.
pub fn in_order<R: Send>(
    threads: usize,
    start_order: &[usize],
    job: impl Fn(usize) -> Option<R> + Sync,
    mut take: impl FnMut(usize, R) -> ControlFlow<()>,
) {
    debug_assert!(
        {
            let mut sorted = start_order.to_vec();
            sorted.sort_unstable();
            sorted.iter().copied().eq(0..start_order.len())
        },
        "the start order is a reordering of the jobs' indices"
    );
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, start_order.len().max(1)) {
            let sender = sender.clone();
            let (next, stop, job) = (&next, &stop, &job);
            scope.spawn(move || loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let Some(&index) = start_order.get(next.fetch_add(1, Ordering::Relaxed)) else { return };
                let Some(result) = job(index) else {
                    stop.store(true, Ordering::Relaxed);
                    return;
                };
                // A send fails only once the receiver has stopped.
                if sender.send((index, result)).is_err() {
                    return;
                }
            });
        }
        drop(sender);
        let mut waiting: BTreeMap<usize, R> = BTreeMap::new();
        let mut handed = 0;
        for (index, result) in receiver {
            waiting.insert(index, result);
            while let Some(result) = waiting.remove(&handed) {
                if take(handed, result).is_break() {
                    stop.store(true, Ordering::Relaxed);
                    return;
                }
                handed += 1;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn results_come_in_index_order_whatever_order_the_jobs_end() {
        for threads in [1, 2, 3, 8] {
            let mut seen = Vec::new();
            in_order(
                threads,
                &[4, 0, 3, 1, 2],
                |i| {
                    // The lower the index, the longer the job: results arrive out of order.
                    std::thread::sleep(std::time::Duration::from_millis(5 * (5 - i as u64)));
                    Some(i * 10)
                },
                |i, r| {
                    seen.push((i, r));
                    ControlFlow::Continue(())
                },
            );
            assert_eq!(seen, [(0, 0), (1, 10), (2, 20), (3, 30), (4, 40)], "{threads} threads");
        }
    }

    #[test]
    fn jobs_start_in_the_start_order() {
        let started = Mutex::new(Vec::new());
        in_order(
            1,
            &[2, 0, 3, 1],
            |i| {
                started.lock().unwrap().push(i);
                Some(())
            },
            |_, ()| ControlFlow::Continue(()),
        );
        assert_eq!(started.into_inner().unwrap(), [2, 0, 3, 1]);
    }

    #[test]
    fn a_break_or_a_none_ends_the_run() {
        let mut seen = Vec::new();
        in_order(2, &[0, 1, 2, 3], Some, |i, _| {
            seen.push(i);
            if i == 1 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(seen, [0, 1], "something was taken after the break");
        // One worker: job 1 gives nothing, so jobs 2 and 3 never start.
        let started = AtomicUsize::new(0);
        let mut seen = Vec::new();
        in_order(
            1,
            &[0, 1, 2, 3],
            |i| {
                started.fetch_add(1, Ordering::Relaxed);
                (i != 1).then_some(i)
            },
            |i, _| {
                seen.push(i);
                ControlFlow::Continue(())
            },
        );
        assert_eq!(seen, [0]);
        assert_eq!(started.load(Ordering::Relaxed), 2, "jobs started after one gave nothing");
    }
}
