//! Training and batch jobs on spot and on-demand capacity: a gang that computes, checkpoints,
//! gets interrupted, loses unsaved work, restarts where its policy says, and meets its deadline
//! or not.
//!
//! Semantics (SPEC.md): every launch spends `restart_overhead` (billed, no progress), then —
//! every launch after the first — restores for `restore`, then computes `interval`, then writes for
//! `write`; progress is safe only once a write completes, and the job ends with a final write.
//! Interruptions strike during any phase; a notice lets the gang write an emergency checkpoint
//! when it fits (`on_notice: emergency`). `continuous` never loses progress and never writes;
//! `none` never writes. With exponential interruptions, no notice and no overhead the expected
//! wall time is Daly's T = M·e^{R/M}·(e^{(τ+δ)/M} − 1)·W/τ.

pub mod interval;
pub mod policy;
mod world;

pub use world::simulate;
