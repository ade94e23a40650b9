//! Scenario errors: every one names the file, the line and column when known, and the key.
//!
//! A section's validation fails with an [`Invalid`] (the dotted key and what is wrong with it);
//! [`super::load`] turns it into a [`ScenarioError`] with the file, line and column.

use std::fmt;
use std::path::PathBuf;

use super::locate::Position;

/// A scenario that cannot be loaded, parsed or validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// The scenario file.
    pub file: PathBuf,
    /// Where in the file, when known.
    pub position: Option<Position>,
    /// Dotted key path, when the error belongs to a key.
    pub key: Option<String>,
    /// The `--set KEY=VALUE` that set this key, when it came from the command line.
    pub from_override: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ScenarioError {
    /// An error about the file as a whole.
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> ScenarioError {
        ScenarioError { file: file.into(), position: None, key: None, from_override: None, message: message.into() }
    }
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match (&self.from_override, self.position) {
            (Some(set), _) => write!(f, ": --set {set}")?,
            (None, Some(p)) => write!(f, ":{}:{}", p.line, p.column)?,
            (None, None) => {}
        }
        if let Some(key) = self.key.as_deref().filter(|k| !k.is_empty()) {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A validation failure: the dotted key and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// Dotted key path.
    pub key: String,
    /// What is wrong and what was expected.
    pub message: String,
}

/// An `Err(Invalid)` for `key`.
pub(super) fn invalid<T>(key: impl Into<String>, message: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid { key: key.into(), message: message.into() })
}

/// A number for messages: `1e300` rather than 301 digits.
pub(super) fn number(v: f64) -> String {
    if v.abs() >= 1e15 { format!("{v:e}") } else { v.to_string() }
}
