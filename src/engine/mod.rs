//! The deterministic discrete-event core: simulated time, the event queue (with cancellable and
//! periodic timers), the one run loop every workload uses ([`sim`]) and random streams.
//!
//! Nothing here does I/O; a simulation is a pure function of its scenario, traces and seed.

pub mod queue;
pub mod rng;
pub mod sim;
pub mod time;

pub use queue::{ActionKey, EventQueue};
pub use sim::{AfterHorizon, LimitReached, Model, Sim, Simulation};
pub use time::{Duration, SimTime};
