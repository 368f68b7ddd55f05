//! Independent jobs on a few threads, their results handed over in the jobs' order whatever
//! order the threads finish them in, so that output is the same with any number of threads.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// Run `job` for each index of `start_order` (the indices `0..start_order.len()`, started in
/// that order) on `threads` workers, and give each result to `take`, on this thread, in index
/// order: result `i` as soon as results `0..=i` are all in.
///
/// A job that gives `None` (it saw an interrupt) ends its worker. `take` giving `Break` ends the
/// run: no job starts after it, and the jobs already running are waited for, their results
/// dropped.
pub fn in_order<R: Send>(
    threads: usize,
    start_order: &[usize],
    job: impl Fn(usize) -> Option<R> + Sync,
    mut take: impl FnMut(usize, R) -> ControlFlow<()>,
) {
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
                let Some(result) = job(index) else { return };
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
    use super::*;

    #[test]
    fn results_come_in_index_order_whatever_order_the_jobs_start_and_end() {
        for threads in [1, 2, 3, 8] {
            let start_order = [4, 0, 3, 1, 2];
            let mut seen = Vec::new();
            in_order(
                threads,
                &start_order,
                |i| {
                    // The jobs started first end last.
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
    fn nothing_is_taken_after_a_break_and_a_none_ends_its_worker() {
        let mut seen = Vec::new();
        in_order(2, &[0, 1, 2, 3], Some, |i, _| {
            seen.push(i);
            if i == 1 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(seen, [0, 1]);
        let mut seen = Vec::new();
        in_order(
            1,
            &[0, 1, 2],
            |i| (i != 1).then_some(i),
            |i, _| {
                seen.push(i);
                ControlFlow::Continue(())
            },
        );
        assert_eq!(seen, [0], "job 1 gave nothing, so its worker, the only one, ended before job 2");
    }
}
