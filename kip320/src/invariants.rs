//! The two safety properties TLC checks: `WeakIsr` and `StrongIsr`.
//!
//! Both say that every replica presuming leadership shares its log below its high watermark with
//! an ISR; they differ in whose ISR. The weak one trusts the leader's cached ISR, the strong one
//! uses the quorum's, which is the set a new leader is elected from and so the one that decides
//! whether committed data survives a leader change.

use crate::state::{ReplicaSet, State};
use crate::Kip320;

impl Kip320 {
    /// `WeakIsr`: the leader's own ISR has replicated everything below its high watermark.
    pub fn weak_isr(&self, state: &State) -> bool {
        (0..self.replicas).all(|leader| {
            !state.presumes_leadership(leader) || agrees_below_hw(state, leader, state.replicas[leader as usize].isr)
        })
    }

    /// `StrongIsr`: the quorum's ISR has replicated everything below any presumed leader's high
    /// watermark.
    pub fn strong_isr(&self, state: &State) -> bool {
        (0..self.replicas)
            .all(|leader| !state.presumes_leadership(leader) || agrees_below_hw(state, leader, state.quorum.isr))
    }
}

/// Every member of `isr` holds the leader's record at every offset below the leader's high
/// watermark (vacuous when the high watermark is 0).
fn agrees_below_hw(state: &State, leader: u8, isr: ReplicaSet) -> bool {
    let hw = state.replicas[leader as usize].hw;
    isr.iter().all(|member| (0..hw).all(|offset| state.entries_match(leader, member, offset)))
}
