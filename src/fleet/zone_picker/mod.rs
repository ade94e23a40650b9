//! Zone choice for spot capacity: one policy per strategy, one semantics and one name each, used by
//! serving pools (`pools[].zone_strategy`) and job gangs (`job.zone_policy`) alike.
//!
//! A caller lists the zones where spot is obtainable now, as [`Candidate`]s in the order the
//! scenario lists its zones; [`ZonePicker::pick`] names one (a query: it may be asked for a view
//! without launching) and [`ZonePicker::chose`] tells the picker where capacity was launched, for
//! the strategies that remember (`round_robin`, `stay`).

mod lowest_price;
mod most_available;
mod round_robin;
mod stay;

pub use lowest_price::LowestPrice;
pub use most_available::MostAvailable;
pub use round_robin::RoundRobin;
pub use stay::Stay;

use crate::scenario::ZoneStrategy;

/// A zone where spot is obtainable now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    /// Its position among the zones the scenario lists.
    pub zone: usize,
    /// Capacity left for the caller (a trace's availability less what runs there);
    /// `f64::INFINITY` where no trace limits it.
    pub headroom: f64,
    /// Spot price now, $/hour.
    pub price: f64,
}

/// A zone-choice strategy.
pub trait ZonePicker {
    /// The zone to launch in among `ok` (obtainable zones, in listed order), if any; `listed` is
    /// the number of zones listed.
    fn pick(&self, ok: &[Candidate], listed: usize) -> Option<usize>;

    /// Capacity was launched in `zone` (of `listed`).
    fn chose(&mut self, _zone: usize, _listed: usize) {}
}

/// The picker for `strategy`, in its initial state.
pub fn for_strategy(strategy: ZoneStrategy) -> Box<dyn ZonePicker + Send> {
    match strategy {
        ZoneStrategy::LowestPrice => Box::new(LowestPrice),
        ZoneStrategy::MostAvailable => Box::new(MostAvailable),
        ZoneStrategy::RoundRobin => Box::new(RoundRobin::default()),
        ZoneStrategy::Stay => Box::new(Stay::default()),
    }
}

#[cfg(test)]
pub(crate) fn candidates(rows: &[(usize, f64, f64)]) -> Vec<Candidate> {
    rows.iter().map(|&(zone, headroom, price)| Candidate { zone, headroom, price }).collect()
}
