//! The deterministic discrete-event core: simulated time, the event queue and random streams.
//!
//! Nothing here does I/O; a simulation is a pure function of its scenario, traces and seed.

pub mod queue;
pub mod rng;
pub mod time;

pub use queue::EventQueue;
pub use time::{Duration, SimTime};
