//! Reads the request traces `workload.tokens` resamples (`empirical`) into the length tables the
//! engine draws from, and checks that a replayed trace has the token columns the batch time needs.
//!
//! An empirical source is a request trace like any other (its times are read and checked, then
//! not used): every row's prompt and output lengths are kept, at most [`MAX_ROWS`] rows.

use crate::scenario::serving::tokens::{EmpiricalSource, LengthSpec};
use crate::scenario::{BatchTime, Scenario, Serving};
use crate::serving::tokens::{LengthRows, LengthTables};
use crate::trace::requests::{RequestFormat, RequestTrace, TraceError};

/// Most rows one empirical source may hold (8 bytes each in memory).
pub const MAX_ROWS: u64 = 10_000_000;

/// The rows of every trace `s` resamples; empty when it resamples none.
pub fn load(s: &Scenario) -> Result<LengthTables, TraceError> {
    let mut tables = LengthTables::default();
    let Some(sv) = s.serving() else { return Ok(tables) };
    for src in sv.tokens.empirical_sources() {
        let prompt = matches!(&sv.tokens.prompt, Some(LengthSpec::Empirical(p)) if p == src);
        let output = matches!(&sv.tokens.output, Some(LengthSpec::Empirical(o)) if o == src);
        tables.rows.push((src.clone(), read(src, prompt, output)?));
    }
    Ok(tables)
}

/// The names of the token columns in `format`, for messages.
fn column_names(format: RequestFormat) -> (&'static str, &'static str) {
    match format {
        RequestFormat::Csv => ("tokens_in", "tokens_out"),
        RequestFormat::AzureLlm => ("ContextTokens", "GeneratedTokens"),
    }
}

fn read(src: &EmpiricalSource, prompt: bool, output: bool) -> Result<LengthRows, TraceError> {
    let mut trace = RequestTrace::open(&src.path, src.format, 1.0)?;
    let (in_name, out_name) = column_names(src.format);
    for (needed, has, column, side) in
        [(prompt, trace.has_tokens_in(), in_name, "prompt"), (output, trace.has_tokens_out(), out_name, "output")]
    {
        if needed && !has {
            return Err(TraceError::Invalid {
                path: src.path.clone(),
                line: 1,
                message: format!(
                    "no {column:?} column, which workload.tokens.{side}.empirical resamples; use a trace with token counts"
                ),
            });
        }
    }
    let mut rows = Vec::new();
    while let Some(r) = trace.next_request()? {
        if rows.len() as u64 == MAX_ROWS {
            return Err(TraceError::Invalid {
                path: src.path.clone(),
                line: 1,
                message: format!("has more than {MAX_ROWS} rows to resample lengths from; use a shorter trace"),
            });
        }
        rows.push((r.tokens_in, r.tokens_out));
    }
    Ok(rows.into())
}

/// Which sides any batch time of the serving scenario `s` multiplies by a length (a non-zero
/// `per_input_token`, `per_output_token`), in `service` or a pool's own.
fn token_terms(s: &Scenario, sv: &Serving) -> (bool, bool) {
    let Some((service, _)) = sv.batcher() else { return (true, true) }; // an LLM engine uses both
    let services = std::iter::once(service).chain(s.fleet.pools.iter().filter_map(|p| p.service.as_ref()));
    services.fold((false, false), |(p, o), service| match service.batch_time {
        BatchTime::Linear { per_input_token_ns, per_output_token_ns, .. } => {
            (p || per_input_token_ns > 0.0, o || per_output_token_ns > 0.0)
        }
        BatchTime::Table(_) => (p, o),
    })
}

/// A replayed trace without a token column that a batch-time term needs, when `workload.tokens`
/// gives no lengths for that side either, is refused: the term would be ignored.
pub fn check_columns(s: &Scenario, trace: &RequestTrace) -> Result<(), TraceError> {
    let Some(sv) = s.serving() else { return Ok(()) };
    let (needs_prompt, needs_output) = token_terms(s, sv);
    let Some((_, format, _)) = s.request_trace() else { return Ok(()) };
    let (in_name, out_name) = column_names(format);
    for (needed, has, given, column, term, side) in [
        (needs_prompt, trace.has_tokens_in(), sv.tokens.prompt.is_some(), in_name, "per_input_token", "prompt"),
        (needs_output, trace.has_tokens_out(), sv.tokens.output.is_some(), out_name, "per_output_token", "output"),
    ] {
        if needed && !has && !given {
            return Err(TraceError::Invalid {
                path: trace.path().to_path_buf(),
                line: 1,
                message: format!(
                    "no {column:?} column, so service.batch_time.{term} would be ignored: add the column \
                     or give workload.tokens.{side} (lengths for requests that carry none)"
                ),
            });
        }
    }
    Ok(())
}
