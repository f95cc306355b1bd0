//! `Reader::read_batch`: the same events as `next_event`, in the same order, with an error
//! after the events before it, on every format.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use trace_model::{EventBatch, Reader};

/// Every event (as Go prints it) and the error that ended the trace, if one did.
fn one_by_one(bytes: &[u8]) -> (Vec<String>, Option<String>) {
    let mut r = Reader::new(bytes).unwrap();
    let mut out = Vec::new();
    loop {
        match r.next_event() {
            Ok(Some(ev)) => out.push(ev.to_string()),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

/// The same through batches of at most `max` events, one batch reused throughout.
fn batched(bytes: &[u8], max: usize) -> (Vec<String>, Option<String>) {
    let mut r = Reader::new(bytes).unwrap();
    let mut batch = EventBatch::default();
    let mut out = Vec::new();
    loop {
        match r.read_batch(&mut batch, max) {
            Ok(0) => {
                assert!(batch.is_empty());
                return (out, None);
            }
            Ok(n) => {
                assert!(n <= max && n == batch.len() && n == batch.events().len());
                out.extend(batch.iter().map(|ev| ev.to_string()));
            }
            Err(e) => {
                // The reader stays ended after its error.
                assert_eq!(r.read_batch(&mut batch, max).unwrap(), 0);
                return (out, Some(e.to_string()));
            }
        }
    }
}

fn traces() -> Vec<(String, Vec<u8>)> {
    let root = common::testdata().join("traces");
    [
        "go1.19/chan.trace",
        "go1.21.13/chan.trace",
        "go1.22.10/syscall.trace",
        "go1.23.9/chan.trace",
        "go1.25.5/flightrecorder.trace",
        "go1.26.6/mutex.trace",
        "go1.27.3/cpuprof.trace",
    ]
    .iter()
    .map(|p| (p.to_string(), std::fs::read(root.join(p)).unwrap()))
    .collect()
}

#[test]
fn batches_hold_the_events_in_order() {
    for (name, bytes) in traces() {
        let (want, err) = one_by_one(&bytes);
        assert!(err.is_none(), "{name}: {err:?}");
        assert!(want.len() > 100, "{name}: {} events", want.len());
        for max in [1, 7, 4096] {
            let got = batched(&bytes, max);
            assert_eq!(got.0.len(), want.len(), "{name}, batches of {max}");
            assert!(got.0 == want && got.1.is_none(), "{name}, batches of {max}");
        }
    }
}

#[test]
fn an_error_follows_the_events_before_it() {
    for (name, bytes) in traces() {
        // Cut inside the last quarter: the trace reads for a while, then fails.
        let cut = &bytes[..bytes.len() * 3 / 4];
        let Ok(mut r) = Reader::new(cut) else {
            continue; // a v1 trace, read whole on opening, fails there
        };
        let mut n = 0;
        while let Ok(Some(_)) = r.next_event() {
            n += 1;
        }
        let (want, err) = one_by_one(cut);
        assert_eq!(want.len(), n);
        let err = err.unwrap_or_else(|| panic!("{name}: a cut trace reads whole"));
        for max in [1, 5, 100_000] {
            let got = batched(cut, max);
            assert_eq!(got.0, want, "{name}, batches of {max}");
            assert_eq!(
                got.1.as_deref(),
                Some(err.as_str()),
                "{name}, batches of {max}"
            );
        }
    }
}

/// Batches and single events taken in turn, as a reader that looks ahead might: the events
/// the ordering queued past a batch's end, and those left by single reads, come next. Go's
/// suite (when Go is installed) has the events that queue more than one.
#[test]
fn batches_and_single_events_mix() {
    let mut cases = traces();
    let suite = common::go_suite("batches_and_single_events_mix").unwrap_or_default();
    cases.extend(suite.into_iter().map(|c| (c.name, c.trace.into_bytes())));
    for (name, bytes) in cases {
        let want = one_by_one(&bytes);
        for max in [1, 2, 3, 33] {
            assert_eq!(mixed(&bytes, max), want, "{name}, batches of {max}");
        }
    }
}

/// The events and error of `bytes` read two batches of at most `max` events, then one event,
/// and over.
fn mixed(bytes: &[u8], max: usize) -> (Vec<String>, Option<String>) {
    let mut r = Reader::new(bytes).unwrap();
    let mut batch = EventBatch::default();
    let mut got = Vec::new();
    for turn in 0.. {
        if turn % 3 == 2 {
            match r.next_event() {
                Ok(Some(ev)) => got.push(ev.to_string()),
                Ok(None) => break,
                Err(e) => return (got, Some(e.to_string())),
            }
        } else {
            match r.read_batch(&mut batch, max) {
                Ok(0) => break,
                Ok(_) => got.extend(batch.iter().map(|ev| ev.to_string())),
                Err(e) => return (got, Some(e.to_string())),
            }
        }
    }
    (got, None)
}

#[test]
fn batches_go_to_other_threads() {
    fn is_send<T: Send>() {}
    is_send::<EventBatch>();
    is_send::<trace_model::Event>();
}
