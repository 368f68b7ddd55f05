//! Bounded liveness: once the fault budget is spent and every rack healed, a fair continuation of
//! at most `bound_steps` steps reaches the goal.
//!
//! stateright's `eventually` is blind on cycles (a revisited state is never terminal), so these
//! are not `eventually` properties: the checker takes each state that meets the precondition, runs
//! a fair schedule from it and reports the state, with the continuation that failed, when the
//! goal is not reached in time.
//!
//! A goal judges the cluster once faults have stopped and must not read the fault budget
//! (`faults_left`): the checker answers from the state's own view when nothing needs healing.

use highwater_traces::{ClusterView, Record, Role};

/// The precondition of every liveness property: no fault left to inject and nothing cut.
pub fn faults_over(view: &ClusterView) -> bool {
    view.faults_left == 0 && view.cut_racks.is_empty() && view.outages.is_empty()
}

/// Every committed record at or after a consumer's last explicit reset has reached it, and so
/// has every record that all of the controller's ISR holds: such a record is committed in
/// Kafka's sense (acks=all), and a HW that never rises over it is a stuck HW (KAFKA-13091), not
/// an uncommitted record.
pub fn committed_visible(view: &ClusterView) -> bool {
    let must_see = must_see(view);
    view.consumers.iter().filter(|c| !c.failed).all(|c| {
        let from = c.resets.last().map_or(0, |r| r.to).max(0) as usize;
        must_see
            .iter()
            .enumerate()
            .skip(from)
            .all(|(offset, record)| c.delivered.iter().any(|d| d.offset == offset as i64 && d.record == *record))
    })
}

/// The records every consumer must receive: the committed ones, or the longer prefix that all
/// of the controller's ISR holds.
pub fn must_see(view: &ClusterView) -> &[Record] {
    let replicated = replicated_by_isr(view);
    if replicated.len() > view.ghost.committed.len() {
        replicated
    } else {
        &view.ghost.committed
    }
}

/// The longest prefix that every live member of the controller's ISR holds alike (nothing while
/// the partition has no live leader).
fn replicated_by_isr(view: &ClusterView) -> &[Record] {
    let Some(leader) = view.broker(view.controller.leader).filter(|b| b.alive) else { return &[] };
    let members = view.controller.isr.iter().filter_map(|id| view.broker(*id)).filter(|b| b.alive);
    let common = members.fold(leader.log.len(), |len, member| {
        len.min(leader.log.iter().zip(&member.log).take_while(|(a, b)| a == b).count())
    });
    &leader.log[..common]
}

/// Every live broker is in the controller's ISR: the partition is fully replicated again. A
/// follower that cannot reconcile its log with the leader's (KAFKA-6361's single-round lookup
/// keeps asking about a suffix it never drops) stays out for good.
pub fn every_live_replica_in_isr(view: &ClusterView) -> bool {
    view.brokers.iter().filter(|b| b.alive).all(|b| view.controller.isr.contains(&b.id))
}

/// No consumer keeps a preferred replica that is crashed, cut off, or out of the controller's ISR.
pub fn no_consumer_on_bad_replica(view: &ClusterView) -> bool {
    view.consumers.iter().all(|c| {
        c.preferred_read_replica.is_none_or(|r| {
            let broker = view.broker(r);
            let usable =
                broker.is_some_and(|b| b.alive && b.role != Role::Offline && !view.cut_racks.contains(&b.rack));
            usable && view.controller.isr.contains(&r)
        })
    })
}
