//! `autoscaler.schedule` — floors on the replica count while a window is open: a UTC time of day
//! on listed days, or a span of simulated time.

use serde::{Deserialize, Serialize};

use crate::engine::Duration;
use crate::scenario::error::{Invalid, invalid};

type Result<T> = std::result::Result<T, Invalid>;

/// One `autoscaler.schedule` entry: `{ from: "08:00", to: "20:00", min: 6 }` (UTC time of day,
/// every day or the `days` listed) or `{ from: 2h, to: 5h, min: 10 }` (simulated time).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheduleEntry {
    /// Opens: `HH:MM` UTC, or a duration from time 0.
    pub from: String,
    /// Closes: `HH:MM` UTC, or a duration from time 0.
    pub to: String,
    /// Fewest replicas while open.
    pub min: u32,
    /// Days a daily window opens (default every day): mon … sun, weekdays, weekend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<String>>,
}

/// A floor on the replica count while a window is open.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleEntry {
    /// When it applies.
    pub window: ScheduleWindow,
    /// Fewest replicas (all pools) while it applies.
    pub min: u32,
}

/// When a schedule entry applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleWindow {
    /// Every listed day from one UTC time of day to another (past midnight when `to` < `from`).
    Daily {
        /// Seconds after midnight UTC.
        from_s: u32,
        /// Seconds after midnight UTC.
        to_s: u32,
        /// Bit d set: the window opens on day d (0 = Monday).
        days: u8,
    },
    /// Once, over [from, to) of simulated time.
    Between {
        /// Opens.
        from: Duration,
        /// Closes.
        to: Duration,
    },
}

pub(super) fn schedule_entry(key: &str, raw: &RawScheduleEntry) -> Result<ScheduleEntry> {
    use crate::autoscale::schedule::parse_time_of_day;
    let daily = raw.from.contains(':') || raw.to.contains(':');
    let window = if daily {
        let from_s = parse_time_of_day(&raw.from).or_else(|e| invalid(format!("{key}.from"), e))?;
        let to_s = parse_time_of_day(&raw.to).or_else(|e| invalid(format!("{key}.to"), e))?;
        if from_s == to_s && from_s != 0 {
            return invalid(
                format!("{key}.to"),
                "is the same time as from: for whole days write from: \"00:00\", to: \"24:00\"",
            );
        }
        let days = match &raw.days {
            None => 0x7f,
            Some(list) => {
                let mut mask = 0u8;
                for (i, d) in list.iter().enumerate() {
                    mask |= match d.trim().to_ascii_lowercase().as_str() {
                        "mon" => 1,
                        "tue" => 2,
                        "wed" => 4,
                        "thu" => 8,
                        "fri" => 16,
                        "sat" => 32,
                        "sun" => 64,
                        "weekdays" => 31,
                        "weekend" => 96,
                        other => {
                            return invalid(
                                format!("{key}.days[{i}]"),
                                format!(
                                    "unknown day {other:?}: use mon, tue, wed, thu, fri, sat, sun, weekdays or weekend"
                                ),
                            );
                        }
                    };
                }
                mask
            }
        };
        ScheduleWindow::Daily { from_s, to_s, days }
    } else {
        if raw.days.is_some() {
            return invalid(
                format!("{key}.days"),
                "days apply to times of day (from: \"08:00\"), not to spans of simulated time",
            );
        }
        let parse = |field: &str, text: &str| {
            crate::scenario::units::parse_duration(text).or_else(|e| {
                invalid(format!("{key}.{field}"), format!("{e} (or give a UTC time of day such as \"08:00\")"))
            })
        };
        let (from, to) = (parse("from", &raw.from)?, parse("to", &raw.to)?);
        if to <= from {
            return invalid(format!("{key}.to"), format!("{to} is not after from ({from})"));
        }
        ScheduleWindow::Between { from, to }
    };
    Ok(ScheduleEntry { window, min: raw.min })
}
