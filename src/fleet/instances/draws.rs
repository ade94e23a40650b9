//! Interruption draws: when a spot launch will be told it is reclaimed, by the hazard
//! ([`crate::fleet::hazard`]) on a stream of its own, so that nothing but fleet events moves it
//! (common random numbers). How streams are named and kept is the pool's choice, fixed by its
//! [`PoolTerms`](super::PoolTerms):
//!
//! - [`Draws::PerLaunch`] (serving pools): the k-th spot launch of the pool draws a fresh process
//!   from `now` on stream k of its family. Other pools, stand-ins and request flow never shift it.
//! - [`Draws::PerMember`] (a job's gang): member j in zone z follows one process over the whole
//!   run, stream j of `{prefix}/{zone}`; a launch at t takes each member's first event after t,
//!   and the gang is noticed at the earliest. Every placement policy under one seed sees the same
//!   interruption times in a zone.

use super::{Fleet, ZoneId};
use crate::engine::SimTime;
use crate::engine::rng;

/// How a pool's interruption draws are named and kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Draws {
    /// Stream k of `family` for the pool's k-th spot launch, from its launch on.
    PerLaunch {
        /// The streams' family name, e.g. `interruptions/{pool}`.
        family: String,
    },
    /// Stream j of `{prefix}/{zone}` for member j in a zone, one process over the run.
    PerMember {
        /// The family's prefix, e.g. `job-interruptions`.
        prefix: String,
    },
}

impl Fleet {
    /// The hazard's notice for a spot launch of pool `p` in zone `z` at `now`, if one comes
    /// before the horizon. Counts the launch for [`Draws::PerLaunch`].
    pub(super) fn draw_notice(&mut self, p: usize, z: ZoneId, now: SimTime) -> Option<SimTime> {
        let horizon = self.settings.horizon;
        let per_hour = self.pools[p].terms.interruptions_per_hour;
        let k = self.pools[p].n_spot_launched;
        self.pools[p].n_spot_launched += 1;
        match &self.pools[p].terms.draws {
            Draws::PerLaunch { family } => {
                let shape = self.settings.hazard?;
                let mut stream = rng::indexed_stream(self.settings.seed, family, k);
                shape.next_event(per_hour, now, horizon, &mut stream)
            }
            Draws::PerMember { prefix } => {
                let gang = self.pools[p].terms.gang as usize;
                let zone = &mut self.zones[z.index()];
                if zone.members.len() < gang {
                    let family = format!("{prefix}/{}", zone.market.name);
                    for j in zone.members.len()..gang {
                        zone.members.push((SimTime::ZERO, rng::indexed_stream(self.settings.seed, &family, j as u64)));
                    }
                }
                let first = (0..gang).map(|j| self.advance_member(z, j, now, per_hour)).min()?;
                (first < horizon).then_some(first)
            }
        }
    }

    /// Moves member `j`'s process in zone `z` to its first event after `t` and returns it
    /// (`SimTime::MAX` when none comes before the horizon, or interruptions follow a trace).
    fn advance_member(&mut self, z: ZoneId, j: usize, t: SimTime, per_hour: f64) -> SimTime {
        let horizon = self.settings.horizon;
        let (next, stream) = &mut self.zones[z.index()].members[j];
        let Some(shape) = self.settings.hazard else {
            *next = SimTime::MAX;
            return SimTime::MAX;
        };
        while *next <= t {
            *next = shape.next_event(per_hour, *next, horizon, stream).unwrap_or(SimTime::MAX);
        }
        *next
    }
}
