//! Scenario errors: every one names the file, the line and column when known, and the key.

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
