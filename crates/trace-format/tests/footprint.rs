//! `footprint` against Go: every committed Go 1.22+ trace must give, read from memory or
//! streamed, exactly the table Go 1.27.3's `go tool trace -d=footprint` printed for it
//! (`<name>.footprint.golden`, scripts/gen-footprint-goldens.sh). Go 1.27 fails on v1 traces
//! ("invalid event type"); for those our bytes must add up to the file less its header and our
//! counts must be the raw decoder's and Go 1.21's `readTrace`'s (`testdata/v1-counts.golden`).
//! A cut trace is an error, never a panic or a table.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use trace_format::footprint::Footprint;
use trace_format::{EventType, Family, Trace, Version, HEADER_LEN};

fn table(f: &Footprint) -> String {
    let mut out = Vec::new();
    f.write_table(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The footprint of `bytes` from memory and streamed, which must agree.
fn footprint(bytes: &[u8], what: &Path) -> Footprint {
    let trace = Trace::parse(bytes).unwrap();
    let memory = Footprint::of_trace(&trace).unwrap_or_else(|e| panic!("{}: {e}", what.display()));
    let streamed =
        Footprint::from_read(bytes).unwrap_or_else(|e| panic!("{}: {e}", what.display()));
    for ty in 0..=u8::MAX {
        assert_eq!(
            memory.stats(EventType(ty)),
            streamed.stats(EventType(ty)),
            "{}: type {ty}",
            what.display()
        );
    }
    assert_eq!(memory.events(), streamed.events());
    assert_eq!(memory.trace_bytes(), bytes.len() as u64);
    assert_eq!(streamed.trace_bytes(), bytes.len() as u64);
    memory
}

#[test]
fn tables_equal_gos() {
    let mut per_version: BTreeMap<String, usize> = BTreeMap::new();
    for trace in common::traces_of(Family::V2) {
        let golden = trace.with_extension("footprint.golden");
        let want = std::fs::read_to_string(&golden).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (scripts/gen-footprint-goldens.sh)",
                golden.display()
            )
        });
        let bytes = std::fs::read(&trace).unwrap();
        let got = table(&footprint(&bytes, &trace));
        assert!(
            got == want,
            "{}: differs from Go's -d=footprint\n{}",
            trace.display(),
            first_difference(&got, &want)
        );
        let dir = trace.parent().unwrap().file_name().unwrap();
        *per_version
            .entry(dir.to_string_lossy().into_owned())
            .or_default() += 1;
    }
    // Every Go 1.22+ toolchain's traces, several each.
    assert_eq!(per_version.len(), 6, "{per_version:?}");
    assert!(per_version.values().all(|&n| n >= 8), "{per_version:?}");
}

fn first_difference(got: &str, want: &str) -> String {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        if g != w {
            return format!("line {}:\n  ours: {g:?}\n  Go's: {w:?}", i + 1);
        }
    }
    format!(
        "{} lines against Go's {}",
        got.lines().count(),
        want.lines().count()
    )
}

/// Go counts an event's canonical encoding: `encoded_size` must be what `encode` writes, and
/// for v2 the totals of the table must be the sum over the raw events.
#[test]
fn encoded_size_is_the_canonical_encoding() {
    for trace in common::traces() {
        let bytes = std::fs::read(&trace).unwrap();
        let t = Trace::parse(&bytes).unwrap();
        let (mut sum, mut count) = (0, 0);
        let mut encoded = Vec::new();
        for ev in t.raw_events().unwrap() {
            let ev = ev.unwrap();
            encoded.clear();
            ev.encode(&mut encoded);
            assert_eq!(
                ev.encoded_size(),
                encoded.len() as u64,
                "{}",
                trace.display()
            );
            sum += ev.encoded_size();
            count += 1;
        }
        if t.version().family() == Family::V2 {
            let f = Footprint::of_trace(&t).unwrap();
            assert_eq!((f.bytes(), f.events()), (sum, count), "{}", trace.display());
            // The runtime pads every batch's size to ten bytes, so Go's total is smaller.
            assert!(f.bytes() < (bytes.len() - HEADER_LEN) as u64);
        }
    }
}

/// The v1 traces to check: ours (Go 1.19 and 1.21) and, if Go 1.21.13 is installed, Go's own
/// test traces of Go 1.5 to 1.21, keyed as in `testdata/v1-counts.golden`.
fn v1_traces() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = common::traces_of(Family::V1)
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(common::testdata())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (format!("testdata:{rel}"), p)
        })
        .collect();
    if let Some(root) = common::goroot_or_skip("1.21.13", "footprint of Go's v1 test traces") {
        let dir = root.join("src/internal/trace/testdata");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for p in files {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            out.push((format!("go1.21.13:{name}"), p));
        }
    }
    out
}

/// Go 1.21's `readTrace` counts per type, strings as type 37, by key.
fn go_v1_counts() -> BTreeMap<String, BTreeMap<u8, u64>> {
    let text = std::fs::read_to_string(common::testdata().join("v1-counts.golden")).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let mut fields = line.split(' ').skip(1);
        let key = fields.next().unwrap().to_string();
        let mut by_type = BTreeMap::new();
        for kv in fields {
            let (k, v) = kv.split_once('=').unwrap();
            match k {
                "events" => {}
                "strings" => {
                    let n: u64 = v.parse().unwrap();
                    if n > 0 {
                        by_type.insert(37, n);
                    }
                }
                _ => {
                    by_type.insert(k.parse().unwrap(), v.parse().unwrap());
                }
            }
        }
        out.insert(key, by_type);
    }
    out
}

#[test]
fn v1_bytes_add_up_to_the_file_and_counts_are_the_records() {
    let go = go_v1_counts();
    let mut versions = std::collections::BTreeSet::new();
    let (mut checked, mut against_go) = (0, 0);
    for (key, path) in v1_traces() {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(version) = Version::from_header(&bytes) else {
            continue;
        };
        assert_eq!(version.family(), Family::V1, "{key}");
        versions.insert(version);
        let f = footprint(&bytes, &path);
        assert_eq!(f.bytes(), (bytes.len() - HEADER_LEN) as u64, "{key}");

        // Each type's count is the raw decoder's, and its bytes those of its records.
        let mut counts: BTreeMap<u8, u64> = BTreeMap::new();
        let mut sizes: BTreeMap<u8, u64> = BTreeMap::new();
        let trace = Trace::parse(&bytes).unwrap();
        let mut events = trace.raw_events().unwrap();
        let mut last: Option<(u8, u64)> = None;
        while let Some(ev) = events.next_event().unwrap() {
            *counts.entry(ev.ty().0).or_default() += 1;
            if let Some((ty, at)) = last.replace((ev.ty().0, ev.offset())) {
                *sizes.entry(ty).or_default() += ev.offset() - at;
            }
        }
        if let Some((ty, at)) = last {
            *sizes.entry(ty).or_default() += bytes.len() as u64 - at;
        }
        for ty in 0..=u8::MAX {
            let s = f.stats(EventType(ty));
            assert_eq!(
                s.count,
                counts.get(&ty).copied().unwrap_or(0),
                "{key} type {ty}"
            );
            assert_eq!(
                s.bytes,
                sizes.get(&ty).copied().unwrap_or(0),
                "{key} type {ty}"
            );
        }
        assert_eq!(f.events(), counts.values().sum::<u64>(), "{key}");
        if let Some(want) = go.get(&key) {
            let ours: BTreeMap<u8, u64> = counts
                .iter()
                .filter(|(_, &n)| n > 0)
                .map(|(&t, &n)| (t, n))
                .collect();
            assert_eq!(&ours, want, "{key}: counts differ from Go 1.21's readTrace");
            against_go += 1;
        }

        // The same table as Go prints for v2 traces, with the v1 names.
        let text = table(&f);
        assert_eq!(text.lines().count(), 258, "{key}");
        let first = text.lines().nth(2).unwrap();
        let top = f.rows()[0];
        assert!(first.starts_with(f.name(top.ty).as_ref()), "{key}: {first}");
        assert!(text.contains("\nBatch "), "{key}");
        checked += 1;
    }
    assert!(checked >= 22, "{checked} v1 traces");
    assert_eq!(
        against_go, checked,
        "v1 traces missing from v1-counts.golden"
    );
    if checked > 22 {
        // Go's test traces cover every v1 header but 1.8.
        assert!(versions.len() >= 7, "{versions:?}");
        eprintln!("{checked} v1 traces, {} versions", versions.len());
    }
}

/// The offsets where a v2 trace's batches start, and its end: a cut there leaves whole batches.
fn batch_boundaries(bytes: &[u8]) -> Vec<usize> {
    let trace = Trace::parse(bytes).unwrap();
    let mut out: Vec<usize> = trace
        .batches()
        .unwrap()
        .map(|b| b.unwrap().offset() as usize)
        .collect();
    out.push(bytes.len());
    out
}

/// A cut v2 trace is read as Go's raw reader reads it (what `go tool trace -d=footprint`
/// prints): it ends where an event, an argument, a frame or a data byte would begin, and fails
/// inside a varint. A v1 trace cut anywhere but between records is an error. From memory and
/// streamed alike; a cut between batches or records gives the table of what is before it.
/// Never a panic.
#[test]
fn a_cut_trace_reads_as_gos_raw_reader_reads_it() {
    for rel in [
        "go1.22.10/chan.trace",
        "go1.26.6/annotations.trace",
        "go1.21.13/chan.trace",
    ] {
        let path = common::testdata().join("traces").join(rel);
        let bytes = std::fs::read(&path).unwrap();
        let version = Version::from_header(&bytes).unwrap();
        let whole: Vec<usize> = match version.family() {
            Family::V2 => batch_boundaries(&bytes),
            Family::V1 => {
                let trace = Trace::parse(&bytes).unwrap();
                let mut at: Vec<usize> = trace
                    .raw_events()
                    .unwrap()
                    .map(|e| e.unwrap().offset() as usize)
                    .collect();
                at.push(bytes.len());
                at
            }
        };
        let (mut errors, mut shorter, mut at_boundaries) = (0, 0, 0);
        let mut last_events = 0;
        for cut in 0..bytes.len() {
            let input = &bytes[..cut];
            let streamed = Footprint::from_read(input);
            let memory = Trace::parse(input).and_then(|t| Footprint::of_trace(&t));
            match (memory, streamed) {
                (Ok(m), Ok(s)) => {
                    assert_eq!(table(&m), table(&s), "{rel} cut at {cut}");
                    assert_eq!(m.trace_bytes(), cut as u64);
                    // The longer the cut, the more events.
                    assert!(m.events() >= last_events, "{rel} cut at {cut}");
                    last_events = m.events();
                    shorter += 1;
                    at_boundaries += usize::from(whole.contains(&cut));
                }
                (Err(_), Err(_)) => {
                    assert!(
                        cut < HEADER_LEN || !whole.contains(&cut),
                        "{rel} cut at {cut}: a cut between batches or records is a shorter trace"
                    );
                    errors += 1;
                }
                (m, s) => panic!("{rel} cut at {cut}: from memory {m:?}, streamed {s:?}"),
            }
        }
        // Every boundary but the end of the trace, which no cut reaches.
        assert_eq!(at_boundaries, whole.len() - 1, "{rel}");
        match version.family() {
            // Go 1.22+ pads every batch's size to ten bytes: cuts inside it fail.
            Family::V2 => assert!(errors > 100 && shorter > 1000, "{rel}: {errors} {shorter}"),
            Family::V1 => assert!(errors > 1000, "{rel}: {errors} errors"),
        }
    }
}

/// Bytes that are no trace, or a v2 trace with a byte changed: an error or a table, no panic.
#[test]
fn damaged_traces_do_not_panic() {
    let bytes = std::fs::read(common::testdata().join("traces/go1.27.3/chan.trace")).unwrap();
    for i in HEADER_LEN..bytes.len() {
        for flip in [0x80u8, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            if let Ok(f) = Footprint::from_read(&b[..]) {
                let _ = table(&f);
            }
            if let Ok(t) = Trace::parse(&b) {
                let _ = Footprint::of_trace(&t);
            }
        }
    }
    assert!(Footprint::from_read(&b"not a trace at all"[..]).is_err());
    assert!(Footprint::from_read(&b""[..]).is_err());
}
