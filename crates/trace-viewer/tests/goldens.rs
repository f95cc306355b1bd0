//! Our timeline against Go 1.27.3's `/jsontrace` answers for every testdata trace
//! (`scripts/gen-viewer-goldens.sh` writes them): proc and thread views, and the goroutine
//! view of goroutine 1, and the two task views (`focustask`, `taskid`) of task 1 of the
//! annotations traces.
//!
//! Go writes some events from map iterations (the slices written together at a goroutine's
//! stop or at the end, and the metadata), and numbers stack frames in the order it meets them,
//! so the same request can give different bytes. As `jt.py cmp` does, the comparison replaces
//! frame IDs by the chain of frame names they stand for, compares each run of consecutive `X`
//! events and the `M` block as multisets, and everything else line for line. The header and
//! the frames' layout are compared as bytes.

use flate2::read::GzDecoder;
use std::collections::HashMap;
use std::io::Read;
mod common;
use common::traces;
use trace_viewer::{Options, View};

/// Reads a JSON string starting at `s[0] == '"'`; returns its raw bytes (escapes kept) and
/// the rest after the closing quote.
fn json_str(s: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return (&s[1..i], &s[i + 1..]),
            _ => i += 1,
        }
    }
    panic!("unterminated string")
}

/// The `stackFrames` object: ID to (name, parent).
fn frames(s: &[u8]) -> HashMap<u64, (Vec<u8>, u64)> {
    let mut out = HashMap::new();
    let mut rest = s.strip_prefix(b"{").expect("stackFrames object");
    while rest.first() == Some(&b'"') {
        let (id, r) = json_str(rest);
        let id: u64 = std::str::from_utf8(id).unwrap().parse().unwrap();
        let r = r.strip_prefix(b":{\"name\":").unwrap();
        let (name, r) = json_str(r);
        let (parent, r) = match r.strip_prefix(b",\"parent\":") {
            Some(r) => {
                let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
                (
                    std::str::from_utf8(&r[..n]).unwrap().parse().unwrap(),
                    &r[n..],
                )
            }
            None => (0, r),
        };
        let r = r.strip_prefix(b"}").unwrap();
        out.insert(id, (name.to_vec(), parent));
        rest = r.strip_prefix(b",").unwrap_or(r);
    }
    out
}

/// Replaces `"sf":N` and `"esf":N` by the chains of frame names.
fn resolve(line: &[u8], frames: &HashMap<u64, (Vec<u8>, u64)>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = line;
    loop {
        let pos = rest
            .windows(5)
            .position(|w| w == b"\"sf\":" || w == b"\"esf\"");
        let Some(p) = pos else {
            out.extend_from_slice(rest);
            return out;
        };
        let key_len = if rest[p + 1] == b's' { 5 } else { 6 };
        out.extend_from_slice(&rest[..p + key_len]);
        let r = &rest[p + key_len..];
        let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut id: u64 = std::str::from_utf8(&r[..n]).unwrap().parse().unwrap();
        out.push(b'[');
        while id != 0 {
            let Some((name, parent)) = frames.get(&id) else {
                out.extend_from_slice(b"?");
                break;
            };
            out.extend_from_slice(name);
            out.push(b';');
            id = *parent;
        }
        out.push(b']');
        rest = &r[n..];
    }
}

/// The document in a canonical order: header, body (X runs sorted), metadata sorted.
fn canon(doc: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let cut = doc
        .windows(17)
        .position(|w| w == b"], \"stackFrames\":")
        .expect("stackFrames");
    let (head, tail) = doc.split_at(cut);
    assert!(tail.ends_with(b"\n}"), "document ends with the frames");
    let frames = frames(&tail[17..]);
    let mut lines = head.split(|&c| c == b'\n');
    let first = lines.next().unwrap().to_vec();
    let (mut body, mut meta, mut run) = (Vec::new(), Vec::new(), Vec::new());
    for l in lines {
        let l = l.strip_prefix(b",").unwrap_or(l);
        let l = l.strip_prefix(b"\"traceEvents\": [").unwrap_or(l);
        if l.is_empty() {
            continue;
        }
        let l = resolve(l, &frames);
        let is = |ph: &[u8]| l.windows(ph.len()).any(|w| w == ph);
        if is(b"\"ph\":\"M\"") {
            meta.push(l);
        } else if is(b"\"ph\":\"X\"") {
            run.push(l);
        } else {
            if !run.is_empty() {
                run.sort();
                body.append(&mut run);
            }
            body.push(l);
        }
    }
    run.sort();
    body.append(&mut run);
    meta.sort();
    (first, body, meta)
}

/// The testdata traces and the regression traces.
fn all_traces() -> Vec<std::path::PathBuf> {
    let mut all = traces();
    all.extend(common::regressions());
    all
}

fn check(suffix: &str, min: usize, opts: impl Fn(&[u8]) -> Options) {
    let mut n = 0;
    let mut failed = Vec::new();
    for t in all_traces() {
        let golden = t.with_extension(format!("{suffix}.json.gz"));
        let Ok(gz) = std::fs::read(&golden) else {
            continue;
        };
        let mut want = Vec::new();
        GzDecoder::new(&gz[..]).read_to_end(&mut want).unwrap();
        let bytes = std::fs::read(&t).unwrap();
        let got = trace_viewer::write_json(&bytes, opts(&bytes), Vec::new()).unwrap();
        n += 1;
        let (g, w) = (canon(&got), canon(&want));
        if g != w {
            let at = g.1.iter().zip(&w.1).position(|(a, b)| a != b);
            failed.push(format!(
                "{}: differs (first body difference at {at:?}: {:?} vs {:?})",
                t.display(),
                at.and_then(|i| g.1.get(i))
                    .map(|l| String::from_utf8_lossy(l)),
                at.and_then(|i| w.1.get(i))
                    .map(|l| String::from_utf8_lossy(l)),
            ));
        }
    }
    assert!(n >= min, "only {n} goldens found for {suffix}");
    assert!(
        failed.is_empty(),
        "{} of {n} differ:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn proc_view_is_gos() {
    check("jsontrace", 80, |_| Options::view(View::Proc));
}

#[test]
fn thread_view_is_gos() {
    check("jsontrace-thread", 80, |_| Options::view(View::Thread));
}

#[test]
fn goroutine_view_is_gos() {
    check("jsontrace-goid1", 80, |bytes| {
        let mut opts = Options::default();
        opts.focus = trace_viewer::Focus::goroutine(bytes, 1).unwrap();
        assert!(opts.focus.is_some(), "goroutine 1 is in every trace");
        opts
    });
}

#[test]
fn task_view_is_gos() {
    check("jsontrace-focustask1", 8, |bytes| {
        let mut opts = Options::default();
        opts.task = trace_viewer::TaskFocus::task(bytes, 1).unwrap();
        assert!(opts.task.is_some(), "task 1 is in the annotations traces");
        opts
    });
}

#[test]
fn task_goroutine_view_is_gos() {
    check("jsontrace-taskid1", 8, |bytes| {
        let mut opts = Options::default();
        opts.task = trace_viewer::TaskFocus::task_goroutines(bytes, 1).unwrap();
        assert!(opts.task.is_some(), "task 1 is in the annotations traces");
        opts
    });
}

/// The `X` events of a timeline as `{"name":..,"ph":"X","ts":..,"dur":..` (lane and stacks cut
/// off), sorted.
fn slices(doc: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = doc
        .split(|&c| c == b'\n')
        .filter(|l| l.windows(8).any(|w| w == b"\"ph\":\"X\""))
        .map(|l| {
            let l = l.strip_prefix(b",").unwrap_or(l);
            let end = l
                .windows(7)
                .position(|w| w == b",\"pid\":")
                .unwrap_or(l.len());
            String::from_utf8_lossy(&l[..end]).into_owned()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn thread_view_where_go_panics() {
    // Go's thread view panics on a Go 1.11-1.21 trace with a goroutine in a syscall when the trace
    // starts (testdata/regressions/insyscall-at-start.go): the v1 conversion gives it no thread, so
    // when it leaves the syscall Go stops a goroutine that runs nowhere. Ours leaves out that stint,
    // as Go's proc view does, and draws the rest. In these traces every other stint has a P and an
    // M, so the thread view's slices are exactly those of Go's proc view, on other lanes.
    let mut n = 0;
    for t in all_traces() {
        let panic = t.with_extension("jsontrace-thread.panic.golden");
        let Ok(msg) = std::fs::read_to_string(&panic) else {
            continue;
        };
        assert!(
            msg.starts_with("panic: non-executing goroutine stopped"),
            "{msg}"
        );
        let mut want = Vec::new();
        let gz = std::fs::read(t.with_extension("jsontrace.json.gz")).unwrap();
        GzDecoder::new(&gz[..]).read_to_end(&mut want).unwrap();
        let bytes = std::fs::read(&t).unwrap();
        let got =
            trace_viewer::write_json(&bytes, Options::view(View::Thread), Vec::new()).unwrap();
        let (g, w) = (slices(&got), slices(&want));
        assert!(w.len() >= 5, "{}: {} slices", t.display(), w.len());
        assert_eq!(
            g,
            w,
            "{}: thread view's slices vs Go's proc view's",
            t.display()
        );
        n += 1;
    }
    assert!(n >= 2, "only {n} traces on which Go's thread view panics");
}

#[test]
fn small_traces_have_no_ranges() {
    // Go splits only timelines over 100 MiB of JSON; none of the testdata's comes close.
    for t in traces().iter().take(12) {
        let bytes = std::fs::read(t).unwrap();
        assert_eq!(
            trace_viewer::ranges(&bytes).unwrap(),
            Vec::new(),
            "{}",
            t.display()
        );
    }
}
