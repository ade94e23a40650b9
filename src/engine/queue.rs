//! The event queue: a binary heap ordered by (time, insertion sequence), with timers that can be
//! cancelled and timers that repeat.
//!
//! Two events at the same time come out in the order they were scheduled, so a run is a pure
//! function of its inputs.
//!
//! A keyed event ([`EventQueue::schedule_keyed`]) returns an [`ActionKey`]; cancelling the key
//! removes the event: it is never popped, never counted and not pending. A periodic event
//! ([`EventQueue::schedule_periodic`]) comes back every period until its key is cancelled; the
//! next occurrence is scheduled when [`EventQueue::rearm`] is called after the occurrence has been
//! handled, so that events its handler scheduled at the same time keep their place before it (as
//! when the handler re-armed it by hand). Keys live in a table of slots reused through a free
//! list: scheduling, cancelling and popping a keyed event are O(1) besides the heap, and an
//! entry of the heap is no larger than without keys (the slot shares a word with the sequence).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::{Duration, SimTime};

/// Bits of an event's tag that hold its key's slot; the rest hold its insertion sequence.
const SLOT_BITS: u32 = 24;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
/// The slot of an unkeyed event.
const NO_SLOT: u64 = SLOT_MASK;

struct Scheduled<E> {
    time: SimTime,
    /// `seq << SLOT_BITS | slot`: ordered by the insertion sequence (unique), and naming the slot
    /// of the event's key ([`NO_SLOT`] for none) in the same eight bytes.
    tag: u64,
    event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.tag == other.tag
    }
}

impl<E> Eq for Scheduled<E> {}

impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Scheduled<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest event first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.tag).cmp(&(self.time, self.tag))
    }
}

/// The handle of a keyed or periodic event: [`EventQueue::cancel`] takes it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionKey {
    slot: u32,
    generation: u32,
}

/// A key's slot. It belongs to one event from scheduling until the event is popped (cancelled or
/// not) or a periodic event is cancelled; then its generation moves on, so stale keys are ignored.
#[derive(Clone, Copy, Default)]
struct Slot {
    generation: u32,
    cancelled: bool,
    /// The repeat period of a periodic event, ns; 0 for a one-off.
    period_ns: u64,
}

/// A queue of future events of type `E`, popped in (time, insertion) order.
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_seq: u64,
    now: SimTime,
    n_popped: u64,
    /// Cancelled events still in the heap.
    n_cancelled_pending: usize,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// The periodic event just popped, to schedule again at `rearm` unless cancelled meanwhile.
    due_again: Option<(SimTime, ActionKey, E)>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            now: SimTime::ZERO,
            n_popped: 0,
            n_cancelled_pending: 0,
            slots: Vec::new(),
            free: Vec::new(),
            due_again: None,
        }
    }
}

impl<E: Clone> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`, which must not be in the past.
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        self.push(time, NO_SLOT, event);
    }

    /// Schedules `event` at `time` and returns the key that cancels it.
    #[inline]
    pub fn schedule_keyed(&mut self, time: SimTime, event: E) -> ActionKey {
        let key = self.new_key(0);
        self.push(time, u64::from(key.slot), event);
        key
    }

    /// Schedules `event` at `first` and then every `period` (which must be positive) until its key
    /// is cancelled. Each next occurrence is scheduled by [`EventQueue::rearm`].
    pub fn schedule_periodic(&mut self, first: SimTime, period: Duration, event: E) -> ActionKey {
        assert!(period > Duration::ZERO, "a periodic event needs a positive period");
        let key = self.new_key(period.as_nanos());
        self.push(first, u64::from(key.slot), event);
        key
    }

    /// Cancels the event of `key` if it is still pending (or, for a periodic event, stops its
    /// repeats); a key already popped or cancelled is ignored.
    pub fn cancel(&mut self, key: ActionKey) {
        if let Some((_, due, _)) = &self.due_again
            && *due == key
        {
            self.due_again = None;
            self.release(key.slot);
            return;
        }
        if self.is_pending(key) {
            self.slots[key.slot as usize].cancelled = true;
            self.n_cancelled_pending += 1;
        }
    }

    /// Whether the event of `key` is still to come (a periodic event being handled is).
    pub fn is_pending(&self, key: ActionKey) -> bool {
        self.slots.get(key.slot as usize).is_some_and(|s| s.generation == key.generation && !s.cancelled)
    }

    /// Schedules the next occurrence of the periodic event popped last, unless it was cancelled
    /// since. Call after handling each event (the simulation loop does).
    #[inline]
    pub fn rearm(&mut self) {
        if let Some((time, key, event)) = self.due_again.take() {
            self.push(time, u64::from(key.slot), event);
        }
    }

    /// Removes the earliest live event and advances the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        debug_assert!(self.due_again.is_none(), "rearm() was not called after the last periodic event");
        loop {
            let Scheduled { time, tag, event } = self.heap.pop()?;
            let slot = tag & SLOT_MASK;
            if slot != NO_SLOT {
                let s = self.slots[slot as usize];
                if s.cancelled {
                    self.n_cancelled_pending -= 1;
                    self.release(slot as u32);
                    continue;
                }
                if s.period_ns == 0 {
                    self.release(slot as u32);
                } else {
                    let key = ActionKey { slot: slot as u32, generation: s.generation };
                    self.due_again = Some((time.after(Duration(s.period_ns)), key, event.clone()));
                }
            }
            debug_assert!(time >= self.now, "time went back");
            self.now = time;
            self.n_popped += 1;
            return Some((time, event));
        }
    }

    /// The time of the earliest event in the heap (a cancelled one counts until popped past).
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|s| s.time)
    }

    /// The current simulated time: the time of the last event popped.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events popped so far (cancelled ones are not counted).
    pub fn n_events(&self) -> u64 {
        self.n_popped
    }

    /// Events still pending, cancelled ones not counted. A periodic event being handled is not
    /// pending until it is re-armed (as when its handler re-armed it by hand).
    pub fn len(&self) -> usize {
        self.heap.len() - self.n_cancelled_pending
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn push(&mut self, time: SimTime, slot: u64, event: E) {
        assert!(time >= self.now, "event scheduled in the past: {time} < {}", self.now);
        debug_assert!(self.next_seq < 1 << (64 - SLOT_BITS), "2^40 events scheduled");
        self.heap.push(Scheduled { time, tag: self.next_seq << SLOT_BITS | slot, event });
        self.next_seq += 1;
    }

    #[inline]
    fn new_key(&mut self, period_ns: u64) -> ActionKey {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => self.new_slot(),
        };
        let s = &mut self.slots[slot as usize];
        s.period_ns = period_ns;
        ActionKey { slot, generation: s.generation }
    }

    #[cold]
    fn new_slot(&mut self) -> u32 {
        assert!((self.slots.len() as u64) < NO_SLOT, "more than 2^24 - 1 keyed events pending at once");
        self.slots.push(Slot::default());
        (self.slots.len() - 1) as u32
    }

    /// Frees `slot`: its generation moves on, so every key of the old one is dead.
    #[inline]
    fn release(&mut self, slot: u32) {
        let s = &mut self.slots[slot as usize];
        s.generation = s.generation.wrapping_add(1);
        s.cancelled = false;
        s.period_ns = 0;
        self.free.push(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut EventQueue<char>) -> Vec<(u64, char)> {
        let mut out = Vec::new();
        while let Some((t, e)) = q.pop() {
            out.push((t.0, e));
            q.rearm();
            if out.len() > 100 {
                break;
            }
        }
        out
    }

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(20), 'c');
        q.schedule(SimTime(10), 'a');
        q.schedule(SimTime(20), 'd');
        q.schedule(SimTime(10), 'b');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c', 'd']);
        assert_eq!(q.now(), SimTime(20));
        assert_eq!(q.n_events(), 4);
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn refuses_events_in_the_past() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), ());
        q.pop();
        q.schedule(SimTime(5), ());
    }

    #[test]
    fn a_cancelled_event_is_never_popped_counted_or_pending() {
        let mut q = EventQueue::new();
        let a = q.schedule_keyed(SimTime(10), 'a');
        q.schedule(SimTime(20), 'b');
        let c = q.schedule_keyed(SimTime(30), 'c');
        assert_eq!(q.len(), 3);
        q.cancel(a);
        assert!(!q.is_pending(a));
        assert!(q.is_pending(c));
        assert_eq!(q.len(), 2);
        q.cancel(a); // twice is harmless
        assert_eq!(q.len(), 2);
        assert_eq!(drain(&mut q), vec![(20, 'b'), (30, 'c')]);
        assert_eq!(q.n_events(), 2);
        assert!(q.is_empty());
        // A key popped already: cancelling it does nothing, even after its slot is reused.
        let d = q.schedule_keyed(SimTime(40), 'd');
        q.cancel(c);
        assert!(q.is_pending(d));
        assert_eq!(drain(&mut q), vec![(40, 'd')]);
    }

    #[test]
    fn a_periodic_event_repeats_after_what_its_handler_scheduled_until_cancelled() {
        let mut q = EventQueue::new();
        let tick = q.schedule_periodic(SimTime(10), Duration(10), 't');
        let mut seen = Vec::new();
        while let Some((t, e)) = q.pop() {
            seen.push((t.0, e));
            if e == 't' {
                // The handler schedules an event at the next tick's time: it comes first.
                q.schedule(SimTime(t.0 + 10), 'x');
                if t.0 == 30 {
                    q.cancel(tick);
                }
            }
            q.rearm();
        }
        assert_eq!(seen, vec![(10, 't'), (20, 'x'), (20, 't'), (30, 'x'), (30, 't'), (40, 'x')]);
        assert!(!q.is_pending(tick));
    }

    #[test]
    fn keys_are_reused_without_reviving_old_events() {
        let mut q = EventQueue::new();
        for round in 0..1000u64 {
            let k = q.schedule_keyed(SimTime(round * 2 + 1), 'k');
            q.cancel(k);
            q.schedule_keyed(SimTime(round * 2 + 2), 'l');
        }
        let popped = drain(&mut q);
        assert_eq!(popped.len(), 100 + 1); // drain stops after 101
        assert!(popped.iter().all(|&(_, e)| e == 'l'));
        assert_eq!(popped[0].0, 2);
        assert!(q.slots.len() <= 2000); // a cancelled event keeps its slot until popped past
    }
}
