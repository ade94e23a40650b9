//! `least_kv` (LLM replicas): each request to the ready replica whose KV cache has the most free
//! blocks at the moment it arrives, the lowest index on a tie. Free blocks are the cache's own
//! count: requests routed to a replica but not yet admitted hold none, so arrivals between two
//! iteration starts of the emptiest replica all go to it (as a router reading the engines'
//! reported KV usage would do).

use std::collections::BTreeSet;

use super::{LOBBY, Router, queue_of};

/// The ready replicas; the world supplies their free blocks at each routing.
#[derive(Debug, Default)]
pub struct LeastKv {
    ready: BTreeSet<u32>,
}

impl Router for LeastKv {
    fn route(&mut self) -> usize {
        // Without the executor's figures: the lowest ready replica (the world routes through
        // `route_by` instead).
        self.ready.first().map_or(LOBBY, |&r| queue_of(r as usize))
    }

    fn route_by(&mut self, free: &dyn Fn(usize) -> u64) -> usize {
        let mut best: Option<(u64, u32)> = None;
        for &r in &self.ready {
            let f = free(r as usize);
            if best.is_none_or(|(b, _)| f > b) {
                best = Some((f, r));
            }
        }
        best.map_or(LOBBY, |(_, r)| queue_of(r as usize))
    }

    fn wants_figures(&self) -> bool {
        true
    }

    fn ready(&mut self, r: usize) {
        self.ready.insert(r as u32);
    }

    fn unready(&mut self, r: usize) {
        self.ready.remove(&(r as u32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_free_blocks_then_lowest_index() {
        let mut router = LeastKv::default();
        assert_eq!(router.route_by(&|_| 0), LOBBY);
        for r in [0, 1, 2] {
            router.ready(r);
        }
        let free = [5u64, 9, 9];
        assert_eq!(router.route_by(&|r| free[r]), queue_of(1));
        router.unready(1);
        assert_eq!(router.route_by(&|r| free[r]), queue_of(2));
    }
}
