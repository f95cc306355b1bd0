//! Writes a synthetic Go execution trace: a valid trace of goroutines being created, running,
//! blocking, unblocking, in syscalls (with their P stolen or not), of Ps started and stopped, GC
//! cycles and stop-the-world pauses, across several Ms, Ps and generations, in the wire format of
//! a chosen Go version. The same arguments always write the same bytes.
//!
//! Usage: `trace-synth [--go 1.22|1.23|1.25|1.26] [--ms N] [--ps N] [--steps N] [--seed N] OUT`
//!
//! Defaults: Go 1.26's format, 3 Ms, 2 Ps, 1000 steps (those not possible when drawn are
//! skipped), seed 1. Go's own reader accepts what it writes: `go tool trace -d=parsed OUT`.

use gotrace::format::synth::Schedule;
use gotrace::format::Version;
use std::process::ExitCode;

const USAGE: &str =
    "usage: trace-synth [--go 1.22|1.23|1.25|1.26] [--ms N] [--ps N] [--steps N] [--seed N] OUT";

struct Args {
    version: Version,
    ms: u8,
    ps: u8,
    steps: usize,
    seed: u64,
    out: std::ffi::OsString,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args_os().skip(1);
    let mut a = Args {
        version: Version::Go1_26,
        ms: 3,
        ps: 2,
        steps: 1000,
        seed: 1,
        out: Default::default(),
    };
    let mut out = None;
    while let Some(arg) = args.next() {
        let flag = arg.to_str().unwrap_or_default().to_string();
        if !flag.starts_with("--") {
            if out.replace(arg).is_some() {
                return Err("more than one output given".into());
            }
            continue;
        }
        let value = args
            .next()
            .and_then(|v| v.into_string().ok())
            .ok_or(format!("{flag} needs a value"))?;
        let bad = || format!("bad {flag} {value:?}");
        match flag.as_str() {
            "--go" => {
                a.version = match value.as_str() {
                    "1.22" => Version::Go1_22,
                    "1.23" | "1.24" => Version::Go1_23,
                    "1.25" => Version::Go1_25,
                    "1.26" | "1.27" => Version::Go1_26,
                    _ => return Err(bad()),
                }
            }
            "--ms" | "--ps" => {
                let n = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=16).contains(n))
                    .ok_or_else(bad)?;
                if flag == "--ms" {
                    a.ms = n;
                } else {
                    a.ps = n;
                }
            }
            "--steps" => a.steps = value.parse().map_err(|_| bad())?,
            "--seed" => a.seed = value.parse().map_err(|_| bad())?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    a.out = out.ok_or("no output given")?;
    Ok(a)
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trace-synth: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let out = Schedule::random(a.version, a.ms, a.ps, a.steps, a.seed).write();
    if let Err(e) = std::fs::write(&a.out, &out.bytes) {
        eprintln!("trace-synth: {}: {e}", a.out.to_string_lossy());
        return ExitCode::FAILURE;
    }
    eprintln!(
        "trace-synth: {} bytes, {} of {} steps played, {} batches",
        out.bytes.len(),
        out.played,
        a.steps,
        out.batches.len()
    );
    ExitCode::SUCCESS
}
