//! Trace readers: request traces (CSV, Azure LLM) read as streams.

pub mod lengths;
pub mod market;
pub mod requests;
pub mod spot;
