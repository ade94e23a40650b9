//! `stay`: keep to the zone of the first launch (the first zone listed until then); when spot is not
//! obtainable there, none is taken elsewhere.

use super::{Candidate, ZonePicker};

/// One zone for the whole run.
#[derive(Default)]
pub struct Stay {
    home: Option<usize>,
}

impl ZonePicker for Stay {
    fn pick(&self, ok: &[Candidate], _listed: usize) -> Option<usize> {
        let home = self.home.unwrap_or(0);
        ok.iter().find(|c| c.zone == home).map(|c| c.zone)
    }

    fn chose(&mut self, zone: usize, _listed: usize) {
        self.home.get_or_insert(zone);
    }
}

#[cfg(test)]
mod tests {
    use super::super::candidates;
    use super::*;

    #[test]
    fn the_first_zone_launched_in_and_no_other() {
        let mut stay = Stay::default();
        let ok = candidates(&[(1, 1.0, 0.1), (2, 1.0, 0.1)]);
        assert_eq!(stay.pick(&ok, 3), None, "zone 0 (listed first) is home until a launch");
        stay.chose(1, 3);
        assert_eq!(stay.pick(&ok, 3), Some(1));
        stay.chose(2, 3);
        assert_eq!(stay.pick(&ok, 3), Some(1), "home does not move");
    }
}
