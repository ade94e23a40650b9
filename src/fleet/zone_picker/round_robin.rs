//! `round_robin`: zones in turn. Each launch goes to the first obtainable zone at or after the one
//! following the zone of the previous launch, in listed order.

use super::{Candidate, ZonePicker};

/// Zones in turn.
#[derive(Default)]
pub struct RoundRobin {
    /// The listed zone whose turn it is.
    next: usize,
}

impl ZonePicker for RoundRobin {
    fn pick(&self, ok: &[Candidate], listed: usize) -> Option<usize> {
        (0..listed).map(|i| (self.next + i) % listed).find(|&z| ok.iter().any(|c| c.zone == z))
    }

    fn chose(&mut self, zone: usize, listed: usize) {
        self.next = (zone + 1) % listed.max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::super::candidates;
    use super::*;

    #[test]
    fn zones_in_turn_skipping_those_not_obtainable() {
        let mut rr = RoundRobin::default();
        let all = candidates(&[(0, 1.0, 1.0), (1, 1.0, 1.0), (2, 1.0, 1.0)]);
        let mut order = Vec::new();
        for _ in 0..4 {
            let z = rr.pick(&all, 3).unwrap();
            rr.chose(z, 3);
            order.push(z);
        }
        assert_eq!(order, [0, 1, 2, 0]);
        // Zone 1's turn, but only 0 and 2 are obtainable: 2 is next in turn.
        assert_eq!(rr.pick(&candidates(&[(0, 1.0, 1.0), (2, 1.0, 1.0)]), 3), Some(2));
    }
}
