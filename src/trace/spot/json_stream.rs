//! Streaming JSON for the spot readers: a file is parsed as it is read (serde_json over a
//! bounded reader) and each value is handed to the reader that wants it, so a trace never exists
//! in memory as a JSON tree (which took 20–50 bytes per byte of file). What a reader does with a
//! value is an [`Expect`]: its mapping, its list, or anything else. A value a reader does not
//! keep is a [`Scalar`]: a number, the start of a text, or the kind of a container (skipped).
//!
//! A reader's own errors (a negative availability at `data[12]`) are kept in a [`Failure`] and
//! serde is handed a marker that stops the parse; syntax errors keep serde_json's line and column.

use std::cell::RefCell;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{SpotTraceError, open_trace, too_large};
use crate::input::Budget;

/// A JSON value seen but not kept whole.
#[derive(Clone, Debug)]
pub(super) enum Scalar {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    /// The text (its first [`Scalar::KEPT_CHARS`] characters).
    Str(String),
    Array,
    Object,
}

impl Scalar {
    /// Characters of a text kept (for messages and timestamps).
    const KEPT_CHARS: usize = 256;

    /// The value's kind and (abridged) text, for messages: `the string "195"`, `an object`.
    pub(super) fn describe(&self) -> String {
        let (kind, mut text) = match self {
            Scalar::Null => return "null".into(),
            Scalar::Array => return "an array".into(),
            Scalar::Object => return "an object".into(),
            Scalar::Bool(b) => ("a boolean", b.to_string()),
            Scalar::Number(n) => ("the number", n.to_string()),
            Scalar::Str(s) => ("the string", serde_json::Value::String(s.clone()).to_string()),
        };
        if text.len() > 60 {
            let mut cut = 57;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str("...");
        }
        format!("{kind} {text}")
    }

    fn text(s: &str) -> Scalar {
        Scalar::Str(s.chars().take(Scalar::KEPT_CHARS).collect())
    }
}

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        struct Any;
        impl Expect for Any {
            type Out = Scalar;
            fn other<E: de::Error>(self, found: Scalar) -> Result<Scalar, E> {
                Ok(found)
            }
        }
        d.deserialize_any(Visit(Any))
    }
}

/// A reader's own error, kept while serde unwinds.
#[derive(Default)]
pub(super) struct Failure(RefCell<Option<SpotTraceError>>);

/// The message serde carries while a [`Failure`] holds the real error.
const STOP: &str = "fleetsim: stopped by the trace reader";

impl Failure {
    /// Keeps `e` and returns the error that stops the parse.
    pub(super) fn fail<E: de::Error>(&self, e: SpotTraceError) -> E {
        *self.0.borrow_mut() = Some(e);
        E::custom(STOP)
    }
}

/// What a reader does with one JSON value.
pub(super) trait Expect: Sized {
    /// What it makes of it.
    type Out;

    /// A mapping (by default: skipped, then handed to [`Expect::other`] as an object).
    fn map<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.other(Scalar::Object)
    }

    /// A list (by default: skipped, then handed to [`Expect::other`] as an array).
    fn seq<'de, A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Out, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.other(Scalar::Array)
    }

    /// Anything else (or a container the reader does not want).
    fn other<E: de::Error>(self, found: Scalar) -> Result<Self::Out, E>;
}

/// A serde visitor (and seed) for an [`Expect`].
pub(super) struct Visit<T>(pub T);

impl<'de, T: Expect> Visitor<'de> for Visit<T> {
    type Value = T::Out;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T::Out, E> {
        self.0.other(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T::Out, E> {
        self.0.other(Scalar::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T::Out, E> {
        self.0.other(Scalar::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T::Out, E> {
        self.0.other(serde_json::Number::from_f64(v).map_or(Scalar::Null, Scalar::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T::Out, E> {
        self.0.other(Scalar::text(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T::Out, E> {
        self.0.other(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<T::Out, E> {
        self.0.other(Scalar::Null)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T::Out, A::Error> {
        self.0.map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T::Out, A::Error> {
        self.0.seq(seq)
    }
}

impl<'de, T: Expect> DeserializeSeed<'de> for Visit<T> {
    type Value = T::Out;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T::Out, D::Error> {
        d.deserialize_any(self)
    }
}

/// Parses the JSON file `path` (at most `limit` bytes read; a UTF-8 byte-order mark skipped) with
/// `root` as the reader of its top value.
pub(super) fn parse<T: Expect>(path: &Path, limit: u64, failure: &Failure, root: T) -> Result<T::Out, SpotTraceError> {
    let mut reader = BufReader::with_capacity(64 * 1024, Budget::new(open_trace(path)?, limit));
    let io = |cause| SpotTraceError::Open { path: path.to_path_buf(), cause };
    if reader.fill_buf().map_err(io)?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    // An empty file (or one of white space) is named as such, not as a syntax error.
    loop {
        let buf = reader.fill_buf().map_err(io)?;
        if buf.is_empty() {
            return Err(SpotTraceError::Empty { path: path.to_path_buf(), detail: "the file is empty".into() });
        }
        if !buf.iter().all(u8::is_ascii_whitespace) {
            break;
        }
        let n = buf.len();
        reader.consume(n);
    }
    let mut de = serde_json::Deserializer::from_reader(&mut reader);
    let parsed = Visit(root).deserialize(&mut de).and_then(|out| de.end().map(|()| out));
    drop(de);
    parsed.map_err(|cause| {
        if let Some(e) = failure.0.borrow_mut().take() {
            return e;
        }
        if reader.get_ref().exceeded() {
            return too_large(path, limit);
        }
        SpotTraceError::JsonSyntax { path: path.to_path_buf(), cause }
    })
}
