//! The one run loop every workload uses.
//!
//! A workload is a [`Model`]: it starts (schedules its first events), handles one event at a time
//! and says when it is finished. [`Simulation`] owns the queue, the clock, the horizon rule, the
//! limits (`limits.max_events`, `limits.max_instances_launched`) and progress reporting, so that no
//! workload re-implements them. A model schedules and cancels through the [`Sim`] it is handed.

use super::queue::{ActionKey, EventQueue};
use super::{Duration, SimTime};

/// Events between two calls of the progress callback (and two checks of the launch limit).
pub const PROGRESS_EVERY: u64 = 1 << 20;

/// What happens to events due after the horizon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterHorizon {
    /// They are handled: the model drains (a serving fleet finishes the requests it holds) and
    /// stops scheduling what it no longer needs.
    Drain,
    /// The run ends at the first event past the horizon (a job cut off by the horizon).
    Stop,
}

/// A limit a run reached, with the simulated time it was reached at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LimitReached {
    /// `limits.max_events` events were handled.
    Events {
        /// The limit.
        limit: u64,
        /// When it was reached.
        at: SimTime,
        /// The run's horizon.
        horizon: SimTime,
    },
    /// More than `limits.max_instances_launched` instances were launched.
    Launches {
        /// The limit.
        limit: u64,
        /// When the first launch past it happened.
        at: SimTime,
    },
}

/// A workload on the common run loop. The model keeps its [`Sim`] (its handlers schedule on it);
/// the loop pops from it.
pub trait Model {
    /// The workload's events, named as facts.
    type Event: Clone;
    /// Why a run of it stops early.
    type Error;
    /// Whether events after the horizon are handled or end the run.
    const AFTER_HORIZON: AfterHorizon;

    /// The model's queue and clock.
    fn sim(&mut self) -> &mut Sim<Self::Event>;

    /// Schedules the first events.
    fn start(&mut self) -> Result<(), Self::Error>;

    /// Handles `event`, due at `now`.
    fn handle(&mut self, now: SimTime, event: Self::Event) -> Result<(), Self::Error>;

    /// Whether the run is over before its events are (a batch queue emptied, a job done).
    fn finished(&self) -> bool {
        false
    }

    /// The error for a limit the run reached, in the workload's words.
    fn limit_error(&self, reached: LimitReached) -> Self::Error;
}

/// The queue and clock a model schedules on, with the run's horizon and launch count.
pub struct Sim<E> {
    queue: EventQueue<E>,
    horizon: SimTime,
    max_launches: u64,
    launched: u64,
    /// When the launches first passed `max_launches`.
    launches_over_at: Option<SimTime>,
}

impl<E: Clone> Sim<E> {
    /// An empty queue at time zero for a run to `horizon` that may launch `max_launches`
    /// instances (`limits.max_instances_launched`).
    pub fn new(horizon: SimTime, max_launches: u64) -> Sim<E> {
        Sim { queue: EventQueue::new(), horizon, max_launches, launched: 0, launches_over_at: None }
    }

    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// The end of the run's arrivals (serving) or of its time (jobs).
    #[inline]
    pub fn horizon(&self) -> SimTime {
        self.horizon
    }

    /// Schedules `event` at `time` (not in the past).
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        self.queue.schedule(time, event);
    }

    /// Schedules `event` at `time`; the key cancels it.
    #[inline]
    pub fn schedule_keyed(&mut self, time: SimTime, event: E) -> ActionKey {
        self.queue.schedule_keyed(time, event)
    }

    /// Schedules `event` at `first` and every `period` after until its key is cancelled.
    pub fn schedule_periodic(&mut self, first: SimTime, period: Duration, event: E) -> ActionKey {
        self.queue.schedule_periodic(first, period, event)
    }

    /// Cancels a keyed or periodic event (a key already popped is ignored).
    #[inline]
    pub fn cancel(&mut self, key: ActionKey) {
        self.queue.cancel(key);
    }

    /// Whether no event is pending.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// Events handled so far.
    pub fn n_events(&self) -> u64 {
        self.queue.n_events()
    }

    /// Counts `n` instances launched now, for `limits.max_instances_launched`.
    #[inline]
    pub fn note_launches(&mut self, n: u64) {
        self.launched += n;
        if self.launched > self.max_launches && self.launches_over_at.is_none() {
            self.launches_over_at = Some(self.now());
        }
    }

    /// Instances launched so far.
    pub fn launched(&self) -> u64 {
        self.launched
    }

    fn launches_over(&self) -> Option<LimitReached> {
        self.launches_over_at.map(|at| LimitReached::Launches { limit: self.max_launches, at })
    }
}

/// The loop's settings for one run.
pub struct Simulation<'p> {
    /// `limits.max_events`.
    pub max_events: u64,
    /// Called with the simulated time every [`PROGRESS_EVERY`] events; it does not change the run.
    pub progress: &'p mut dyn FnMut(SimTime),
}

impl Simulation<'_> {
    /// Runs `model` until its events are over, it is finished, the horizon stops it
    /// ([`AfterHorizon::Stop`]) or a limit is reached. Returns the events handled.
    ///
    /// The launch limit is checked every [`PROGRESS_EVERY`] events and at the end, off the
    /// per-event path: launches past it add at most that many events' worth of records.
    pub fn run<M: Model>(self, model: &mut M) -> Result<u64, M::Error> {
        model.start()?;
        loop {
            let sim = model.sim();
            let Some((now, event)) = sim.queue.pop() else { break };
            if M::AFTER_HORIZON == AfterHorizon::Stop && now > sim.horizon {
                break;
            }
            model.handle(now, event)?;
            let sim = model.sim();
            sim.queue.rearm();
            let n = sim.queue.n_events();
            if n.is_multiple_of(PROGRESS_EVERY) {
                (self.progress)(now);
                if let Some(limit) = sim.launches_over() {
                    return Err(model.limit_error(limit));
                }
            }
            if model.finished() {
                break;
            }
            if n >= self.max_events {
                let horizon = model.sim().horizon;
                return Err(model.limit_error(LimitReached::Events { limit: self.max_events, at: now, horizon }));
            }
        }
        let sim = model.sim();
        let n = sim.queue.n_events();
        match sim.launches_over() {
            Some(limit) => Err(model.limit_error(limit)),
            None => Ok(n),
        }
    }
}

/// How a workload names itself in a limit's message.
pub struct LimitWords {
    /// Who handled the events: "the run", "the job run".
    pub events: &'static str,
    /// Who launched: "the run", "the job".
    pub launcher: &'static str,
    /// What it launched: "instances", "gangs".
    pub unit: &'static str,
    /// What to check when they are replaced too often.
    pub why: &'static str,
}

impl LimitReached {
    /// The message for this limit, in a workload's words.
    pub fn describe(&self, w: &LimitWords) -> String {
        let LimitWords { events, launcher, unit, why } = w;
        match *self {
            LimitReached::Events { limit, at, horizon } => format!(
                "{events} reached the limit of {limit} events at simulated time {at} (of {}); \
                 shorten the horizon or raise limits.max_events",
                horizon.since(SimTime::ZERO)
            ),
            LimitReached::Launches { limit, at } => format!(
                "{launcher} launched more than {limit} {unit} by simulated time {at} (each is kept for its bill); \
                 check {why} or raise limits.max_instances_launched"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts to `n` by ticks one second apart, launching an instance at each.
    struct Counter {
        sim: Sim<u32>,
        n: u32,
        handled: Vec<u32>,
        stop_at: Option<u32>,
    }

    impl Model for Counter {
        type Event = u32;
        type Error = String;
        const AFTER_HORIZON: AfterHorizon = AfterHorizon::Stop;

        fn sim(&mut self) -> &mut Sim<u32> {
            &mut self.sim
        }

        fn start(&mut self) -> Result<(), String> {
            self.sim.schedule(SimTime::ZERO, 0);
            Ok(())
        }

        fn handle(&mut self, now: SimTime, i: u32) -> Result<(), String> {
            assert_eq!(now, SimTime::ZERO.after(Duration::from_secs(u64::from(i))));
            self.handled.push(i);
            self.sim.note_launches(1);
            if i + 1 < self.n {
                self.sim.schedule(now.after(Duration::from_secs(1)), i + 1);
            }
            Ok(())
        }

        fn finished(&self) -> bool {
            self.stop_at.is_some_and(|s| self.handled.last() == Some(&s))
        }

        fn limit_error(&self, reached: LimitReached) -> String {
            let words = LimitWords { events: "the run", launcher: "the run", unit: "instances", why: "it" };
            reached.describe(&words)
        }
    }

    fn counter(n: u32, horizon_s: u64, max_launches: u64) -> Counter {
        let sim = Sim::new(SimTime::ZERO.after(Duration::from_secs(horizon_s)), max_launches);
        Counter { sim, n, handled: Vec::new(), stop_at: None }
    }

    fn run(c: &mut Counter, max_events: u64) -> Result<u64, String> {
        Simulation { max_events, progress: &mut |_| {} }.run(c)
    }

    #[test]
    fn runs_until_the_events_are_over_or_the_horizon_stops_it() {
        let mut c = counter(5, 100, 100);
        assert_eq!(run(&mut c, 100), Ok(5));
        assert_eq!(c.handled, [0, 1, 2, 3, 4]);
        // Stop: the event at 3 s is past a 2 s horizon and ends the run unhandled.
        let mut c = counter(5, 2, 100);
        assert_eq!(run(&mut c, 100), Ok(4));
        assert_eq!(c.handled, [0, 1, 2]);
    }

    #[test]
    fn a_finished_model_ends_the_run() {
        let mut c = counter(5, 100, 100);
        c.stop_at = Some(1);
        assert_eq!(run(&mut c, 100), Ok(2));
    }

    #[test]
    fn limits_end_the_run_with_the_time_they_were_reached() {
        let mut c = counter(50, 100, 100);
        let err = run(&mut c, 10).unwrap_err();
        assert_eq!(
            err,
            "the run reached the limit of 10 events at simulated time 9.000000s (of 100s); shorten the horizon or raise limits.max_events"
        );
        // The third launch passes a limit of 2: reported at its time (checked at the end here).
        let mut c = counter(5, 100, 2);
        let err = run(&mut c, 100).unwrap_err();
        assert!(err.starts_with("the run launched more than 2 instances by simulated time 2.000000s"), "{err}");
    }
}
