//! Trace readers: request traces (CSV, Azure LLM) read as streams.

pub mod requests;
