//! `manifest.json`: the lineage of a run — fleetsim version and commit, scenario and trace
//! SHA-256s, seed, command line and UTC time.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::scenario::Loaded;
use sha2::{Digest, Sha256};

/// Largest `manifest.json` read back (a sweep's lists its grid; a few MiB at most).
pub const MAX_BYTES: u64 = 64 << 20;

/// A run's (or a sweep's) lineage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// fleetsim's version.
    pub fleetsim_version: String,
    /// The git commit fleetsim was built from, if known.
    pub git_commit: Option<String>,
    /// The scenario file as given.
    pub scenario_path: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// `--set` overrides applied, in order.
    pub overrides: Vec<String>,
    /// Traces read, with their SHA-256s.
    pub traces: Vec<TraceDigest>,
    /// Run seed.
    pub seed: u64,
    /// The command line.
    pub command_line: Vec<String>,
    /// When the run was made (UTC, RFC 3339).
    pub created_utc: String,
    /// Sweeps: the grid, replications, shard and objective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<crate::sweep::folder::SweepLineage>,
    /// Comparisons: the designs compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare: Option<crate::sweep::compare::CompareLineage>,
}

/// A trace file and its digest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceDigest {
    /// Path as resolved.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// The trace files `s` reads: its request trace first, then its spot traces.
pub fn trace_paths(s: &crate::scenario::Scenario) -> Vec<std::path::PathBuf> {
    let mut paths = crate::trace::market::trace_paths(s);
    if let Some((path, _, _)) = s.request_trace() {
        paths.insert(0, path.to_path_buf());
    }
    paths
}

/// SHA-256 of `bytes` in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of a file, read in chunks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = crate::input::open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The git commit compiled in by `build.rs`, if any.
pub fn git_commit() -> Option<String> {
    Some(env!("FLEETSIM_GIT_COMMIT").to_string()).filter(|s| !s.is_empty())
}

impl Manifest {
    /// The lineage of `loaded` with the `--set` overrides given (as typed), made now; no sweep.
    pub fn of(loaded: &Loaded, overrides: &[String]) -> std::io::Result<Manifest> {
        Manifest::with_traces(loaded, overrides, &trace_paths(&loaded.scenario))
    }

    /// The same with the digests of `paths` (a sweep names the traces of all its cells).
    pub fn with_traces(
        loaded: &Loaded,
        overrides: &[String],
        paths: &[std::path::PathBuf],
    ) -> std::io::Result<Manifest> {
        let mut traces = Vec::new();
        for path in paths {
            let sha256 = sha256_file(path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("cannot hash {}: {e}", path.display())))?;
            traces.push(TraceDigest { path: path.display().to_string(), sha256 });
        }
        Ok(Manifest {
            fleetsim_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: git_commit(),
            scenario_path: loaded.path.display().to_string(),
            scenario_sha256: sha256_hex(&loaded.bytes),
            overrides: overrides.to_vec(),
            traces,
            seed: loaded.scenario.seed,
            command_line: std::env::args().collect(),
            created_utc: jiff::Timestamp::now().to_string(),
            sweep: None,
            compare: None,
        })
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
