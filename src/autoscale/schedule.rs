//! Schedule floors: the fewest replicas the fleet keeps while a window is open, by UTC time of
//! day (optionally on some weekdays only) or over a span of simulated time. Open windows
//! combine by taking the highest floor; the floor raises the autoscaler's minimum.

use crate::engine::SimTime;
use crate::scenario::{ScheduleEntry, ScheduleWindow};

const DAY_NS: u64 = 86_400 * 1_000_000_000;
const WEEK_NS: u64 = 7 * DAY_NS;
/// 1970-01-05T00:00:00Z, a Monday, in Unix seconds.
const A_MONDAY_S: i128 = 4 * 86_400;

/// The schedule of a run.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    entries: Vec<ScheduleEntry>,
    /// Nanoseconds from the Monday 00:00 UTC before time 0 to time 0.
    week_offset_ns: u64,
}

impl Schedule {
    /// `entries` for a run whose time 0 is `start`.
    pub fn new(entries: Vec<ScheduleEntry>, start: jiff::Timestamp) -> Schedule {
        let since_monday = start.as_nanosecond() - A_MONDAY_S * 1_000_000_000;
        let week_offset_ns = since_monday.rem_euclid(i128::from(WEEK_NS)) as u64;
        Schedule { entries, week_offset_ns }
    }

    /// Whether there is any entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The floor at `t`: the highest `min` of the entries open then, 0 if none is.
    pub fn floor(&self, t: SimTime) -> u32 {
        self.entries.iter().filter(|e| self.open(e.window, t)).map(|e| e.min).max().unwrap_or(0)
    }

    fn open(&self, window: ScheduleWindow, t: SimTime) -> bool {
        match window {
            ScheduleWindow::Between { from, to } => t.0 >= from.as_nanos() && t.0 < to.as_nanos(),
            ScheduleWindow::Daily { from_s, to_s, days } => {
                let in_week = (self.week_offset_ns + t.0 % WEEK_NS) % WEEK_NS;
                let day = (in_week / DAY_NS) as u8;
                let tod = in_week % DAY_NS;
                let (from, to) = (u64::from(from_s) * 1_000_000_000, u64::from(to_s) * 1_000_000_000);
                let on = |d: u8| days & (1 << d) != 0;
                if from == to {
                    on(day) // the whole day (e.g. "00:00" to "24:00")
                } else if from < to {
                    on(day) && tod >= from && tod < to
                } else {
                    // Past midnight: opened today, or opened yesterday and not yet closed.
                    (on(day) && tod >= from) || (on((day + 6) % 7) && tod < to)
                }
            }
        }
    }

    /// The first time after `t` at which a window opens or closes.
    pub fn next_change(&self, t: SimTime) -> Option<SimTime> {
        let mut best: Option<u64> = None;
        let mut consider = |at: u64| {
            if at > t.0 {
                best = Some(best.map_or(at, |b| b.min(at)));
            }
        };
        for e in &self.entries {
            match e.window {
                ScheduleWindow::Between { from, to } => {
                    consider(from.as_nanos());
                    consider(to.as_nanos());
                }
                ScheduleWindow::Daily { from_s, to_s, .. } => {
                    let tod = (self.week_offset_ns + t.0 % WEEK_NS) % DAY_NS;
                    for edge_s in [from_s, to_s] {
                        let edge = u64::from(edge_s) * 1_000_000_000;
                        let wait = (edge + DAY_NS - tod) % DAY_NS;
                        consider(t.0.saturating_add(if wait == 0 { DAY_NS } else { wait }));
                    }
                }
            }
        }
        best.map(SimTime)
    }
}

/// Seconds after midnight of a `HH:MM` or `HH:MM:SS` time of day.
pub fn parse_time_of_day(text: &str) -> Result<u32, String> {
    let parts: Vec<&str> = text.trim().split(':').collect();
    let bad = || format!("expected a UTC time of day such as \"08:00\" or \"17:30:00\", found {text:?}");
    if !(2..=3).contains(&parts.len()) {
        return Err(bad());
    }
    let mut secs = 0u32;
    for (i, (part, limit)) in parts.iter().zip([24u32, 60, 60]).enumerate() {
        let v: u32 = part.parse().map_err(|_| bad())?;
        if v >= limit && !(i == 0 && v == 24 && parts[1..].iter().all(|p| p.parse() == Ok(0u32))) {
            return Err(bad());
        }
        secs = secs * 60 + v;
    }
    if parts.len() == 2 {
        secs *= 60;
    }
    Ok(secs % 86_400)
}
