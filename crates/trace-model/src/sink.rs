//! Push-style consumers of the ordered events: one pass over a trace can feed a profile, a
//! summary, the GC analysis and a timeline together.
//!
//! Every analysis of the workspace takes events one at a time through [`EventSink::event`] and
//! gives its result from its own `finish`. The caller reads the events, so it decides how:
//! [`Reader::feed`] on the calling thread, [`Reader::feed_pipelined`] with the sinks on a second
//! thread while the reader orders on this one, or a loop of its own over
//! [`Reader::next_event`].

use crate::error::Result;
use crate::event::Event;
use crate::gc::GcAnalyzer;
use crate::mmu::Utilization;
use crate::reader::{EventBatch, Reader};
use crate::summary::Summarizer;
use std::sync::mpsc;

/// Something fed the ordered events of a trace one at a time.
///
/// Tuples, slices, `Vec`s, boxes and `&mut` of sinks are sinks, each part fed every event in
/// turn, so one pass serves several analyses:
///
/// ```
/// # fn main() -> Result<(), trace_model::Error> {
/// use trace_model::{gc::GcAnalyzer, EventSink, Reader, Summarizer};
/// let bytes = std::fs::read("../../testdata/traces/go1.25.5/gc.trace").unwrap();
/// let mut both = (Summarizer::new(), GcAnalyzer::new());
/// let events = Reader::new(&bytes)?.feed(&mut both)?;
/// let (summary, gc) = (both.0.finish(), both.1.finish());
/// assert!(events > 0 && !summary.goroutines.is_empty() && !gc.cycles.is_empty());
/// # Ok(()) }
/// ```
pub trait EventSink {
    /// Takes the next event in trace order.
    fn event(&mut self, ev: &Event);
}

impl<S: EventSink + ?Sized> EventSink for &mut S {
    #[inline]
    fn event(&mut self, ev: &Event) {
        (**self).event(ev)
    }
}

impl<S: EventSink + ?Sized> EventSink for Box<S> {
    #[inline]
    fn event(&mut self, ev: &Event) {
        (**self).event(ev)
    }
}

impl<S: EventSink> EventSink for [S] {
    fn event(&mut self, ev: &Event) {
        for s in self {
            s.event(ev);
        }
    }
}

impl<S: EventSink> EventSink for Vec<S> {
    fn event(&mut self, ev: &Event) {
        self.as_mut_slice().event(ev)
    }
}

macro_rules! tuple_sink {
    ($($name:ident $i:tt),+) => {
        impl<$($name: EventSink),+> EventSink for ($($name,)+) {
            #[inline]
            fn event(&mut self, ev: &Event) {
                $(self.$i.event(ev);)+
            }
        }
    };
}
tuple_sink!(A 0);
tuple_sink!(A 0, B 1);
tuple_sink!(A 0, B 1, C 2);
tuple_sink!(A 0, B 1, C 2, D 3);
tuple_sink!(A 0, B 1, C 2, D 3, E 4);
tuple_sink!(A 0, B 1, C 2, D 3, E 4, F 5);

/// A sink made of a closure; see [`from_fn`].
#[derive(Debug, Clone)]
pub struct FnSink<F>(F);

/// A closure as a sink.
///
/// ```
/// # fn main() -> Result<(), trace_model::Error> {
/// let bytes = std::fs::read("../../testdata/traces/go1.27.3/chan.trace").unwrap();
/// let mut syncs = 0;
/// trace_model::Reader::new(&bytes)?.feed(&mut trace_model::sink::from_fn(|ev| {
///     syncs += usize::from(ev.kind() == trace_model::EventKind::Sync);
/// }))?;
/// assert!(syncs >= 2);
/// # Ok(()) }
/// ```
pub fn from_fn<F: FnMut(&Event)>(f: F) -> FnSink<F> {
    FnSink(f)
}

impl<F: FnMut(&Event)> EventSink for FnSink<F> {
    #[inline]
    fn event(&mut self, ev: &Event) {
        (self.0)(ev)
    }
}

impl EventSink for Summarizer {
    #[inline]
    fn event(&mut self, ev: &Event) {
        Summarizer::event(self, ev)
    }
}

impl EventSink for GcAnalyzer {
    #[inline]
    fn event(&mut self, ev: &Event) {
        GcAnalyzer::event(self, ev)
    }
}

impl EventSink for Utilization {
    #[inline]
    fn event(&mut self, ev: &Event) {
        Utilization::event(self, ev)
    }
}

/// Events per batch handed from the reader's thread to the sinks', and batches in flight.
const BATCH: usize = 16384;
const IN_FLIGHT: usize = 3;

impl Reader<'_> {
    /// Feeds every event still to read to `sink`, on this thread, and returns how many there
    /// were. An error stops the feed: the events before it have been fed.
    pub fn feed(&mut self, sink: &mut (impl EventSink + ?Sized)) -> Result<u64> {
        let mut n = 0;
        while let Some(ev) = self.next_event()? {
            sink.event(ev);
            n += 1;
        }
        Ok(n)
    }

    /// [`feed`](Self::feed) on two threads: the reader orders on this one while `sink` takes
    /// the events on a scoped second thread, in batches handed back and forth to be refilled,
    /// so memory holds a few batches beyond the reader's own. The sink sees exactly the events
    /// `feed` gives it, in the same order, and the same error stops it.
    ///
    /// Ordering is about half of the work of a profile or a summary, so on a machine with a
    /// core to spare this takes about half the time of [`feed`](Self::feed).
    ///
    /// ```
    /// # fn main() -> Result<(), trace_model::Error> {
    /// use trace_model::{Reader, Summarizer};
    /// let bytes = std::fs::read("../../testdata/traces/go1.26.6/net.trace").unwrap();
    /// let mut one = Summarizer::new();
    /// Reader::new(&bytes)?.feed(&mut one)?;
    /// let mut two = Summarizer::new();
    /// Reader::new(&bytes)?.feed_pipelined(&mut two)?;
    /// assert_eq!(one.finish().goroutines.len(), two.finish().goroutines.len());
    /// # Ok(()) }
    /// ```
    pub fn feed_pipelined<S: EventSink + Send + ?Sized>(&mut self, sink: &mut S) -> Result<u64> {
        std::thread::scope(|scope| {
            let (full_tx, full_rx) = mpsc::sync_channel::<EventBatch>(IN_FLIGHT);
            let (empty_tx, empty_rx) = mpsc::channel::<EventBatch>();
            for _ in 0..IN_FLIGHT {
                // Can't fail: the receiver is alive.
                let _ = empty_tx.send(EventBatch::default());
            }
            let consumer = scope.spawn(move || {
                for batch in full_rx {
                    for ev in &batch {
                        sink.event(ev);
                    }
                    // The reader may have stopped: then the batch is dropped here.
                    let _ = empty_tx.send(batch);
                }
            });
            let mut result = Ok(0);
            // Ends when the reader is done, fails, or the sinks' thread is gone.
            while let Ok(mut batch) = empty_rx.recv() {
                match self.read_batch(&mut batch, BATCH) {
                    Ok(0) => break,
                    Ok(n) => {
                        if let Ok(total) = &mut result {
                            *total += n as u64;
                        }
                        if full_tx.send(batch).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            drop(full_tx);
            if let Err(panic) = consumer.join() {
                std::panic::resume_unwind(panic);
            }
            result
        })
    }
}
