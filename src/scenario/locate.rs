//! Where each key of a scenario file sits: a map from dotted key paths (`fleet.pools[1].count`) to
//! line and column, so that errors found after parsing still point into the file.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

/// Line and column (1-based) of a value in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Dotted key path → position of its value.
#[derive(Debug, Default)]
pub struct LocationIndex {
    positions: BTreeMap<String, Position>,
}

impl LocationIndex {
    /// Indexes `text`; an unparsable text gives an empty index (the parse error is reported elsewhere).
    pub fn build(text: &str) -> LocationIndex {
        let mut index = LocationIndex::default();
        // `.nan` and `.inf` are values like any other here (validation refuses them by key),
        // rather than an error that would leave the whole file without positions.
        let mut options = super::yaml_options();
        options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
        if let Ok(root) = serde_saphyr::from_str_with_options::<Spanned<Node>>(text, options) {
            index.visit("", &root);
        }
        index
    }

    /// The position of `path`, or of its nearest ancestor present in the file.
    pub fn find(&self, path: &str) -> Option<Position> {
        let mut p = path;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return Some(*pos);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    fn visit(&mut self, path: &str, node: &Spanned<Node>) {
        let loc = node.referenced;
        if loc.line() > 0 {
            self.positions.insert(path.to_string(), Position { line: loc.line() as u32, column: loc.column() as u32 });
        }
        match &node.value {
            Node::Map(entries) => {
                for (key, child) in entries {
                    let child_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    self.visit(&child_path, child);
                }
            }
            Node::Seq(items) => {
                for (i, child) in items.iter().enumerate() {
                    self.visit(&format!("{path}[{i}]"), child);
                }
            }
            Node::Scalar => {}
        }
    }
}

/// A YAML node with positions on every child.
enum Node {
    Map(Vec<(String, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    Scalar,
}

/// A mapping key of any scalar kind, as text.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key>()? {
            entries.push((key, map.next_value::<Spanned<Node>>()?));
        }
        Ok(Node::Map(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_falls_back_to_ancestors() {
        let text = "name: x\nbatcher:\n  max_batch_size: 4\nfleet:\n  pools:\n    - { name: a, count: 2 }\n    - name: b\n      count: 0\n";
        let index = LocationIndex::build(text);
        assert_eq!(index.find("batcher.max_batch_size"), Some(Position { line: 3, column: 19 }));
        assert_eq!(index.find("fleet.pools[1].count"), Some(Position { line: 8, column: 14 }));
        assert_eq!(index.find("fleet.pools[0].count").map(|p| p.line), Some(6));
        // A key that is absent points at its parent.
        assert_eq!(index.find("batcher.max_wait").map(|p| p.line), Some(3));
    }

    #[test]
    fn non_finite_numbers_keep_their_positions() {
        let index = LocationIndex::build("name: x\nsla: { latency: 1s, quantile: .nan }\nprice: -.inf\n");
        assert_eq!(index.find("sla.quantile"), Some(Position { line: 2, column: 31 }));
        assert_eq!(index.find("price"), Some(Position { line: 3, column: 8 }));
    }
}
