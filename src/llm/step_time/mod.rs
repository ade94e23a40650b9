//! Step-time models: implementations of [`crate::llm::StepTime`], one file per model.

pub mod fitted;
