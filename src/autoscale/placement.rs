//! Where the replicas an autoscaler asks for go: a total turned into a target per autoscaled pool.
//!
//! The algorithms (`hpa`, `keda`, `kpa`, `schedule`) decide how many replicas the fleet needs, as
//! their real counterparts do; placement decides which pools hold them. Every pool is first kept
//! within its own min..max; scaling up then fills pools in file order up to their max; scaling
//! down empties spot pools before the others, each pass in reverse file order, down to their min.
//! (Within a pool, which instances go is the fleet's choice: spot before on-demand stand-ins,
//! newest first.)

/// An autoscaled pool as placement sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSlot {
    /// The pool's index in `fleet.pools`.
    pub pool: usize,
    /// Its present target.
    pub target: u32,
    /// Its bounds.
    pub min: u32,
    /// Its bounds.
    pub max: u32,
    /// Whether it is a spot pool (emptied first on a scale-down).
    pub spot: bool,
}

/// Where replicas go: a target per autoscaled pool, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// `(pool index, target)`, one per autoscaled pool.
    pub targets: Vec<(usize, u32)>,
}

impl Decision {
    /// Replicas the decision asks of the autoscaled pools.
    pub fn total(&self) -> u32 {
        self.targets.iter().map(|&(_, t)| t).sum()
    }
}

/// Targets for `pools` summing to `total`, kept within Σ min..Σ max, changed from the present ones
/// as the module documentation says.
pub fn place(total: u32, pools: &[PoolSlot]) -> Decision {
    let mut targets: Vec<(usize, u32)> = pools.iter().map(|s| (s.pool, s.target.clamp(s.min, s.max))).collect();
    let sum: u32 = targets.iter().map(|(_, t)| t).sum();
    if total > sum {
        let mut add = total - sum;
        for ((_, t), slot) in targets.iter_mut().zip(pools) {
            let n = (slot.max - *t).min(add);
            *t += n;
            add -= n;
        }
    } else if total < sum {
        let mut remove = sum - total;
        for spot_pass in [true, false] {
            for ((_, t), slot) in targets.iter_mut().zip(pools).rev() {
                if slot.spot != spot_pass {
                    continue;
                }
                let n = (*t - slot.min).min(remove);
                *t -= n;
                remove -= n;
            }
        }
    }
    Decision { targets }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(pool: usize, target: u32, min: u32, max: u32, spot: bool) -> PoolSlot {
        PoolSlot { pool, target, min, max, spot }
    }

    /// On-demand 1..3 (now 1), spot 0..4 (now 2), on-demand 0..2 (now 0).
    fn fleet() -> [PoolSlot; 3] {
        [slot(0, 1, 1, 3, false), slot(1, 2, 0, 4, true), slot(2, 0, 0, 2, false)]
    }

    #[test]
    fn scaling_up_fills_pools_in_file_order() {
        // 3 → 7: pool 0 to its max 3 (+2), pool 1 to 4 (+2), none left for pool 2.
        assert_eq!(place(7, &fleet()).targets, [(0, 3), (1, 4), (2, 0)]);
        // 3 → 10 asks more than Σ max = 9: every pool at its max.
        assert_eq!(place(10, &fleet()).targets, [(0, 3), (1, 4), (2, 2)]);
    }

    #[test]
    fn scaling_down_empties_spot_pools_first() {
        // 3 → 1: the spot pool gives up both of its replicas; the on-demand pool keeps its min.
        assert_eq!(place(1, &fleet()).targets, [(0, 1), (1, 0), (2, 0)]);
        // From (3, 1, 2) down to 2: spot 1 → 0, then on-demand in reverse file order: pool 2
        // 2 → 0, pool 0 3 → 2.
        let now = [slot(0, 3, 1, 3, false), slot(1, 1, 0, 4, true), slot(2, 2, 0, 2, false)];
        // One fewer: the spot replica goes, though pool 2 comes later in the file.
        assert_eq!(place(5, &now).targets, [(0, 3), (1, 0), (2, 2)]);
        let d = place(2, &now);
        assert_eq!(d.targets, [(0, 2), (1, 0), (2, 0)]);
        assert_eq!(d.total(), 2);
        // Never below Σ min.
        assert_eq!(place(0, &now).targets, [(0, 1), (1, 0), (2, 0)]);
    }

    #[test]
    fn pools_outside_their_bounds_come_back_first() {
        // A pool above its max (bounds changed) is brought down before anything is spread.
        let now = [slot(0, 5, 0, 3, false), slot(1, 0, 1, 2, true)];
        assert_eq!(place(4, &now).targets, [(0, 3), (1, 1)]);
        assert_eq!(place(5, &now).targets, [(0, 3), (1, 2)]);
    }
}
