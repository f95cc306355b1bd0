//! Go 1.5–1.10 traces, which no current Go reads (so there is nothing to compare with): the
//! timeline of each of Go 1.21.13's test traces of those formats comes out whole and well
//! formed in every view, with goroutine slices, and the same on every run. The trace Go
//! refuses for its clock (`stress_1_5_unordered`) is an error, not a timeline.

use std::path::{Path, PathBuf};
use std::process::Command;
use trace_viewer::{Focus, Options, View};

/// GOROOT of Go 1.21.13 (`$GOTRACE_GOROOT_1_21_13`, else the install the scripts make in
/// `~/.cache/go-1.21.13`), as the other crates' tests find it; `None`, with a message, if absent.
fn goroot_or_skip() -> Option<PathBuf> {
    let found = std::env::var_os("GOTRACE_GOROOT_1_21_13")
        .map(PathBuf::from)
        .or_else(|| {
            let home = std::env::var_os("HOME")?;
            let go = Path::new(&home).join(".cache/go-1.21.13/bin/go");
            let out = Command::new(go).args(["env", "GOROOT"]).output().ok()?;
            let root = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
            (out.status.success() && root.is_dir()).then_some(root)
        });
    if found.is_none() {
        eprintln!(
            "SKIPPED: Go 1.21.13 is not installed (scripts/install-go.sh 1.21.13 installs it)"
        );
    }
    found
}

fn well_formed(doc: &[u8], what: &str, slices: bool) {
    assert!(
        doc.starts_with(b"{\"displayTimeUnit\":\"ns\"\n,\"traceEvents\": [{"),
        "{what}: header"
    );
    assert!(doc.ends_with(b"}\n}"), "{what}: end");
    let cut = doc
        .windows(17)
        .position(|w| w == b"], \"stackFrames\":")
        .expect("stackFrames");
    let body = &doc[..cut];
    let mut x = 0;
    for line in body.split(|&c| c == b'\n').skip(1) {
        let line = line.strip_prefix(b",").unwrap_or(line);
        let line = line.strip_prefix(b"\"traceEvents\": [").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        assert!(
            line.starts_with(b"{\"") && line.ends_with(b"}"),
            "{what}: event line"
        );
        x += usize::from(line.windows(8).any(|w| w == b"\"ph\":\"X\""));
    }
    assert!(x > 0 || !slices, "{what}: no slices");
}

#[test]
fn go_1_5_to_1_10_traces_give_timelines() {
    let Some(root) = goroot_or_skip() else {
        return;
    };
    let dir = root.join("src/internal/trace/testdata");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let old = ["_1_5_", "_1_7_", "_1_9_", "_1_10_"]
            .iter()
            .any(|v| name.contains(v));
        if !old {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if name.contains("unordered") {
            assert!(trace_viewer::write_json(&bytes, Options::default(), Vec::new()).is_err());
            continue;
        }
        let mut goid = Options::default();
        goid.focus = Focus::goroutine(&bytes, 1).unwrap();
        for (view, opts) in [
            ("proc", Options::view(View::Proc)),
            ("thread", Options::view(View::Thread)),
            ("goid=1", goid),
        ] {
            let a = trace_viewer::write_json(&bytes, opts.clone(), Vec::new()).unwrap();
            let b = trace_viewer::write_json(&bytes, opts, Vec::new()).unwrap();
            assert!(a == b, "{name} {view}: differs between runs");
            // Goroutine 1 may not run while a start/stop trace records.
            well_formed(&a, &format!("{name} {view}"), view != "goid=1");
        }
        n += 1;
    }
    assert!(n >= 10, "only {n} old traces in {}", dir.display());
}
