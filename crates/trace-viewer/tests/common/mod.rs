//! What the timeline tests share.

use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// The `.trace` files in `dir`.
fn trace_files(dir: &Path) -> impl Iterator<Item = PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
}

/// Every testdata trace (all versions), sorted.
pub fn traces() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(testdata().join("traces"))
        .unwrap()
        .flat_map(|dir| trace_files(&dir.unwrap().path()))
        .collect();
    out.sort();
    out
}

/// The regression traces (fresh traces on which a live conformance run once found something),
/// sorted.
#[allow(dead_code)] // Not every test file uses it.
pub fn regressions() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = trace_files(&testdata().join("regressions")).collect();
    out.sort();
    out
}
