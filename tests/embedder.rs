//! The workspace as a program outside it meets it: only `gotrace`'s public API, as the README
//! shows it. A stream read one byte at a time gives the events a read from memory gives (v1,
//! v2 and Go's raw text format); the reader moves to another thread; an I/O error keeps its
//! kind; `?` works across the crates; one pass feeds several analyses.

use gotrace::format::{StreamReader, Trace};
use gotrace::model::{gc::GcAnalyzer, EventSink, Reader, Summarizer, Summary};
use gotrace::pprof::{compute, Filter, ProfileKind, Profiler};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/traces")
}

/// Every committed trace, and the raw text goldens (Go's `-d=wire`) beside the v2 ones.
fn inputs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(testdata()).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".trace") || name.ends_with(".raw.golden") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A source that hands out its bytes `n` at a time, as a socket or a decompressor may.
struct Chunked<'a> {
    rest: &'a [u8],
    n: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.n.min(buf.len()).min(self.rest.len());
        let (head, rest) = self.rest.split_at(k);
        buf[..k].copy_from_slice(head);
        self.rest = rest;
        Ok(k)
    }
}

/// A source that fails with `kind` after `after` bytes.
struct FailsAfter<'a> {
    rest: &'a [u8],
    after: usize,
    kind: io::ErrorKind,
}

impl Read for FailsAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.after == 0 {
            return Err(io::Error::new(self.kind, "the source went away"));
        }
        let k = self.after.min(buf.len()).min(self.rest.len());
        let (head, rest) = self.rest.split_at(k);
        buf[..k].copy_from_slice(head);
        self.rest = rest;
        self.after -= k;
        Ok(k)
    }
}

/// The events as Go prints them, and the error that ended them, if any.
fn dump(mut r: Reader<'_>) -> (Vec<String>, Option<String>) {
    let mut out = Vec::new();
    loop {
        match r.next_event() {
            Ok(Some(ev)) => out.push(ev.to_string()),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

#[test]
fn chunked_reads_give_the_events_of_memory() {
    let (mut v1, mut v2, mut text) = (0, 0, 0);
    for path in inputs() {
        let bytes = std::fs::read(&path).unwrap();
        let want = dump(Reader::new(&bytes).unwrap());
        assert!(want.1.is_none(), "{}: {:?}", path.display(), want.1);
        assert!(!want.0.is_empty(), "{}", path.display());
        for n in [1, 3, 15] {
            let got = dump(Reader::from_read(Chunked { rest: &bytes, n }).unwrap());
            assert!(
                got == want,
                "{}: {n}-byte reads differ from memory",
                path.display()
            );
        }
        if bytes.starts_with(b"Trace Go") {
            text += 1;
        } else if Trace::parse(&bytes).unwrap().version().minor() < 22 {
            v1 += 1;
        } else {
            v2 += 1;
        }
    }
    assert!(v1 >= 10 && v2 >= 60 && text >= 60, "{v1} {v2} {text}");
}

#[test]
fn one_byte_raw_reads_give_the_raw_events_of_memory() {
    for path in inputs() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.starts_with(b"Trace Go") {
            continue;
        }
        let want: Vec<String> = Trace::parse(&bytes)
            .unwrap()
            .raw_events()
            .unwrap()
            .map(|e| e.unwrap().to_string())
            .collect();
        let mut s = StreamReader::new(Chunked { rest: &bytes, n: 1 }).unwrap();
        let mut got = Vec::new();
        while let Some(ev) = s.next_raw_event().unwrap() {
            got.push(ev.to_string());
        }
        assert!(got == want, "{}", path.display());
    }
}

#[test]
fn the_stream_moves_to_another_thread() {
    let path = testdata().join("go1.27.3/net.trace");
    let want = dump(Reader::new(&std::fs::read(&path).unwrap()).unwrap());
    let reader = Reader::from_read(std::fs::File::open(&path).unwrap()).unwrap();
    let got = std::thread::spawn(move || dump(reader)).join().unwrap();
    assert_eq!(got, want);
    // A v1 trace and a text trace too.
    for rel in ["go1.21.13/net.trace", "go1.25.5/net.raw.golden"] {
        let file = std::fs::File::open(testdata().join(rel)).unwrap();
        let reader = Reader::from_read(file).unwrap();
        let (events, err) = std::thread::spawn(move || dump(reader)).join().unwrap();
        assert!(!events.is_empty() && err.is_none(), "{rel}: {err:?}");
    }
}

#[test]
fn an_io_error_keeps_its_kind() {
    let bytes = std::fs::read(testdata().join("go1.27.3/net.trace")).unwrap();
    for (after, kind) in [
        (0, io::ErrorKind::ConnectionReset),
        (10, io::ErrorKind::TimedOut),
        (bytes.len() / 2, io::ErrorKind::UnexpectedEof),
    ] {
        let src = FailsAfter {
            rest: &bytes,
            after,
            kind,
        };
        let err = match Reader::from_read(src) {
            Err(e) => e,
            Ok(r) => match dump(r) {
                (_, Some(_)) => {
                    // Read it again to keep the error value itself.
                    let src = FailsAfter {
                        rest: &bytes,
                        after,
                        kind,
                    };
                    let mut r = Reader::from_read(src).unwrap();
                    loop {
                        match r.next_event() {
                            Ok(Some(_)) => {}
                            Ok(None) => panic!("no error"),
                            Err(e) => break e,
                        }
                    }
                }
                (_, None) => panic!("{after}: no error"),
            },
        };
        assert_eq!(err.io_error().map(io::Error::kind), Some(kind), "{err}");
        // The standard way: down the chain of sources to the io::Error.
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        let mut found = None;
        while let Some(e) = source {
            if let Some(io) = e.downcast_ref::<io::Error>() {
                found = Some(io.kind());
            }
            source = e.source();
        }
        assert_eq!(found, Some(kind), "{err}");
        // Where it happened.
        assert!(err.offset().unwrap() <= after as u64 + 16, "{err:?}");
        // And through a profile's error.
        let src = FailsAfter {
            rest: &bytes,
            after,
            kind,
        };
        let perr = (|| -> Result<_, gotrace::pprof::Error> {
            let mut r = Reader::from_read(src)?;
            compute(&mut r, ProfileKind::Sched, &Filter::default())
        })()
        .unwrap_err();
        let gotrace::pprof::Error::Trace(inner) = &perr else {
            panic!("{perr:?}")
        };
        assert_eq!(inner.io_error().map(io::Error::kind), Some(kind));
    }
}

/// `?` on every crate's error inside a function returning a profile's error.
fn profile_with_question_marks(bytes: &[u8]) -> Result<usize, gotrace::pprof::Error> {
    let trace = Trace::parse(bytes)?; // trace_format::Error
    let _raw = trace.raw_events()?.count();
    let mut reader = Reader::new(bytes)?; // trace_model::Error
    let first = reader.next_event()?.map(|e| e.time());
    assert!(first.is_some());
    let records = compute(
        &mut Reader::new(bytes)?,
        ProfileKind::Sync,
        &Filter::default(),
    )?;
    let mut out = Vec::new();
    gotrace::pprof::write_gzip(&gotrace::pprof::build(&records), &mut out)?; // io::Error
    Ok(out.len())
}

#[test]
fn question_mark_works_across_crates() {
    let bytes = std::fs::read(testdata().join("go1.26.6/mutex.trace")).unwrap();
    assert!(profile_with_question_marks(&bytes).unwrap() > 0);
    let err = profile_with_question_marks(b"go 1.26 trace\0\0\0garbage").unwrap_err();
    assert!(matches!(err, gotrace::pprof::Error::Trace(_)), "{err:?}");
    // And into the error every application has.
    let boxed: Box<dyn std::error::Error + Send + Sync> = err.into();
    assert!(!boxed.to_string().is_empty());
}

#[test]
fn one_pass_feeds_several_analyses() {
    for rel in [
        "go1.27.3/net.trace",
        "go1.22.10/mutex.trace",
        "go1.19/net.trace",
    ] {
        let bytes = std::fs::read(testdata().join(rel)).unwrap();
        let mut all = (
            Profiler::new(ProfileKind::Net, Filter::default()),
            Profiler::new(ProfileKind::Sched, Filter::default()),
            Summarizer::new(),
            GcAnalyzer::new(),
        );
        let n = Reader::new(&bytes)
            .unwrap()
            .feed_pipelined(&mut all)
            .unwrap();
        assert!(n > 0);
        let (net, sched, summary, gc) = all;
        let each = |kind| compute(&mut Reader::new(&bytes).unwrap(), kind, &Filter::default());
        assert_eq!(
            net.finish().unwrap(),
            each(ProfileKind::Net).unwrap(),
            "{rel}"
        );
        assert_eq!(
            sched.finish().unwrap(),
            each(ProfileKind::Sched).unwrap(),
            "{rel}"
        );
        let alone = Summary::of(Reader::new(&bytes).unwrap()).unwrap();
        let summary = summary.finish();
        assert_eq!(summary.goroutines.len(), alone.goroutines.len(), "{rel}");
        for (id, g) in &alone.goroutines {
            assert_eq!(
                summary.goroutines[id].stats.exec, g.stats.exec,
                "{rel} g{id}"
            );
        }
        let mut gc_alone = GcAnalyzer::new();
        Reader::new(&bytes).unwrap().feed(&mut gc_alone).unwrap();
        assert_eq!(gc.finish(), gc_alone.finish(), "{rel}");
    }
}

/// A sink of the embedder's own, next to the workspace's.
#[test]
fn an_embedders_sink() {
    struct Blocked(usize);
    impl EventSink for Blocked {
        fn event(&mut self, ev: &gotrace::model::Event) {
            let to = ev
                .state_transition()
                .and_then(|t| t.goroutine())
                .map(|t| t.1);
            self.0 += usize::from(to == Some(gotrace::model::GoState::Waiting));
        }
    }
    let bytes = std::fs::read(testdata().join("go1.24.11/chan.trace")).unwrap();
    let mut sinks: Vec<Box<dyn EventSink + Send>> = vec![Box::new(Blocked(0))];
    let mut mine = Blocked(0);
    Reader::new(&bytes)
        .unwrap()
        .feed_pipelined(&mut (&mut sinks, &mut mine))
        .unwrap();
    assert!(mine.0 > 0);
}
