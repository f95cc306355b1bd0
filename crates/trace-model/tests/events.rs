//! The ordered event stream against Go: every committed Go 1.22+ trace gives exactly Go 1.27's
//! `Event.String()` dump (`go tool trace -d=parsed`), read from a slice, from a stream and from
//! Go's raw text format; and Go's own test suite succeeds or fails where Go's does.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::path::Path;
use trace_model::{Event, Reader};

/// What `go tool trace -d=parsed` prints for these events.
fn dump(events: impl Iterator<Item = trace_model::Result<Event>>) -> trace_model::Result<String> {
    let mut out = String::new();
    for ev in events {
        writeln!(out, "{}", ev?).unwrap();
    }
    Ok(out)
}

fn v2_traces() -> Vec<std::path::PathBuf> {
    common::traces_of(trace_model::format::Family::V2)
}

fn golden(trace: &Path, kind: &str) -> String {
    let name = trace.file_stem().unwrap().to_str().unwrap();
    std::fs::read_to_string(trace.with_file_name(format!("{name}.{kind}.golden")))
        .unwrap_or_else(|e| panic!("{}: {kind} golden: {e}", trace.display()))
}

/// First line where two dumps differ, for a readable failure.
fn first_difference(got: &str, want: &str) -> String {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        if g != w {
            return format!("line {}:\n  got:  {g}\n  want: {w}", i + 1);
        }
    }
    format!(
        "lengths differ: got {} lines, want {}",
        got.lines().count(),
        want.lines().count()
    )
}

#[test]
fn events_equal_go_on_every_v2_trace() {
    let traces = v2_traces();
    assert!(
        traces.len() >= 60,
        "expected the committed v2 traces, found {}",
        traces.len()
    );
    for trace in traces {
        let bytes = std::fs::read(&trace).unwrap();
        let want = golden(&trace, "events");
        let got = dump(Reader::new(&bytes).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", trace.display()));
        assert!(
            got == want,
            "{}: {}",
            trace.display(),
            first_difference(&got, &want)
        );
    }
}

#[test]
fn stream_and_text_inputs_give_the_same_events() {
    for trace in v2_traces() {
        let bytes = std::fs::read(&trace).unwrap();
        let want = golden(&trace, "events");
        let got = dump(Reader::from_read(&bytes[..]).unwrap()).unwrap();
        assert!(
            got == want,
            "{} (stream): {}",
            trace.display(),
            first_difference(&got, &want)
        );
        // Go's raw text of the same trace reads back to the same events.
        let text = golden(&trace, "raw");
        let got = dump(Reader::new(text.as_bytes()).unwrap()).unwrap();
        assert!(
            got == want,
            "{} (text): {}",
            trace.display(),
            first_difference(&got, &want)
        );
    }
}

#[test]
fn state_queries_follow_the_events() {
    let bytes = std::fs::read(common::testdata().join("traces/go1.27.3/chan.trace")).unwrap();
    let mut r = Reader::new(&bytes).unwrap();
    let mut checked = 0;
    // Owned events, so the reader's state can be queried beside each.
    while let Some(ev) = r.next().transpose().unwrap() {
        let Some(t) = ev.state_transition() else {
            continue;
        };
        if let Some((_, to)) = t.goroutine() {
            let now = r.goroutine_state(t.resource.id);
            if to == trace_model::GoState::NotExist {
                assert_eq!(now, None, "{ev}");
            } else {
                assert_eq!(now, Some(to), "{ev}");
            }
            checked += 1;
        }
        if let Some((_, to)) = t.proc() {
            assert_eq!(r.proc_state(t.resource.id), Some(to), "{ev}");
        }
        if ev.thread() >= 0 && ev.kind() == trace_model::EventKind::StateTransition {
            assert!(r.thread_state(ev.thread()).is_some());
        }
    }
    assert!(checked > 100);
}

/// Reads every trace in `testdata/<dir>` (made by `scripts/gen-invalid-traces.sh`) from its
/// binary and from its raw text, and checks that the events before the error are Go's and the
/// error is Go's; `check` looks at each ordering error met in a binary trace. Returns how many
/// reads failed.
fn fail_where_go_fails(
    dir: &str,
    traces: usize,
    check: impl Fn(&[u8], &trace_model::Error, &trace_model::OrderError, &Path),
) -> usize {
    let dir = common::testdata().join(dir);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect();
    paths.sort();
    assert_eq!(paths.len(), traces, "{}", dir.display());
    let mut failures = 0;
    for trace in paths {
        let want_events = golden(&trace, "events");
        let want_error = golden(&trace, "error");
        let binary = std::fs::read(&trace).unwrap();
        let text = std::fs::read(trace.with_extension("txt")).unwrap();
        for input in [&binary, &text] {
            let mut reader = Reader::new(input).unwrap();
            let mut got = String::new();
            let error = loop {
                match reader.next_event() {
                    Ok(Some(ev)) => writeln!(got, "{ev}").unwrap(),
                    Ok(None) => break String::new(),
                    Err(e) => match e.kind() {
                        trace_model::ErrorKind::Order(o) => {
                            if input == &binary {
                                check(&binary, &e, o, &trace);
                            }
                            break format!("{o}\n");
                        }
                        other => panic!("{}: {other:?}", trace.display()),
                    },
                }
            };
            assert!(
                got == want_events,
                "{}: {}",
                trace.display(),
                first_difference(&got, &want_events)
            );
            assert_eq!(error, want_error, "{}", trace.display());
            failures += usize::from(!error.is_empty());
        }
    }
    failures
}

/// Events that name a stack or string their generation lacks (`testdata/invalid-ids`): Go's
/// events and Go's error, whether the ID is just past the dense run of IDs or far past it; the
/// last ID of the run is no error.
#[test]
fn invalid_ids_fail_where_go_fails() {
    let failures = fail_where_go_fails("invalid-ids", 9, |trace, e, o, path| {
        let trace_model::OrderError::InvalidId { id, event, .. } = o else {
            panic!("{}: {o}", path.display());
        };
        let raw = raw_event_at(trace, e, path);
        assert_eq!(
            (raw.name(), e.event()),
            (*event, Some(*event)),
            "{}",
            path.display()
        );
        assert!(raw.args().contains(id), "{}: {e}", path.display());
    });
    assert_eq!(failures, 16);
}

/// Goroutine starts and blocks on an M that lacks, or already has, the goroutine or P they need
/// (`testdata/invalid-context`): Go's events and Go's error, located at the event. Most such
/// events take the ordering's path for the commonest events, which leaves these checks to
/// the general one.
#[test]
fn events_out_of_context_fail_where_go_fails() {
    let failures = fail_where_go_fails("invalid-context", 4, |trace, e, o, path| {
        assert!(
            matches!(o, trace_model::OrderError::Context(_)),
            "{}: {o}",
            path.display()
        );
        let raw = raw_event_at(trace, e, path);
        assert_eq!(Some(raw.name()), e.event(), "{}", path.display());
    });
    assert_eq!(failures, 8);
}

/// The raw event at the byte offset an ordering error names, which must also name an M.
fn raw_event_at<'a>(
    trace: &'a [u8],
    e: &trace_model::Error,
    path: &Path,
) -> trace_model::format::RawEvent<'a> {
    let offset = e
        .offset()
        .unwrap_or_else(|| panic!("{}: no offset: {e}", path.display()));
    assert!(e.thread().is_some(), "{}: no M: {e}", path.display());
    let parsed = trace_model::format::Trace::parse(trace).unwrap();
    parsed
        .raw_events()
        .unwrap()
        .map(|r| r.unwrap())
        .find(|r| r.offset() == offset)
        .unwrap_or_else(|| panic!("{}: no event at byte {offset}: {e}", path.display()))
}

#[test]
fn go_suite_successes_succeed_and_failures_fail() {
    let Some(cases) = common::go_suite("go_suite_successes_succeed_and_failures_fail") else {
        return;
    };
    for case in cases {
        let (name, expect, text) = (&case.name, &case.expect, &case.trace);
        let result = Reader::new(text.as_bytes()).and_then(|r| dump(r).map(|_| ()));
        if expect.contains("-- expect --\nSUCCESS") {
            if let Err(e) = result {
                panic!("{name}: Go succeeds, we fail: {e}");
            }
        } else {
            // `FAILURE "regexp"`: the patterns are literals joined by `.*`.
            let pattern = expect
                .split("FAILURE ")
                .nth(1)
                .and_then(|s| s.lines().next())
                .map(|s| s.trim().trim_matches('"'))
                .unwrap_or_else(|| panic!("{name}: no expectation"));
            let Err(e) = result else {
                panic!("{name}: Go fails, we succeed");
            };
            let message = e.to_string();
            let mut rest = message.as_str();
            for literal in pattern.split(".*").filter(|l| !l.is_empty()) {
                let Some(i) = rest.find(literal) else {
                    panic!("{name}: error {message:?} does not match Go's {pattern:?}");
                };
                rest = &rest[i + literal.len()..];
            }
        }
    }
}
