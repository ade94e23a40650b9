//! `round_robin`: requests dealt to the ready replicas in turn, in order of replica id: after
//! replica r comes the lowest ready id above r, else the lowest ready id.

use std::collections::BTreeSet;

use super::{LOBBY, Router, queue_of};

/// The ready replicas, dealt to in turn.
#[derive(Debug, Default)]
pub struct RoundRobin {
    /// Ready replicas.
    ready: BTreeSet<u32>,
    /// The next request goes to the lowest ready replica at or above this one (else the lowest
    /// ready one).
    next: u32,
}

impl Router for RoundRobin {
    fn route(&mut self) -> usize {
        let Some(&r) = self.ready.range(self.next..).next().or_else(|| self.ready.first()) else { return LOBBY };
        self.next = r + 1;
        queue_of(r as usize)
    }

    fn ready(&mut self, r: usize) {
        self.ready.insert(r as u32);
    }

    fn unready(&mut self, r: usize) {
        self.ready.remove(&(r as u32));
    }
}
