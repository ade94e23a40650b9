//! The `aws-json` price reader: the output of `aws ec2 describe-spot-price-history`, streamed entry
//! by entry. AWS prints entries newest first, so the kept entries of each zone (32 bytes each) are
//! sorted by time once the file is read, then merged into a compact series.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use jiff::Timestamp;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess};

use super::json_stream::{Expect, Failure, Scalar, Visit, parse};
use super::step::StepBuilder;
use super::*;

pub(super) fn read_aws_json(
    path: &Path,
    zone: Option<&str>,
    instance: Option<&str>,
    start: Option<Timestamp>,
    limit: u64,
) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
    let failure = Failure::default();
    let mut acc = Acc {
        path,
        zone,
        instance,
        n_entries: 0,
        zones_found: BTreeSet::new(),
        instances_found: BTreeSet::new(),
        products: Vec::new(),
        kept: BTreeMap::new(),
        earliest: None,
    };
    let list_at = parse(path, limit, &failure, Root { acc: &mut acc, failure: &failure })?;
    acc.finish(list_at, start)
}

/// One kept entry.
struct Entry {
    ts: i128,
    price: f64,
    /// Its index in the file's list, for messages.
    index: u32,
    /// Its product description (an index into [`Acc::products`]), if it names one.
    product: Option<u32>,
}

/// The kept entries of one zone, and the first instance type they name (with its index).
#[derive(Default)]
struct Zone {
    instance: Option<(String, u64)>,
    entries: Vec<Entry>,
}

/// What reading the entries gathers.
struct Acc<'a> {
    path: &'a Path,
    zone: Option<&'a str>,
    instance: Option<&'a str>,
    n_entries: u64,
    zones_found: BTreeSet<String>,
    instances_found: BTreeSet<String>,
    products: Vec<String>,
    kept: BTreeMap<String, Zone>,
    earliest: Option<i128>,
}

/// The fields of an entry fleetsim reads (the others are skipped).
#[derive(Default)]
struct Fields {
    zone: Option<Scalar>,
    timestamp: Option<Scalar>,
    instance: Option<Scalar>,
    product: Option<Scalar>,
    price: Option<Scalar>,
}

/// An entry as found: an object's fields, or something else.
enum Found {
    Object(Fields),
    Other(Scalar),
}

impl Acc<'_> {
    /// Takes entry `i` of the list at `list_at`.
    fn add(&mut self, list_at: &str, i: u64, entry: Found) -> Result<(), SpotTraceError> {
        self.n_entries += 1;
        let path = self.path;
        let at = |field: &str| format!("{list_at}[{i}]{}{field}", if field.is_empty() { "" } else { "." });
        let f = match entry {
            Found::Object(f) => f,
            Found::Other(found) => {
                let message = format!("found {}; expected a spot price entry object", found.describe());
                return Err(json_err(path, at(""), message));
            }
        };
        let text = |v: &Option<Scalar>, field: &str, required: bool| -> Result<Option<String>, SpotTraceError> {
            match v {
                Some(Scalar::Str(s)) => Ok(Some(s.trim().to_string())),
                None | Some(Scalar::Null) if !required => Ok(None),
                None => Err(json_err(path, at(field), "missing")),
                Some(other) => Err(json_err(path, at(field), format!("found {}; expected a string", other.describe()))),
            }
        };
        let z = text(&f.zone, "AvailabilityZone", true)?.unwrap_or_default();
        if z.is_empty() {
            return Err(json_err(path, at("AvailabilityZone"), "is empty; expected a zone such as \"us-east-1a\""));
        }
        let ts_text = text(&f.timestamp, "Timestamp", true)?.unwrap_or_default();
        let ts = ts_text.parse::<Timestamp>().map_err(|err| {
            json_err(path, at("Timestamp"), format!("{ts_text:?} is not an RFC 3339 timestamp ({err})"))
        })?;
        let ts = ts.as_nanosecond();
        self.earliest = Some(self.earliest.map_or(ts, |e| e.min(ts)));
        let inst = text(&f.instance, "InstanceType", false)?.unwrap_or_default();
        let product = text(&f.product, "ProductDescription", false)?;

        if !self.zones_found.contains(&z) {
            self.zones_found.insert(z.clone());
        }
        if self.zone.is_some_and(|want| want != z) {
            return Ok(());
        }
        if !inst.is_empty() && !self.instances_found.contains(&inst) {
            self.instances_found.insert(inst.clone());
        }
        if let Some(want) = self.instance
            && !inst.is_empty()
            && inst != want
        {
            return Ok(());
        }
        let price = match &f.price {
            Some(Scalar::Str(s)) => s.trim().parse::<f64>().map_err(|_| {
                json_err(path, at("SpotPrice"), format!("{s:?} is not a number; expected a price in $/h"))
            })?,
            Some(Scalar::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
            None => return Err(json_err(path, at("SpotPrice"), "missing")),
            Some(other) => {
                let message = format!("found {}; expected a price string", other.describe());
                return Err(json_err(path, at("SpotPrice"), message));
            }
        };
        let price =
            ValueKind::Price.check(price).map_err(|why| json_err(path, at("SpotPrice"), format!("{price} {why}")))?;

        let product = product.map(|p| match self.products.iter().position(|q| *q == p) {
            Some(k) => k as u32,
            None => {
                self.products.push(p);
                (self.products.len() - 1) as u32
            }
        });
        let acc = self.kept.entry(z.clone()).or_default();
        if self.instance.is_none() && !inst.is_empty() {
            match &acc.instance {
                None => acc.instance = Some((inst, i)),
                Some((prev, prev_i)) if *prev != inst => {
                    return Err(json_err(
                        path,
                        at("InstanceType"),
                        format!(
                            "zone {z:?} has entries for instance types {prev:?} ({list_at}[{prev_i}]) and {inst:?}; \
                             pass an instance type to choose one"
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        acc.entries.push(Entry { ts, price, index: u32::try_from(i).unwrap_or(u32::MAX), product });
        Ok(())
    }

    /// The series of the kept zones.
    fn finish(self, list_at: &str, start: Option<Timestamp>) -> Result<BTreeMap<String, StepSeries>, SpotTraceError> {
        let path = self.path;
        if self.n_entries == 0 {
            return Err(SpotTraceError::Empty { path: path.to_path_buf(), detail: "no spot price entries".into() });
        }
        if self.kept.is_empty() {
            if let Some(want) = self.zone
                && !self.zones_found.contains(want)
            {
                return Err(SpotTraceError::ZoneNotFound {
                    path: path.to_path_buf(),
                    zone: want.into(),
                    found: list(&self.zones_found),
                });
            }
            return Err(SpotTraceError::InstanceNotFound {
                path: path.to_path_buf(),
                instance: self.instance.unwrap_or_default().into(),
                in_zone: self.zone.map(|z| format!(" in zone {z:?}")).unwrap_or_default(),
                found: list(&self.instances_found),
            });
        }
        let origin = start.map_or(self.earliest.unwrap_or(0), |s| s.as_nanosecond());
        let linux = self.products.iter().position(|p| p == "Linux/UNIX").map(|k| k as u32);
        let mut out = BTreeMap::new();
        for (z, Zone { entries: mut list, .. }) in self.kept {
            // Several product descriptions (Linux/UNIX, Windows, ...) are different prices: keep Linux/UNIX.
            let products: BTreeSet<&str> =
                list.iter().filter_map(|e| e.product.map(|k| self.products[k as usize].as_str())).collect();
            if products.len() > 1 {
                if !products.contains("Linux/UNIX") {
                    let names: Vec<String> = products.iter().map(|p| format!("{p:?}")).collect();
                    return Err(json_err(
                        path,
                        list_at,
                        format!(
                            "zone {z:?} has prices for several product descriptions ({}) and none is \"Linux/UNIX\"; \
                             expected one product description (filter with --product-descriptions)",
                            names.join(", ")
                        ),
                    ));
                }
                list.retain(|e| e.product.is_none() || e.product == linux);
            }
            // Stable: entries at equal times keep file order, and the later one in the file wins.
            list.sort_by_key(|e| e.ts);
            let mut b = StepBuilder::new();
            for e in &list {
                let rel = u64::try_from((e.ts - origin).max(0)).map_err(|_| {
                    json_err(
                        path,
                        format!("{list_at}[{}].Timestamp", e.index),
                        "is centuries after the start; expected a time within the simulation",
                    )
                })?;
                b.push(SimTime(rel), e.price);
            }
            out.insert(z, b.finish());
        }
        Ok(out)
    }
}

/// The document: `{"SpotPriceHistory": [...]}` (other keys skipped) or a bare list of entries.
/// Out: where the list is, for messages.
struct Root<'a, 'p> {
    acc: &'a mut Acc<'p>,
    failure: &'a Failure,
}

impl Expect for Root<'_, '_> {
    type Out = &'static str;

    fn seq<'de, A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Out, A::Error> {
        read_entries(seq, self.acc, self.failure, "")?;
        Ok("")
    }

    fn map<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        const KEY: &str = "SpotPriceHistory";
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key != KEY {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if seen {
                return Err(self.failure.fail(json_err(self.acc.path, KEY, "appears twice; expected one list")));
            }
            seen = true;
            map.next_value_seed(Visit(List { acc: &mut *self.acc, failure: self.failure }))?;
        }
        if !seen {
            let e =
                json_err(self.acc.path, KEY, "missing; expected the output of `aws ec2 describe-spot-price-history`");
            return Err(self.failure.fail(e));
        }
        Ok(KEY)
    }

    fn other<E: de::Error>(self, found: Scalar) -> Result<Self::Out, E> {
        let e = json_err(
            self.acc.path,
            "$",
            format!("found {}; expected an object {{\"SpotPriceHistory\": [...]}}", found.describe()),
        );
        Err(self.failure.fail(e))
    }
}

/// The value of `SpotPriceHistory`: a list of entries.
struct List<'a, 'p> {
    acc: &'a mut Acc<'p>,
    failure: &'a Failure,
}

impl Expect for List<'_, '_> {
    type Out = ();

    fn seq<'de, A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        read_entries(seq, self.acc, self.failure, "SpotPriceHistory")
    }

    fn other<E: de::Error>(self, found: Scalar) -> Result<(), E> {
        let e = json_err(
            self.acc.path,
            "SpotPriceHistory",
            format!("found {}; expected an array of spot price entries", found.describe()),
        );
        Err(self.failure.fail(e))
    }
}

fn read_entries<'de, A: SeqAccess<'de>>(
    mut seq: A,
    acc: &mut Acc,
    failure: &Failure,
    list_at: &str,
) -> Result<(), A::Error> {
    let mut i = 0u64;
    while let Some(entry) = seq.next_element_seed(Visit(EntryFields))? {
        acc.add(list_at, i, entry).map_err(|e| failure.fail(e))?;
        i += 1;
    }
    Ok(())
}

/// One entry's fields (the values of the keys fleetsim reads).
struct EntryFields;

impl Expect for EntryFields {
    type Out = Found;

    fn map<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let mut f = Fields::default();
        while let Some(key) = map.next_key::<String>()? {
            let slot = match key.as_str() {
                "AvailabilityZone" => &mut f.zone,
                "Timestamp" => &mut f.timestamp,
                "InstanceType" => &mut f.instance,
                "ProductDescription" => &mut f.product,
                "SpotPrice" => &mut f.price,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value::<Scalar>()?);
        }
        Ok(Found::Object(f))
    }

    fn other<E: de::Error>(self, found: Scalar) -> Result<Found, E> {
        Ok(Found::Other(found))
    }
}
