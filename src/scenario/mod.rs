//! Scenario files: reading, `--set` overrides and validation into a [`Scenario`].
//!
//! Two stages, split as the file is: each section has one file (or folder) holding its raw serde
//! structs, which mirror the YAML key for key (shape and units, with the position of any error),
//! its validated types, which cannot hold bad values, and the validation between them. [`root`]
//! holds the whole file — [`RawScenario`], [`Scenario`] and its [`Workload`] — and calls each
//! section's validation. Every error is a [`ScenarioError`] naming file, line, column and key.

pub mod assertions;
pub mod assumptions;
pub mod autoscaler;
pub mod billing;
pub mod error;
pub mod fleet;
pub mod job;
pub mod limits;
pub mod locate;
pub mod output;
pub mod overrides;
pub mod root;
pub mod serving;
pub mod spot;
pub mod sweep;
pub mod units;

use std::path::{Path, PathBuf};

pub use assertions::{Assertion, CmpOp, parse_assertion};
pub use autoscaler::hpa::{HpaMetric, HpaSpec, PolicyChange, ScalingPolicy, ScalingRules, SelectPolicy};
pub use autoscaler::kpa::KpaSpec;
pub use autoscaler::queue::QueueSpec;
pub use autoscaler::schedule::{ScheduleEntry, ScheduleWindow};
pub use autoscaler::{AutoscalerSpec, LoadSignal, ScalerSpec};
pub use billing::Billing;
pub use error::ScenarioError;
pub use fleet::{FleetSpec, InstanceSpec, Market, PoolBounds, PoolSpec, ZoneStrategy, untraced_spot_price};
pub use job::{CheckpointInterval, JobPolicy, JobSpec};
pub use limits::Limits;
pub use overrides::Override;
pub use root::{RawScenario, Scenario, Workload};
pub use serving::Serving;
pub use serving::batcher::Batcher;
pub use serving::router::Router;
pub use serving::service::{BatchTime, Service, ServiceDistribution};
pub use serving::workload::{Arrivals, Cache, Sla};
pub use spot::{AvailabilityTraceSpec, Interruptions, PriceTraceFormat, PriceTraceSpec, SpotSpec};
pub use sweep::{Axis, Goal, Objective, SweepSpec};

use locate::{LocationIndex, Position};

/// A loaded scenario with what produced it (for the manifest).
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The validated scenario.
    pub scenario: Scenario,
    /// The raw scenario after overrides (what `validate` printed and the manifest records).
    pub raw: RawScenario,
    /// The file's bytes, for its SHA-256.
    pub bytes: Vec<u8>,
    /// The scenario file.
    pub path: PathBuf,
}

/// Reads, parses, overrides and validates the scenario at `path`.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Loaded, ScenarioError> {
    load_bytes(path, read_file(path)?, overrides)
}

/// Parses, overrides and validates `bytes`, read from `path` (a sweep reads its file once and
/// builds every cell from the same bytes).
pub fn load_bytes(path: &Path, bytes: Vec<u8>, overrides: &[Override]) -> Result<Loaded, ScenarioError> {
    let base_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let (scenario, raw) = {
        let text = utf8_text(path, &bytes)?;
        from_text(path, text, &base_dir, overrides)?
    };
    Ok(Loaded { scenario, raw, bytes, path: path.to_path_buf() })
}

/// Parses a scenario from YAML text (tests, embedded examples); trace paths resolve against the
/// current folder.
pub fn from_yaml(text: &str) -> Result<Scenario, ScenarioError> {
    from_text(Path::new("<inline>"), text, Path::new(""), &[]).map(|(s, _)| s)
}

/// Parses, overrides and validates `text`, read from `path`.
fn from_text(
    path: &Path,
    text: &str,
    base_dir: &Path,
    overrides: &[Override],
) -> Result<(Scenario, RawScenario), ScenarioError> {
    if text.lines().all(|l| matches!(l.trim().chars().next(), None | Some('#'))) {
        return Err(ScenarioError::file(
            path,
            "the file is empty: a scenario needs at least name, horizon, workload, service and fleet",
        ));
    }
    let index = LocationIndex::build(text);
    let mut raw = parse(path, text, &index)?;
    if !overrides.is_empty() {
        raw = overrides::apply(path, &raw, overrides)?;
    }
    let scenario = root::validate(&raw, base_dir).map_err(|e| {
        let from_override = overrides::blame(overrides, &e.key);
        ScenarioError {
            file: path.to_path_buf(),
            position: if from_override.is_none() { index.find(&e.key) } else { None },
            key: Some(e.key),
            from_override,
            message: e.message,
        }
    })?;
    Ok((scenario, raw))
}

/// Largest scenario file accepted (a scenario is a few kilobytes; this stops a wrong path to a
/// huge file from filling memory).
const MAX_SCENARIO_BYTES: u64 = 16 * 1024 * 1024;

fn read_file(path: &Path) -> Result<Vec<u8>, ScenarioError> {
    use crate::input::{InputError, bytes, read_bounded};
    read_bounded(path, MAX_SCENARIO_BYTES).map_err(|e| match e {
        InputError::NotRegular { kind: "a directory" } => {
            ScenarioError::file(path, "is a directory, not a scenario file")
        }
        InputError::NotRegular { kind } => {
            ScenarioError::file(path, format!("is {kind}, not a scenario file: give the path of a YAML file"))
        }
        InputError::TooLarge { limit } => ScenarioError::file(
            path,
            format!(
                "holds more than {}: scenario files are limited to {} (a scenario is a few KiB)",
                bytes(limit),
                bytes(limit)
            ),
        ),
        InputError::Io(e) => ScenarioError::file(path, format!("cannot read the scenario file: {e}")),
    })
}

fn utf8_text<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, ScenarioError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        let column = (before.len() - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)) as u32 + 1;
        ScenarioError {
            position: Some(Position { line, column }),
            ..ScenarioError::file(path, "the file is not valid UTF-8 text")
        }
    })
}

/// How scenario YAML is read: bounded, so that an alias bomb or a deep nesting is refused.
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! { max_aliases: 1_000, max_events: 1_000_000, max_depth: 100 },
    }
}

fn parse(path: &Path, text: &str, index: &LocationIndex) -> Result<RawScenario, ScenarioError> {
    let mut failed_key: Option<String> = None;
    let result = serde_saphyr::with_deserializer_from_str_with_options(text, yaml_options(), |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            failed_key = Some(e.path().to_string()).filter(|p| p != "." && !p.contains('?'));
            e.into_inner()
        })
    });
    result.map_err(|e| {
        let position = e
            .location()
            .filter(|l| l.line() > 0)
            .map(|l| Position { line: l.line() as u32, column: l.column() as u32 })
            .or_else(|| failed_key.as_deref().and_then(|k| index.find(k)));
        let mut message = clean_message(&e);
        if message.starts_with("expected a")
            && !message.contains(", found ")
            && let Some(found) = e.location().and_then(|l| source_at(text, l.span()))
        {
            message = format!("{message}, found {found:?}");
        }
        ScenarioError { position, key: failed_key, ..ScenarioError::file(path, message) }
    })
}

/// The source text an error's span covers, if it is short and on one line.
fn source_at(text: &str, span: serde_saphyr::Span) -> Option<&str> {
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    let found = text.get(start..start.checked_add(len)?)?;
    (!found.is_empty() && found.len() <= 80 && !found.contains('\n')).then_some(found)
}

/// serde-saphyr's message without its snippet and `line L column C:` prefix (we print our own).
fn clean_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let text = match text.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") && head.contains(" column ") => rest,
        _ => text,
    };
    let first = text.lines().next().unwrap_or("");
    // Drop a trailing " at line L, column C": the position is printed in front.
    let first = match first.rfind(" at line ") {
        Some(at) if first[at..].contains(", column ") => &first[..at],
        _ => first,
    };
    friendlier(first)
}

/// Rewrites serde's terse type errors in the scenario's terms.
fn friendlier(message: &str) -> String {
    for (serde_word, ours) in [
        ("invalid u32", "expected a whole number ≥ 0"),
        ("invalid u64", "expected a whole number ≥ 0"),
        ("invalid f64", "expected a number"),
        ("invalid floating point", "expected a number"),
        ("expected mapping start", "expected a mapping of `key: value` entries"),
        ("expected sequence start", "expected a list (`- item` lines or `[a, b]`)"),
        ("expected string scalar", "expected a text value"),
    ] {
        if message.starts_with(serde_word) {
            return message.replacen(serde_word, ours, 1);
        }
    }
    if message.starts_with("cannot deserialize null") {
        return "expected a value, found none (null)".into();
    }
    if message.starts_with("multiple YAML documents") {
        return "the file holds several YAML documents (separated by `---`); a scenario is one document".into();
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest);
        return format!("key `{key}` appears twice in the same mapping; each key may appear once");
    }
    if message.starts_with("budget breached") {
        return format!(
            "the file is too large or alias-heavy to read safely ({message}); scenarios are limited to 1000 aliases, 1,000,000 YAML events and nesting 100 deep"
        );
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("missing required key {rest}");
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVING: &str = "name: x\nhorizon: 1m\n\
        workload:\n  arrivals:\n    poisson: { rate: 5/s }\n\
        service:\n  batch_time: { base: 8ms }\n\
        fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\n";

    fn error(yaml: &str) -> String {
        from_yaml(yaml).expect_err("expected an error").to_string()
    }

    #[test]
    fn yaml_errors_are_worded_for_scenarios() {
        let e = error(&format!("{SERVING}---\n{SERVING}"));
        assert!(e.contains("several YAML documents (separated by `---`); a scenario is one document"), "{e}");
        let e = error(&SERVING.replace("name: x", "name: ~"));
        assert!(e.ends_with("1:7: name: expected a value, found none (null)"), "{e}");
        let e = error(&SERVING.replace("base: 8ms", "base: [8ms]"));
        assert!(e.contains("service.batch_time.base: invalid type: sequence, expected a duration"), "{e}");
        let e = error(&SERVING.replace("horizon: 1m", "horizon: { a: 1 }"));
        assert!(e.contains("horizon: invalid type: map"), "{e}");
        let e = error(&SERVING.replace("name: x", "name: [x]"));
        assert!(e.ends_with("name: expected a text value, found \"[\""), "{e}");
        let e = error("# nothing but a comment\n");
        assert!(e.contains("the file is empty"), "{e}");
        // The value is quoted once, not once by the unit parser and again by the loader.
        let e = error(&SERVING.replace("horizon: 1m", "horizon: 1m!"));
        assert_eq!(e.matches("found").count(), 1, "{e}");
    }

    #[test]
    fn job_instance_type_errors_name_the_entry() {
        let job = "name: j\nhorizon: 10h\njob:\n  work: 1h\n  instance: p3.2xlarge\n  policy: on_demand\n\
            fleet:\n  pools: []\n  instance_types:\n    - { name: p3.2xlarge, speed: 0 }\n";
        let e = error(job);
        assert!(e.contains(":10:34: fleet.instance_types[0].speed: must be a number between 0.001 and 1000"), "{e}");
    }

    #[test]
    fn memory_sizes_must_be_finite() {
        let yaml = format!("{SERVING}  instance_types:\n    - {{ name: g5.xlarge, gpu_memory_gib: .nan }}\n");
        let e = error(&yaml);
        assert!(
            e.contains(":12:42: fleet.instance_types[0].gpu_memory_gib: must be a number of GiB ≥ 0, found NaN"),
            "{e}"
        );
    }
}
