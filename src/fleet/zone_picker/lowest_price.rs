//! `lowest_price` (`cheapest` is the same): the obtainable zone with the lowest spot price; a tie
//! goes to the zone listed first.

use super::{Candidate, ZonePicker};

/// The cheapest obtainable zone.
pub struct LowestPrice;

impl ZonePicker for LowestPrice {
    fn pick(&self, ok: &[Candidate], _listed: usize) -> Option<usize> {
        // `min_by` keeps the first of equal minima: the zone listed first.
        ok.iter().min_by(|a, b| a.price.total_cmp(&b.price)).map(|c| c.zone)
    }
}

#[cfg(test)]
mod tests {
    use super::super::candidates;
    use super::*;

    #[test]
    fn the_cheapest_then_the_first_listed() {
        let ok = candidates(&[(0, 5.0, 0.9), (1, 1.0, 0.4), (2, 9.0, 0.4)]);
        assert_eq!(LowestPrice.pick(&ok, 3), Some(1));
        assert_eq!(LowestPrice.pick(&[], 3), None);
    }
}
