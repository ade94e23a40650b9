//! A serving scenario's own sections: `workload` (arrivals, SLA, cache and, in [`tokens`], the
//! prompt and output lengths), `service` (and each pool's own `service:`), `batcher` and
//! `router`, one file each, and the agreement between token terms and the lengths that feed them.

pub mod batcher;
pub mod disaggregated;
pub mod llm;
pub mod router;
pub mod service;
pub mod tokens;
pub mod workload;

use std::path::Path;

use super::PoolSpec;
use super::error::{Invalid, invalid};
use super::root::RawScenario;
use super::units::DurationValue;
use crate::engine::Duration;
use crate::llm::config::Role;
use batcher::Batcher;
use router::Router;
use service::{RawBatchTime, Service};
use tokens::TokensSpec;
use workload::{Arrivals, Cache, Sla};

type Result<T> = std::result::Result<T, Invalid>;

/// Requests through a batcher onto a fleet.
#[derive(Clone, Debug)]
pub struct Serving {
    /// Arrival process.
    pub arrivals: Arrivals,
    /// End-to-end latency objective, if any.
    pub sla: Option<Sla>,
    /// LLM scenarios: the TTFT and TPOT objectives.
    pub token_slos: workload::TokenSlos,
    /// Response cache in front of the fleet, if any.
    pub cache: Option<Cache>,
    /// What each replica runs: the dynamic batcher, or an LLM engine.
    pub engine: Engine,
    /// How requests reach replicas.
    pub router: Router,
    /// Prompt and output lengths for arrivals that carry none (`workload.tokens`).
    pub tokens: TokensSpec,
}

/// What a serving scenario's replicas run.
#[derive(Clone, Debug)]
pub enum Engine {
    /// `service:` and `batcher:` — batches of requests (each pool's own `service:` is on its
    /// `PoolSpec`).
    Batcher {
        /// Batch service times.
        service: Service,
        /// Batch formation.
        batcher: Batcher,
    },
    /// `llm:` — an iteration-level LLM engine per replica.
    Llm(Box<llm::LlmSpec>),
}

impl Serving {
    /// The batcher's service and batch formation (`None` for an LLM scenario).
    pub fn batcher(&self) -> Option<(&Service, &Batcher)> {
        match &self.engine {
            Engine::Batcher { service, batcher } => Some((service, batcher)),
            Engine::Llm(_) => None,
        }
    }

    /// The LLM engine of each pool (`None` for a batcher scenario).
    pub fn llm(&self) -> Option<&llm::LlmSpec> {
        match &self.engine {
            Engine::Llm(spec) => Some(spec),
            Engine::Batcher { .. } => None,
        }
    }

    /// `batcher.max_queue` and `batcher.max_queue_wait` (none for an LLM scenario).
    pub fn queue_bounds(&self) -> (Option<usize>, Option<Duration>) {
        self.batcher().map_or((None, None), |(_, b)| (b.max_queue, b.max_queue_wait))
    }
}

/// The serving sections of `raw`: workload, service (with each pool's own), batcher, router.
pub(super) fn serving(raw: &RawScenario, base_dir: &Path, pools: &mut [PoolSpec]) -> Result<Serving> {
    let Some(workload) = &raw.workload else {
        return invalid("workload", "missing: a serving scenario needs `workload`, `service` and `fleet`");
    };
    if let Some(raw_llm) = &raw.llm {
        return llm_serving(raw, raw_llm, workload, base_dir, pools);
    }
    if raw.models.is_some() {
        return invalid(
            "models",
            "only an LLM scenario uses models (for llm.model): leave models out or add an llm: section",
        );
    }
    let Some(service) = &raw.service else {
        return invalid("service", "missing: a serving scenario needs `service.batch_time` (or an `llm:` engine)");
    };
    let batcher = batcher::batcher(raw.batcher.as_ref())?;
    if matches!(workload.arrivals, workload::RawArrivals::Items(_)) && batcher.max_queue.is_some() {
        return invalid("batcher.max_queue", "a batch-inference queue (items) keeps every item: leave max_queue out");
    }
    let service = Service {
        batch_time: service::batch_time("service.batch_time", &service.batch_time, batcher.max_batch_size)?,
        distribution: service::distribution("service.distribution", service.distribution.as_ref())?,
    };
    service::pool_services(raw.fleet.as_ref(), &service, batcher.max_batch_size, pools)?;
    let arrivals = workload::arrivals(&workload.arrivals, base_dir)?;
    let tokens = tokens::tokens(workload.tokens.as_ref(), base_dir)?;
    token_terms(raw, &arrivals, &tokens)?;
    let (sla, token_slos) = workload::sla(workload.sla.as_ref(), false)?;
    Ok(Serving {
        arrivals,
        sla,
        token_slos,
        cache: workload::cache(workload)?,
        engine: Engine::Batcher { service, batcher },
        router: router::router(raw.router, false)?,
        tokens,
    })
}

/// A serving scenario whose replicas run an LLM engine: `llm:` replaces `service:` and `batcher:`,
/// and every request needs its prompt and output lengths.
fn llm_serving(
    raw: &RawScenario,
    raw_llm: &llm::RawLlm,
    workload: &workload::RawWorkload,
    base_dir: &Path,
    pools: &[PoolSpec],
) -> Result<Serving> {
    for (key, present) in [("service", raw.service.is_some()), ("batcher", raw.batcher.is_some())] {
        if present {
            return invalid(key, "an LLM scenario runs `llm:` on its replicas: leave service and batcher out");
        }
    }
    let raw_pools = raw.fleet.as_ref().map(|f| f.pools.as_slice()).unwrap_or_default();
    for (i, p) in raw_pools.iter().enumerate() {
        if p.service.is_some() {
            return invalid(format!("fleet.pools[{i}].service"), "an LLM scenario's pools take `llm:`, not `service:`");
        }
    }
    let pool_llm: Vec<Option<&llm::RawLlm>> = raw_pools.iter().map(|p| p.llm.as_ref()).collect();
    if let Some(i) = pool_llm.iter().position(|l| l.is_some_and(|l| l.disaggregated.is_some())) {
        return invalid(
            format!("fleet.pools[{i}].llm.disaggregated"),
            "disaggregation is the fleet's: set it in the scenario's `llm:`, naming the pools",
        );
    }
    let models = llm::models::models_of(raw.models.as_deref().unwrap_or_default())?;
    let mut spec = llm::llm(raw_llm, &pool_llm, &llm::LlmContext { pools, models: &models, base_dir })?;
    if raw.autoscaler.is_some()
        && let Some((i, p)) =
            spec.pools.iter().enumerate().find(|(_, p)| p.replicas_per_instance != spec.pools[0].replicas_per_instance)
    {
        return invalid(
            format!("fleet.pools[{i}].llm.tensor_parallel"),
            format!(
                "an autoscaler counts instances that host the same number of replicas: pool {} hosts {} per instance, \
                 pool {} hosts {}; use one GPU count / tensor_parallel across the pools",
                pools[i].name, p.replicas_per_instance, pools[0].name, spec.pools[0].replicas_per_instance
            ),
        );
    }
    if let Some(raw_d) = &raw_llm.disaggregated {
        let names: Vec<&str> = raw_pools.iter().map(|p| p.name.as_str()).collect();
        let d = disaggregated::disaggregation(raw_d, &names)?;
        for (key, decode) in [("prefill_pool", false), ("decode_pool", true)] {
            let side = pools.iter().zip(&d.decode).filter(|(_, dec)| **dec == decode);
            if side.clone().all(|(p, _)| p.count == 0 && p.scaling.is_none()) {
                return invalid(
                    format!("llm.disaggregated.{key}"),
                    "these pools have no instances: give one a `count` of 1 or more, or min/max and an autoscaler",
                );
            }
        }
        for (pool, &decode) in spec.pools.iter_mut().zip(&d.decode) {
            pool.config.role = if decode { Role::DecodeOnly } else { Role::PrefillOnly };
        }
        spec.disaggregated = Some(d);
    }
    let arrivals = workload::arrivals(&workload.arrivals, base_dir)?;
    let tokens = tokens::tokens(workload.tokens.as_ref(), base_dir)?;
    llm_lengths(&arrivals, &tokens)?;
    let (sla, token_slos) = workload::sla(workload.sla.as_ref(), true)?;
    Ok(Serving {
        arrivals,
        sla,
        token_slos,
        cache: workload::cache(workload)?,
        engine: Engine::Llm(Box::new(spec)),
        router: router::router(raw.router, true)?,
        tokens,
    })
}

/// Every LLM request needs a prompt and an output length: carried by a trace (its columns are
/// checked when it is opened) or drawn from `workload.tokens`.
fn llm_lengths(arrivals: &Arrivals, tokens: &TokensSpec) -> Result<()> {
    let (kind, prompt_carried) = match arrivals {
        Arrivals::Trace { .. } => return Ok(()),
        Arrivals::Poisson { .. } => ("poisson", false),
        Arrivals::Constant { .. } => ("constant", false),
        Arrivals::Diurnal { .. } => ("diurnal", false),
        Arrivals::Items { size, .. } => ("items", *size > 0),
    };
    if prompt_carried && tokens.prompt.is_some() {
        return invalid(
            "workload.tokens.prompt",
            "the items carry their prompt length (workload.arrivals.items.size): give one or the other",
        );
    }
    for (side, given) in [("prompt", prompt_carried || tokens.prompt.is_some()), ("output", tokens.output.is_some())] {
        if !given {
            return invalid(
                format!("workload.tokens.{side}"),
                format!(
                    "missing: {kind} arrivals carry no {side} lengths and an LLM replica needs each request's, e.g. {side}: {{ fixed: 512 }}"
                ),
            );
        }
    }
    Ok(())
}

/// Token terms and lengths agree: a non-zero `per_input_token` / `per_output_token` (in
/// `service` or a pool's own) has lengths to multiply — carried by the arrivals or drawn from
/// `workload.tokens` — and each side of `workload.tokens` has a term that uses it. A trace's
/// columns are checked when it is opened.
fn token_terms(raw: &RawScenario, arrivals: &Arrivals, tokens: &TokensSpec) -> Result<()> {
    use tokens::{Carried, check_term};
    let (prompt, output, kind) = match arrivals {
        Arrivals::Poisson { .. } => (Carried::No, Carried::No, "poisson"),
        Arrivals::Constant { .. } => (Carried::No, Carried::No, "constant"),
        Arrivals::Diurnal { .. } => (Carried::No, Carried::No, "diurnal"),
        Arrivals::Items { size, .. } => (if *size > 0 { Carried::Yes } else { Carried::No }, Carried::No, "items"),
        Arrivals::Trace { .. } => (Carried::IfTraceColumn, Carried::IfTraceColumn, "trace"),
    };
    if prompt == Carried::Yes && tokens.prompt.is_some() {
        return invalid(
            "workload.tokens.prompt",
            "the items carry their prompt length (workload.arrivals.items.size): give one or the other",
        );
    }
    let mut terms: Vec<(String, &RawBatchTime)> = Vec::new();
    if let Some(service) = &raw.service {
        terms.push(("service.batch_time".into(), &service.batch_time));
    }
    for (i, p) in raw.fleet.iter().flat_map(|f| f.pools.iter()).enumerate() {
        if let Some(bt) = p.service.as_ref().and_then(|sv| sv.batch_time.as_ref()) {
            terms.push((format!("fleet.pools[{i}].service.batch_time"), bt));
        }
    }
    let needs = |d: Option<DurationValue>| d.is_some_and(|d| d.0 > Duration::ZERO);
    for (key, bt) in &terms {
        check_term(
            &format!("{key}.per_input_token"),
            "prompt",
            needs(bt.per_input_token),
            prompt,
            tokens.prompt.is_some(),
            kind,
        )?;
        check_term(
            &format!("{key}.per_output_token"),
            "output",
            needs(bt.per_output_token),
            output,
            tokens.output.is_some(),
            kind,
        )?;
    }
    for (side, given, term) in [
        ("prompt", tokens.prompt.is_some(), "per_input_token"),
        ("output", tokens.output.is_some(), "per_output_token"),
    ] {
        let used = terms
            .iter()
            .any(|(_, bt)| if side == "prompt" { bt.per_input_token.is_some() } else { bt.per_output_token.is_some() });
        if given && !used {
            return invalid(
                format!("workload.tokens.{side}"),
                format!(
                    "no batch time has a {term} term, so these lengths would not be used: add the term to service.batch_time or leave workload.tokens.{side} out"
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::scenario::from_yaml;
    use crate::scenario::{BatchTime, ServiceDistribution};

    const BASE: &str = "name: x\nhorizon: 1m\nworkload:\n  arrivals:\n    poisson: { rate: 5/s }\n\
        service:\n  batch_time: { base: 8ms }\n  distribution: exponential\nbatcher: { max_batch_size: 4 }\n\
        fleet:\n  pools:\n    - { name: a, instance: g5.xlarge, count: 1 }\n";

    fn with_pool_service(service: &str) -> String {
        BASE.replace("count: 1 }", &format!("count: 1, service: {service} }}"))
    }

    #[test]
    fn a_pool_service_overrides_key_by_key() {
        let s = from_yaml(&with_pool_service("{ distribution: deterministic }")).unwrap();
        let own = s.fleet.pools[0].service.as_ref().expect("the pool's own service");
        assert_eq!(own.distribution, ServiceDistribution::Deterministic);
        assert_eq!(own.batch_time, s.serving().unwrap().batcher().unwrap().0.batch_time, "batch_time inherited");
        let s = from_yaml(&with_pool_service("{ batch_time: { table: { 1: 2ms, 4: 5ms } } }")).unwrap();
        let own = s.fleet.pools[0].service.as_ref().unwrap();
        assert_eq!(own.batch_time, BatchTime::Table(vec![(1, 2e6), (4, 5e6)]));
        assert_eq!(own.distribution, ServiceDistribution::Exponential, "distribution inherited");
        assert!(from_yaml(BASE).unwrap().fleet.pools[0].service.is_none());
    }

    #[test]
    fn a_pool_service_is_checked_under_its_own_key() {
        for (service, fragment) in [
            ("{}", "fleet.pools[0].service: give batch_time, distribution or both"),
            ("{ batch_time: { table: { 2: 3ms } } }", "fleet.pools[0].service.batch_time.table: has one entry"),
            ("{ distribution: { lognormal: { cv: 0 } } }", "fleet.pools[0].service.distribution.lognormal.cv"),
        ] {
            let e = from_yaml(&with_pool_service(service)).expect_err(service).to_string();
            assert!(e.contains(fragment), "{service}: {e}");
        }
    }
}
