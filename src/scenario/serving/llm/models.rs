//! `models:` — LLMs a scenario adds to the built-in catalog (`fleetsim catalog --models`), or
//! overrides by name (SPEC "Models, GPUs and step times without a profile").
//!
//! An entry gives the shape a roofline and the memory sizing need: `name`, `params`, `layers`,
//! `hidden`, `heads`, `kv_heads`, `head_dim`, `vocab`; optionally `active_params` (mixture of
//! experts: the parameters one token passes through, default `params`), `intermediate` (MLP
//! width, default Llama's 8/3 × hidden rounded up to 256; only the activation reserve uses it) and
//! `max_context` (the longest context, which `llm.max_model_len` then defaults to).

use serde::{Deserialize, Serialize};

use crate::llm::catalog::{ModelSpec, find_model, models};
use crate::scenario::error::{Invalid, invalid};

type Result<T> = std::result::Result<T, Invalid>;

/// One `models:` entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    /// The name `llm.model` refers to.
    pub name: String,
    /// All parameters (e.g. `6.7e9`).
    pub params: f64,
    /// Parameters one token passes through (mixture of experts); default `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_params: Option<f64>,
    /// Transformer layers.
    pub layers: u32,
    /// Hidden size.
    pub hidden: u32,
    /// Attention (query) heads.
    pub heads: u32,
    /// Key/value heads (= heads without grouped-query attention).
    pub kv_heads: u32,
    /// Size of one head.
    pub head_dim: u32,
    /// Vocabulary.
    pub vocab: u32,
    /// MLP width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intermediate: Option<u32>,
    /// Experts per MoE layer (with `active_params` below `params`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experts: Option<u32>,
    /// Experts each token is routed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experts_per_token: Option<u32>,
    /// Longest context the model supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_context: Option<u32>,
}

/// The scenario's models, checked; an error names the entry's key.
pub(in crate::scenario) fn models_of(raw: &[RawModel]) -> Result<Vec<ModelSpec>> {
    let mut out: Vec<ModelSpec> = Vec::with_capacity(raw.len());
    for (i, m) in raw.iter().enumerate() {
        let key = |k: &str| format!("models[{i}].{k}");
        if m.name.trim().is_empty() {
            return invalid(key("name"), "must not be empty");
        }
        if out.iter().any(|o| o.name == m.name) {
            return invalid(key("name"), format!("{:?} is given twice", m.name));
        }
        let count = |k: &str, v: f64| -> Result<u64> {
            if (1.0..1e15).contains(&v) {
                Ok(v.round() as u64)
            } else {
                invalid(key(k), format!("must be a count of parameters between 1 and 1e15, found {v}"))
            }
        };
        let params = count("params", m.params)?;
        let active = m.active_params.map(|a| count("active_params", a)).transpose()?.unwrap_or(params);
        if active > params {
            return invalid(key("active_params"), format!("{active} exceeds params ({params})"));
        }
        for (k, v) in [
            ("layers", m.layers),
            ("hidden", m.hidden),
            ("heads", m.heads),
            ("kv_heads", m.kv_heads),
            ("head_dim", m.head_dim),
            ("vocab", m.vocab),
        ] {
            if v == 0 {
                return invalid(key(k), "must be at least 1");
            }
        }
        if !m.heads.is_multiple_of(m.kv_heads) {
            return invalid(
                key("kv_heads"),
                format!(
                    "{} does not divide heads ({}): each KV head serves a whole group of heads",
                    m.kv_heads, m.heads
                ),
            );
        }
        if m.max_context == Some(0) {
            return invalid(key("max_context"), "must be at least 1");
        }
        let mut spec = ModelSpec::custom(&m.name, params, m.layers, m.hidden, m.heads, m.kv_heads, m.head_dim, m.vocab);
        spec.active_params = active;
        if active < params {
            let (experts, per_token) = experts(m, params, active, &key)?;
            spec.experts = experts;
            spec.experts_per_token = per_token;
        }
        if let Some(w) = m.intermediate {
            spec.intermediate = w;
        }
        if let Some(c) = m.max_context {
            spec.max_context = c;
        }
        out.push(spec);
    }
    Ok(out)
}

/// A mixture of experts' `experts` and `experts_per_token`: params = shared + experts × e and
/// active = shared + per_token × e with a shared part ≥ 0.
fn experts(m: &RawModel, params: u64, active: u64, key: &dyn Fn(&str) -> String) -> Result<(u32, u32)> {
    let (Some(experts), Some(per_token)) = (m.experts, m.experts_per_token) else {
        return invalid(
            key("experts"),
            "missing: active_params below params is a mixture of experts; give experts and experts_per_token (Mixtral: 8 and 2)",
        );
    };
    if per_token == 0 || per_token >= experts {
        return invalid(
            key("experts_per_token"),
            format!("must be between 1 and experts − 1 ({}), found {per_token}", experts.saturating_sub(1)),
        );
    }
    let expert = (params - active) as f64 / f64::from(experts - per_token);
    if f64::from(experts) * expert > params as f64 {
        return invalid(
            key("active_params"),
            format!(
                "{active} leaves no shared parameters with {experts} experts of which {per_token} per token: raise it"
            ),
        );
    }
    Ok((experts, per_token))
}

/// The model named `name`: the scenario's own first, then the catalog's.
pub(super) fn find<'a>(name: &str, own: &'a [ModelSpec]) -> Option<&'a ModelSpec> {
    own.iter().find(|m| m.name == name).or_else(|| find_model(name))
}

/// The names `llm.model` may take, for an error.
pub(super) fn names(own: &[ModelSpec]) -> String {
    let mut names: Vec<&str> = own.iter().map(|m| m.name.as_str()).collect();
    names.extend(models().iter().map(|m| m.name.as_str()).filter(|n| !own.iter().any(|m| m.name == *n)));
    names.join(", ")
}
