//! Writes damaged copies of traces, the same ones every run: for differential tests of what a
//! reader does with broken input (`scripts/conformance.sh`, stage `broken`).
//!
//! Usage: `trace-damage [--seed N] [--each N] OUTDIR INPUT...`
//!
//! Each INPUT is a trace, or a file of Go's fuzz corpus (`go test fuzz v1` and one
//! `[]byte("...")` value), which is decoded and written as it is. Of each trace it writes `N`
//! (default 24) copies, named `STEM.KIND-A-B.trace` after the input's parent directory and file
//! stem, in four kinds:
//!
//! - `cut`: the first bytes only: at random points, at batch boundaries, and a few bytes into
//!   a batch's header;
//! - `flip`: one bit flipped;
//! - `ff`: a run of 1–16 bytes overwritten with `0xff`;
//! - `splice`: a range of bytes dropped or repeated, or the trace up to one of its batches
//!   followed by the next input trace of the same version from one of its batches.
//!
//! Where damage falls is drawn from a generator seeded by `--seed` (default 1) and the
//! input's name, so the same arguments write the same files.

use gotrace::format::text::quote::unquote;
use gotrace::format::{Family, Trace, Version, HEADER_LEN};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: trace-damage [--seed N] [--each N] OUTDIR INPUT...";

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number in `lo..hi` (`lo` if the range is empty).
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % (hi - lo) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.range(0, items.len()))
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// An input: its name for the output files, its bytes, its version (if it has a readable
/// header) and the byte offsets of its batches (Go 1.22+).
struct Input {
    name: String,
    bytes: Vec<u8>,
    version: Option<Version>,
    batches: Vec<usize>,
}

/// The one `[]byte("...")` value of a file of Go's `go test fuzz v1` corpus.
fn go_fuzz_bytes(text: &str) -> Option<Vec<u8>> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some("go test fuzz v1") {
        return None;
    }
    let lit = lines.next()?.strip_prefix("[]byte(")?.strip_suffix(')')?;
    unquote(lit.as_bytes())
}

fn read_input(path: &Path) -> Result<(Input, bool), String> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let fuzz = raw.starts_with(b"go test fuzz v1");
    let bytes = if fuzz {
        let text = String::from_utf8(raw).map_err(|_| format!("{}: not UTF-8", path.display()))?;
        go_fuzz_bytes(&text).ok_or_else(|| format!("{}: not a []byte value", path.display()))?
    } else {
        raw
    };
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let dir = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_string_lossy().into_owned());
    let name = match (dir, stem) {
        (Some(d), Some(s)) => format!("{d}-{s}"),
        (_, Some(s)) => s,
        _ => "input".into(),
    };
    let version = Version::from_header(&bytes).ok();
    let mut batches = Vec::new();
    if let Ok(trace) = Trace::parse(&bytes) {
        if trace.version().family() == Family::V2 {
            if let Ok(all) = trace.batches() {
                batches = all
                    .map_while(Result::ok)
                    .map(|b| b.offset() as usize)
                    .collect();
            }
        }
    }
    let input = Input {
        name,
        bytes,
        version,
        batches,
    };
    Ok((input, fuzz))
}

/// The damaged copies of `input`: names and bytes. `other` is the next input of the same
/// version, for splices across traces.
fn damage(input: &Input, other: Option<&Input>, seed: u64, each: usize) -> Vec<(String, Vec<u8>)> {
    let b = &input.bytes;
    let len = b.len();
    let body = HEADER_LEN.min(len);
    let mut rng = Rng(seed ^ fnv(input.name.as_bytes()));
    let mut out = Vec::new();
    let kinds = ["cut", "flip", "ff", "splice"];
    for i in 0..each {
        let kind = kinds[i % kinds.len()];
        let (tag, bytes) = match kind {
            "cut" => {
                let at = match (i / kinds.len()) % 3 {
                    // At a batch boundary, or a few bytes into a batch's header.
                    0 => rng.pick(&input.batches).copied().unwrap_or(len / 2),
                    1 => rng
                        .pick(&input.batches)
                        .map_or(len / 3, |&o| o + rng.range(1, 5)),
                    _ => rng.range(body, len),
                };
                let at = at.min(len);
                (format!("cut-{at}"), b[..at].to_vec())
            }
            "flip" => {
                let at = rng.range(body, len);
                let bit = rng.range(0, 8);
                let mut d = b.clone();
                if let Some(x) = d.get_mut(at) {
                    *x ^= 1 << bit;
                }
                (format!("flip-{at}-{bit}"), d)
            }
            "ff" => {
                let at = rng.range(body, len);
                let n = rng.range(1, 17);
                let mut d = b.clone();
                for x in d.iter_mut().skip(at).take(n) {
                    *x = 0xff;
                }
                (format!("ff-{at}-{n}"), d)
            }
            _ => match (i / kinds.len()) % 3 {
                0 => {
                    // Drop a range.
                    let from = rng.range(body, len);
                    let to = rng.range(from, len.min(from + 400) + 1);
                    let mut d = b[..from].to_vec();
                    d.extend_from_slice(&b[to..]);
                    (format!("splice-drop-{from}-{to}"), d)
                }
                1 => {
                    // Repeat a range.
                    let from = rng.range(body, len);
                    let to = rng.range(from, len.min(from + 400) + 1);
                    let mut d = b[..to].to_vec();
                    d.extend_from_slice(&b[from..]);
                    (format!("splice-dup-{from}-{to}"), d)
                }
                _ => {
                    // Up to one of our batches, then the other trace from one of its batches.
                    let at = rng.pick(&input.batches).copied().unwrap_or(len).min(len);
                    let mut d = b[..at].to_vec();
                    let (name, from) = match other {
                        Some(o) => {
                            let from = rng.pick(&o.batches).copied().unwrap_or(body);
                            d.extend_from_slice(o.bytes.get(from..).unwrap_or_default());
                            (o.name.as_str(), from)
                        }
                        None => {
                            let from = rng.pick(&input.batches).copied().unwrap_or(body);
                            d.extend_from_slice(b.get(from..).unwrap_or_default());
                            ("self", from)
                        }
                    };
                    (format!("splice-{at}-{name}-{from}"), d)
                }
            },
        };
        out.push((format!("{}.{tag}.trace", input.name), bytes));
    }
    out
}

fn run() -> Result<(), String> {
    let mut args = std::env::args_os().skip(1);
    let (mut seed, mut each) = (1u64, 24usize);
    let mut rest: Vec<PathBuf> = Vec::new();
    while let Some(a) = args.next() {
        let mut number = |flag: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.to_str().and_then(|v| v.parse().ok()))
                .ok_or(format!("{flag} needs a number"))
        };
        match a.to_str() {
            Some("--seed") => seed = number("--seed")?,
            Some("--each") => each = number("--each")? as usize,
            Some(s) if s.starts_with('-') => return Err(format!("unknown flag {s}")),
            _ => rest.push(a.into()),
        }
    }
    if rest.len() < 2 {
        return Err("an output directory and at least one input are needed".into());
    }
    let outdir = rest.remove(0);
    std::fs::create_dir_all(&outdir).map_err(|e| format!("{}: {e}", outdir.display()))?;
    let mut inputs = Vec::new();
    for path in &rest {
        inputs.push(read_input(path)?);
    }
    let write = |name: &str, bytes: &[u8]| {
        let path = outdir.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))
    };
    for (i, (input, fuzz)) in inputs.iter().enumerate() {
        if *fuzz {
            // Go's fuzz corpus is damaged already: as it is.
            write(&format!("{}.trace", input.name), &input.bytes)?;
            continue;
        }
        // The next trace of the same version, round the list.
        let other = (1..inputs.len())
            .map(|k| &inputs[(i + k) % inputs.len()])
            .find(|(o, f)| !f && o.version.is_some() && o.version == input.version)
            .map(|(o, _)| o);
        for (name, bytes) in damage(input, other, seed, each) {
            write(&name, &bytes)?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-damage: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
