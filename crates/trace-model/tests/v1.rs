//! Go 1.5–1.21 traces in the one event model.
//!
//! - Our Go 1.19 and 1.21 traces give what Go 1.27's reader gives (`go tool trace -d=parsed`,
//!   committed as `*.events.golden`), up to the reordering of equal ticks Go itself does from
//!   run to run.
//! - Go 1.21.13's test traces of every older format (1.5 to 1.10, which no current Go reads)
//!   convert, and every goroutine and P follows its state machine from creation to end; the
//!   trace Go refuses for its clock (`stress_1_5_unordered`) is refused the same way.
//! - `live_v1_dumps` (ignored; run by scripts/conformance.sh) compares dumps Go makes live.

#[path = "../../trace-format/tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use trace_model::format::Family;
use trace_model::{ErrorKind, GoState, OrderError, ProcState, Reader};

fn dump(mut r: Reader<'_>) -> trace_model::Result<String> {
    let mut out = String::new();
    while let Some(ev) = r.next_event()? {
        writeln!(out, "{ev}").unwrap();
    }
    Ok(out)
}

fn golden(trace: &Path) -> String {
    let name = trace.file_stem().unwrap().to_str().unwrap();
    std::fs::read_to_string(trace.with_file_name(format!("{name}.events.golden")))
        .unwrap_or_else(|e| panic!("{}: {e}", trace.display()))
}

#[test]
fn v1_events_agree_with_go() {
    let traces = common::traces_of(Family::V1);
    assert!(traces.len() >= 20, "found {} v1 traces", traces.len());
    for trace in traces {
        let bytes = std::fs::read(&trace).unwrap();
        let got = dump(Reader::new(&bytes).unwrap()).unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = common::v1_dumps_agree(&got, &golden(&trace)) {
            panic!("{}: {e}", trace.display());
        }
        // Our order is deterministic, whatever the input.
        let streamed = dump(Reader::from_read(&bytes[..]).unwrap()).unwrap();
        assert!(streamed == got, "{}: stream differs", trace.display());
    }
}

/// Follows every goroutine and P through the trace: each transition must start from the state
/// the last one left (or from nothing, for a status or a creation), and the reader's state
/// queries must say the same. Returns how many goroutines were created and ended.
fn follow_state_machines(bytes: &[u8]) -> Result<(usize, usize), String> {
    let mut r = Reader::new(bytes).map_err(|e| e.to_string())?;
    let mut gs: HashMap<i64, GoState> = HashMap::new();
    let mut ps: HashMap<i64, ProcState> = HashMap::new();
    let (mut created, mut ended, mut n) = (0, 0, 0);
    loop {
        let ev = match r.next_event() {
            Ok(Some(ev)) => ev.clone(),
            Ok(None) => break,
            Err(e) => return Err(e.to_string()),
        };
        n += 1;
        let Some(t) = ev.state_transition() else {
            continue;
        };
        let id = t.resource.id;
        if let Some((from, to)) = t.goroutine() {
            let known = gs.get(&id).copied();
            let fits = match from {
                GoState::Undetermined | GoState::NotExist => known.is_none(),
                s => known == Some(s),
            };
            if !fits {
                return Err(format!(
                    "event {n}: goroutine {id} {from}->{to}, known {known:?}: {ev}"
                ));
            }
            created += usize::from(from == GoState::NotExist);
            if to == GoState::NotExist {
                ended += 1;
                gs.remove(&id);
            } else {
                gs.insert(id, to);
            }
            if r.goroutine_state(id) != gs.get(&id).copied() {
                return Err(format!(
                    "event {n}: reader says {:?}",
                    r.goroutine_state(id)
                ));
            }
        }
        if let Some((from, to)) = t.proc() {
            let known = ps.get(&id).copied();
            let fits = match from {
                ProcState::Undetermined => known.is_none(),
                s => known == Some(s),
            };
            if !fits {
                return Err(format!(
                    "event {n}: P {id} {from:?}->{to:?}, known {known:?}"
                ));
            }
            ps.insert(id, to);
            if r.proc_state(id) != Some(to) {
                return Err(format!("event {n}: reader says P {:?}", r.proc_state(id)));
            }
        }
    }
    Ok((created, ended))
}

#[test]
fn v1_goroutines_and_ps_follow_their_state_machines() {
    for trace in common::traces_of(Family::V1) {
        let bytes = std::fs::read(&trace).unwrap();
        let (created, _) =
            follow_state_machines(&bytes).unwrap_or_else(|e| panic!("{}: {e}", trace.display()));
        assert!(created > 0, "{}", trace.display());
    }
}

fn go121_testdata() -> Option<Vec<PathBuf>> {
    let root = common::goroot_or_skip("1.21.13", "Go 1.21.13's v1 test traces")?;
    let dir = root.join("src/internal/trace/testdata");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn every_old_format_converts_and_follows_the_state_machines() {
    let Some(files) = go121_testdata() else {
        return;
    };
    let mut versions = std::collections::BTreeSet::new();
    let mut all_ended = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(f).unwrap();
        let version = trace_model::format::Version::from_header(&bytes).unwrap();
        if name == "stress_1_5_unordered" {
            continue;
        }
        let (created, ended) =
            follow_state_machines(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(created > 0, "{name}: no goroutine created");
        all_ended += ended;
        versions.insert(version);
    }
    assert!(all_ended > 0);
    // 1.5, 1.7, 1.9, 1.10, 1.11, 1.19, 1.21 (no Go 1.8 trace exists in Go's testdata).
    assert!(versions.len() >= 7, "{versions:?}");
}

#[test]
fn unordered_timestamps_are_refused() {
    let Some(files) = go121_testdata() else {
        return;
    };
    let f = files
        .iter()
        .find(|f| f.ends_with("stress_1_5_unordered"))
        .expect("stress_1_5_unordered in Go 1.21.13's testdata");
    let bytes = std::fs::read(f).unwrap();
    let err = Reader::new(&bytes).err().expect("refused");
    assert!(
        matches!(err.kind(), ErrorKind::Order(OrderError::TimeOrder)),
        "{err}"
    );
    // Which event goes back in time, and where its record is.
    let offset = err.offset().expect("an offset");
    assert!(offset >= 16 && (offset as usize) < bytes.len(), "{err}");
    assert!(err.event().is_some(), "{err}");
    assert!(
        err.to_string()
            .starts_with("time stamps out of order (event "),
        "{err}"
    );
}

/// A v1 trace damaged so that its events contradict each other: the error names the event
/// and where its record is, like a decoding error.
#[test]
fn ordering_errors_say_where() {
    let path = common::testdata().join("traces/go1.21.13/chan.trace");
    let bytes = std::fs::read(path).unwrap();
    let mut damaged = bytes.clone();
    let mut order_errors = 0;
    for at in (16..bytes.len()).step_by(3) {
        damaged[at] ^= 0x01;
        let err = match Reader::new(&damaged) {
            Err(e) => Some(e),
            Ok(r) => dump(r).err(),
        };
        damaged[at] ^= 0x01;
        let Some(err) = err else { continue };
        if let ErrorKind::Order(_) = err.kind() {
            if err.to_string().contains("EvFrequency") {
                continue; // about the whole trace, not one event
            }
            order_errors += 1;
            let offset = err
                .offset()
                .unwrap_or_else(|| panic!("flip at {at}: {err}"));
            assert!((offset as usize) < bytes.len(), "flip at {at}: {err}");
            assert!(err.event().is_some(), "flip at {at}: {err}");
        }
    }
    assert!(order_errors > 10, "only {order_errors} ordering errors");
}

/// Go 1.5 and 1.6 stacks have PCs only; the model shows their frames without names.
#[test]
fn go15_stacks_are_pcs_without_names() {
    let Some(files) = go121_testdata() else {
        return;
    };
    let f = files.iter().find(|f| f.ends_with("http_1_5_good")).unwrap();
    let bytes = std::fs::read(f).unwrap();
    let mut frames = 0;
    let mut creations = 0;
    for ev in Reader::new(&bytes).unwrap() {
        let ev = ev.unwrap();
        for frame in ev.stack().frames() {
            assert!(frame.pc != 0);
            assert!(frame.func.is_empty() && frame.file.is_empty() && frame.line == 0);
            frames += 1;
        }
        if let Some(t) = ev.state_transition() {
            if t.goroutine()
                .is_some_and(|(from, _)| from == GoState::NotExist)
            {
                // The start PC stands in for the creation stack.
                assert_eq!(t.stack.frames().count(), 1, "{ev}");
                creations += 1;
            }
        }
    }
    assert!(frames > 0 && creations > 0);
}

/// Dumps Go makes live: `CONFORMANCE_V1_DUMPS` names a file of `LABEL TRACE GO_DUMP` lines.
/// Prints `ok LABEL` or `FAIL LABEL: why` for each and fails if any differ.
#[test]
#[ignore = "run by scripts/conformance.sh with Go's dumps"]
fn live_v1_dumps() {
    let list = std::env::var("CONFORMANCE_V1_DUMPS").expect("CONFORMANCE_V1_DUMPS");
    let list = std::fs::read_to_string(list).unwrap();
    let mut failed = 0;
    for line in list.lines() {
        let mut f = line.split(' ');
        let (Some(label), Some(trace), Some(want)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let want = std::fs::read_to_string(want).unwrap();
        let bytes = std::fs::read(trace).unwrap();
        let result = Reader::new(&bytes)
            .and_then(dump)
            .map_err(|e| e.to_string())
            .and_then(|got| common::v1_dumps_agree(&got, &want));
        match result {
            Ok(n) => println!("CONFORMANCE ok {label} {n} events agree"),
            Err(e) => {
                failed += 1;
                let e = e.replace('\n', "\n    ");
                println!("CONFORMANCE FAIL {label} {e}");
            }
        }
    }
    assert_eq!(failed, 0);
}
