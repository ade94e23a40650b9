//! `most_available`: the obtainable zone with the most capacity left (a zone no trace limits ranks
//! first); a tie goes to the cheaper zone, then to the zone listed first. (Serving pools once broke
//! ties by listing order alone and jobs by price first; both now break them by price first.)

use super::{Candidate, ZonePicker};

/// The obtainable zone with the most headroom.
pub struct MostAvailable;

impl ZonePicker for MostAvailable {
    fn pick(&self, ok: &[Candidate], _listed: usize) -> Option<usize> {
        ok.iter()
            .max_by(|a, b| {
                a.headroom.total_cmp(&b.headroom).then(b.price.total_cmp(&a.price)).then(b.zone.cmp(&a.zone))
            })
            .map(|c| c.zone)
    }
}

#[cfg(test)]
mod tests {
    use super::super::candidates;
    use super::*;

    #[test]
    fn the_most_headroom_then_the_cheaper_then_the_first_listed() {
        let ok = candidates(&[(0, 5.0, 0.9), (1, 7.0, 0.8), (2, 7.0, 0.5)]);
        assert_eq!(MostAvailable.pick(&ok, 3), Some(2), "a tie in headroom goes to the cheaper");
        let ok = candidates(&[(0, 7.0, 0.5), (1, 7.0, 0.5)]);
        assert_eq!(MostAvailable.pick(&ok, 2), Some(0), "then to the first listed");
        let ok = candidates(&[(0, 7.0, 0.5), (1, f64::INFINITY, 0.9)]);
        assert_eq!(MostAvailable.pick(&ok, 2), Some(1), "an untraced zone has room without limit");
    }
}
