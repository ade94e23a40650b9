//! Step-time models: the roofline derived from a model and a GPU, and its calibration.

pub mod calibrate;
pub mod roofline;
