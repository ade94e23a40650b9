//! `shared_queue`: one queue for all replicas; an idle replica takes the next batch from it.

use super::Router;

/// One queue, 0, for every request.
#[derive(Debug, Default)]
pub struct SharedQueue;

impl Router for SharedQueue {
    fn is_shared(&self) -> bool {
        true
    }

    fn route(&mut self) -> usize {
        0
    }

    fn ready(&mut self, _r: usize) {}

    fn unready(&mut self, _r: usize) {}
}
