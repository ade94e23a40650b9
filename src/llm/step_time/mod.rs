//! Step-time models: implementations of [`crate::llm::StepTime`], one file per model — the
//! profile-fitted form ([`fitted`]), the roofline derived from a model and a GPU ([`roofline`]),
//! and the roofline's calibration to measured iterations ([`calibrate`]).

pub mod calibrate;
pub mod fitted;
pub mod roofline;
