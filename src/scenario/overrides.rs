//! `--set KEY=VALUE`: change any scenario key by its dotted path before validation.
//!
//! The raw scenario is turned into a JSON tree, each override replaces (or creates) the value at
//! its path, and the tree is read back into the raw structs, so an override is checked exactly as
//! the same value written in the file would be.

use std::path::Path;

use serde_json::Value;

use super::RawScenario;
use super::ScenarioError;

/// One `KEY=VALUE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// Dotted path, e.g. `batcher.max_batch_size`; `fleet.pools[0].count` or `fleet.pools.0.count`.
    pub key: String,
    /// The value as typed.
    pub text: String,
}

impl Override {
    /// Parses `KEY=VALUE`.
    pub fn parse(arg: &str) -> Result<Override, String> {
        let (key, text) = arg
            .split_once('=')
            .ok_or_else(|| format!("--set {arg:?}: expected KEY=VALUE, e.g. batcher.max_batch_size=32"))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(format!("--set {arg:?}: the key must be a dotted path such as batcher.max_wait"));
        }
        parse_key(key).map_err(|why| format!("--set {arg:?}: {why}"))?;
        if text.trim().is_empty() {
            return Err(format!("--set {arg:?}: the value is empty; write KEY=VALUE, e.g. batcher.max_wait=5ms"));
        }
        Ok(Override { key: key.to_string(), text: text.trim().to_string() })
    }

    /// The value as YAML would read it: `32` a number, `true` a boolean, `5ms` a string.
    pub fn value(&self) -> Value {
        serde_saphyr::from_str::<Value>(&self.text)
            .ok()
            .filter(|v| !v.is_null() || self.text == "null" || self.text == "~")
            .unwrap_or_else(|| Value::String(self.text.clone()))
    }

    fn segments(&self) -> Vec<Segment> {
        // `parse` checked the key.
        parse_key(&self.key).unwrap_or_default()
    }

    fn to_arg(&self) -> String {
        format!("{}={}", self.key, self.text)
    }

    /// The key in the canonical `a.b[1].c` form used by error paths (`a.b.1.c` and `a.b[1].c`
    /// name the same key).
    pub fn canonical_key(&self) -> String {
        let mut s = String::new();
        for seg in self.segments() {
            match seg {
                Segment::Key(k) if s.is_empty() => s.push_str(&k),
                Segment::Key(k) => {
                    s.push('.');
                    s.push_str(&k);
                }
                Segment::Index(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    }
}

enum Segment {
    Key(String),
    Index(usize),
}

/// Splits a key such as `fleet.pools[0].count` (or `fleet.pools.0.count`) into segments; a
/// bracket left open, an index that is not a whole number or text after `]` is an error.
fn parse_key(key: &str) -> Result<Vec<Segment>, String> {
    let example = "write it as a dotted path with list indexes in brackets, e.g. fleet.pools[0].count";
    let mut out = Vec::new();
    for part in key.split('.') {
        let (name, mut rest) = part.split_once('[').map_or((part, None), |(n, r)| (n, Some(r)));
        if name.is_empty() || name.contains(']') {
            return Err(format!("the key {key:?} has {part:?} where a name belongs; {example}"));
        }
        out.push(match name.parse::<usize>() {
            Ok(i) => Segment::Index(i),
            Err(_) => Segment::Key(name.to_string()),
        });
        while let Some(r) = rest {
            let Some((index, after)) = r.split_once(']') else {
                return Err(format!("the key {key:?} opens a '[' that it does not close; {example}"));
            };
            let i = index.parse::<usize>().map_err(|_| {
                format!("the key {key:?} has the index [{index}], which is not a whole number ≥ 0; {example}")
            })?;
            out.push(Segment::Index(i));
            rest = match after {
                "" => None,
                a => match a.strip_prefix('[') {
                    Some(next) => Some(next),
                    None => return Err(format!("the key {key:?} has {a:?} after [{index}]; {example}")),
                },
            };
        }
    }
    Ok(out)
}

/// Applies `overrides` in order to `raw`.
pub fn apply(file: &Path, raw: &RawScenario, overrides: &[Override]) -> Result<RawScenario, ScenarioError> {
    let base = serde_json::to_value(raw).map_err(|e| ScenarioError::file(file, e.to_string()))?;
    // Values are read as YAML scalars (`32` a number); a key that wants text (`name=2024`) gets
    // the text instead, as it would in the file.
    let mut as_text = vec![false; overrides.len()];
    loop {
        let mut tree = base.clone();
        for (o, &text) in overrides.iter().zip(&as_text) {
            let value = if text { Value::String(o.text.clone()) } else { o.value() };
            set_path(&mut tree, &o.segments(), value).map_err(|message| ScenarioError {
                key: Some(o.key.clone()),
                from_override: Some(o.to_arg()),
                ..ScenarioError::file(file, message)
            })?;
        }
        let err = match serde_path_to_error::deserialize::<_, RawScenario>(tree) {
            Ok(raw) => return Ok(raw),
            Err(e) => e,
        };
        let key = err.path().to_string();
        let culprit = overrides.iter().rposition(|o| o.canonical_key() == key);
        if let Some(i) = culprit.filter(|&i| !as_text[i] && !overrides[i].value().is_string()) {
            as_text[i] = true;
            continue;
        }
        return Err(ScenarioError {
            from_override: blame(overrides, &key).or_else(|| overrides.last().map(Override::to_arg)),
            key: Some(key),
            ..ScenarioError::file(file, plain_types(err.into_inner().to_string()))
        });
    }
}

/// serde's type names in the scenario's terms, as the file's errors put them.
fn plain_types(message: String) -> String {
    [
        ("expected u32", "expected a whole number ≥ 0"),
        ("expected u64", "expected a whole number ≥ 0"),
        ("expected f64", "expected a number"),
    ]
    .iter()
    .fold(message, |m, (serde_word, ours)| m.replace(serde_word, ours))
}

/// The override (as `KEY=VALUE`) that set `key` or one of its ancestors, if any.
pub fn blame(overrides: &[Override], key: &str) -> Option<String> {
    overrides
        .iter()
        .rev()
        .find(|o| {
            let k = o.canonical_key();
            key == k || key.starts_with(&format!("{k}.")) || key.starts_with(&format!("{k}["))
        })
        .map(Override::to_arg)
}

fn set_path(tree: &mut Value, path: &[Segment], value: Value) -> Result<(), String> {
    set_at(tree, path, 0, value)
}

/// The key up to segment `n` of `path`, for messages.
fn prefix(path: &[Segment], n: usize) -> String {
    let mut s = String::new();
    for seg in &path[..n] {
        match seg {
            Segment::Key(k) if s.is_empty() => s.push_str(k),
            Segment::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Segment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn set_at(tree: &mut Value, path: &[Segment], n: usize, value: Value) -> Result<(), String> {
    let Some(first) = path.get(n) else {
        *tree = value;
        return Ok(());
    };
    match first {
        Segment::Key(k) => {
            if tree.is_null() {
                *tree = Value::Object(Default::default());
            }
            let entries = match tree {
                Value::Object(map) => return set_at(map.entry(k.clone()).or_insert(Value::Null), path, n + 1, value),
                Value::Array(items) => items.len(),
                _ => return Err(format!("cannot set key {k:?} inside a value that is not a mapping")),
            };
            Err(format!(
                "{} is a list of {entries} entries, not a mapping: address an entry by its index, e.g. {}[0]",
                prefix(path, n),
                prefix(path, n)
            ))
        }
        // A number addresses a list entry, or a mapping key that is a number (`table.8`).
        Segment::Index(i) if tree.is_object() => {
            let Value::Object(map) = tree else { unreachable!("checked is_object") };
            set_at(map.entry(i.to_string()).or_insert(Value::Null), path, n + 1, value)
        }
        Segment::Index(i) => {
            let Value::Array(items) = tree else {
                return Err(format!("cannot index [{i}] into {}, which is not a list", prefix(path, n)));
            };
            let len = items.len();
            let item = items
                .get_mut(*i)
                .ok_or_else(|| format!("index [{i}] is out of range: {} has {len} entries", prefix(path, n)))?;
            set_at(item, path, n + 1, value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_yaml_scalars() {
        let v = |s: &str| Override::parse(&format!("a={s}")).unwrap().value();
        assert_eq!(v("32"), Value::from(32));
        assert_eq!(v("0.5"), Value::from(0.5));
        assert_eq!(v("true"), Value::from(true));
        assert_eq!(v("5ms"), Value::from("5ms"));
        assert_eq!(v("120/s"), Value::from("120/s"));
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(Override::parse("batcher.max_wait=").is_err());
        assert!(Override::parse("novalue").is_err());
        assert!(Override::parse("a..b=1").is_err());
        assert!(Override::parse("=1").is_err());
    }

    #[test]
    fn malformed_keys_are_refused() {
        // `fleet.pools[0.count` set the count before: the open bracket was dropped.
        let err = Override::parse("fleet.pools[0.count=3").unwrap_err();
        assert!(err.contains("opens a '[' that it does not close"), "{err}");
        assert!(Override::parse("fleet.pools[a].count=3").unwrap_err().contains("[a], which is not a whole number"));
        assert!(Override::parse("fleet.pools[-1].count=3").unwrap_err().contains("not a whole number"));
        assert!(Override::parse("fleet.pools[0]x.count=3").unwrap_err().contains("\"x\" after [0]"));
        assert!(Override::parse("fleet.pools]0[.count=3").is_err());
        assert!(Override::parse("a.b[1][2]=3").is_ok());
    }

    #[test]
    fn keys_into_lists_say_to_use_an_index() {
        let mut tree = serde_json::json!({"fleet": {"pools": [{"count": 1}]}});
        let o = Override::parse("fleet.pools.x.count=3").unwrap();
        let err = set_path(&mut tree, &o.segments(), Value::from(3)).unwrap_err();
        assert!(err.contains("fleet.pools is a list of 1 entries, not a mapping"), "{err}");
        let o = Override::parse("fleet.pools[4].count=3").unwrap();
        let err = set_path(&mut tree, &o.segments(), Value::from(3)).unwrap_err();
        assert!(err.contains("index [4] is out of range: fleet.pools has 1 entries"), "{err}");
    }

    #[test]
    fn index_forms_are_equivalent() {
        let a = Override::parse("fleet.pools[1].count=3").unwrap();
        let b = Override::parse("fleet.pools.1.count=3").unwrap();
        assert_eq!(a.canonical_key(), "fleet.pools[1].count");
        assert_eq!(b.canonical_key(), "fleet.pools[1].count");
    }
}
