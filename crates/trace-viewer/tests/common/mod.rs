//! What the timeline tests share.

use std::path::{Path, PathBuf};

/// Every testdata trace (all versions), sorted.
pub fn traces() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/traces");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "trace") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
