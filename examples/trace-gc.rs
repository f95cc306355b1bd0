//! The garbage collector in a Go trace: every GC cycle with its pauses, mark assists and heap,
//! the other stop-the-world pauses, and minimum mutator utilization (MMU) at standard windows,
//! as `go tool trace`'s `/mmu` page computes it.
//!
//! Usage: `trace-gc [--flags FLAGS] [--salvage] TRACE`
//!
//! FLAGS chooses what counts against the program in the MMU table, as the `/mmu` page's query
//! names it: `stw`, `background`, `assist`, `sweep` joined by `|`, with `perProc|` for the
//! per-goroutine view. Without it, the table shows the page's default system view
//! (`stw|background|assist`) next to its per-goroutine view (`perProc|stw|background|assist`).
//!
//! One streaming pass: memory holds the cycles and the utilization functions, not the events.
//!
//! A broken trace (cut short, say) is analysed as `go tool trace`'s `/mmu` page analyses it:
//! the events of its complete generations, those before the one where reading fails, with a
//! warning on stderr of what was left out; the exit status is 0.
//!
//! With `--salvage`, a broken trace is read as far as it can be trusted
//! (`gotrace::model::Reader::salvage`): every complete generation, then what of the broken one
//! can be ordered. What was dropped goes to stderr, and the exit status is 0.

#[path = "common/mod.rs"]
mod common;

use gotrace::model::gc::{GcAnalyzer, GcSummary, Pause};
use gotrace::model::mmu::{MmuCurve, UtilFlags, Utilization, DECADE_WINDOWS};
use gotrace::model::summary::GoDuration;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: trace-gc [--flags FLAGS] [--salvage] TRACE";

fn parse_args() -> Result<(std::ffi::OsString, Vec<UtilFlags>), String> {
    let mut args = common::args_os().into_iter();
    let (mut path, mut flags) = (None, Vec::new());
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--flags") => {
                let v = args.next().and_then(|v| v.into_string().ok());
                let v = v.ok_or("--flags needs a value")?;
                flags.push(UtilFlags::from_name(&v).ok_or(format!("bad --flags {v:?}"))?);
            }
            Some(s) if s.starts_with('-') && s.len() > 1 => {
                return Err(format!("unknown flag {s}"))
            }
            _ if path.is_none() => path = Some(a),
            _ => return Err("more than one trace given".into()),
        }
    }
    if flags.is_empty() {
        let system = UtilFlags::STW | UtilFlags::BACKGROUND | UtilFlags::ASSIST;
        flags = vec![system, UtilFlags::PER_PROC | system];
    }
    Ok((path.ok_or("no trace given")?, flags))
}

fn dur(d: Option<i64>) -> String {
    d.map_or("-".into(), |d| GoDuration(d).to_string())
}

fn bytes(b: Option<u64>) -> String {
    b.map_or("-".into(), |b| {
        format!("{:.1}MiB", b as f64 / (1 << 20) as f64)
    })
}

fn pause_line(out: &mut impl Write, p: &Pause, t0: i64) -> std::io::Result<()> {
    writeln!(
        out,
        "  at {:>14}  {:>12}  {}",
        GoDuration(p.start.wrapping_sub(t0)).to_string(),
        dur(p.duration()),
        String::from_utf8_lossy(&p.reason)
    )
}

fn print(
    out: &mut impl Write,
    gc: &GcSummary,
    mmu: &[(UtilFlags, MmuCurve)],
) -> std::io::Result<()> {
    let (t0, t1) = gc.span.unwrap_or((0, 0));
    writeln!(
        out,
        "trace: {}, {} GC cycles, stop-the-world {} in all, peak heap {}",
        GoDuration(t1.wrapping_sub(t0)),
        gc.cycles.len(),
        GoDuration(gc.stw_time()),
        bytes(gc.heap_peak)
    )?;
    writeln!(out, "\ncycles (times from the start of the trace):")?;
    writeln!(
        out,
        "{:>5}  {:>14}  {:>12}  {:>12}  {:>12}  {:>8}  {:>12}  {:>10}  {:>10}  {:>10}",
        "cycle",
        "start",
        "mark",
        "cycle",
        "stw",
        "assists",
        "assist time",
        "heap",
        "heap after",
        "next goal"
    )?;
    for c in &gc.cycles {
        let since = |t: Option<i64>| t.map(|t| t.wrapping_sub(t0));
        let mark = c.start.zip(c.mark_end).map(|(a, b)| b.wrapping_sub(a));
        let whole = c.start.zip(c.end).map(|(a, b)| b.wrapping_sub(a));
        writeln!(
            out,
            "{:>5}  {:>14}  {:>12}  {:>12}  {:>12}  {:>8}  {:>12}  {:>10}  {:>10}  {:>10}",
            c.n,
            since(c.start).map_or("(before)".into(), |t| GoDuration(t).to_string()),
            dur(mark),
            dur(whole),
            GoDuration(c.stw_time()).to_string(),
            c.assists,
            GoDuration(c.assist_time).to_string(),
            bytes(c.heap_before),
            bytes(c.heap_after),
            bytes(c.heap_goal),
        )?;
    }
    writeln!(out, "\npauses of the GC:")?;
    for c in &gc.cycles {
        for p in &c.pauses {
            pause_line(out, p, t0)?;
        }
    }
    if !gc.other_pauses.is_empty() {
        writeln!(out, "\nother stop-the-world pauses:")?;
        for p in &gc.other_pauses {
            pause_line(out, p, t0)?;
        }
    }
    writeln!(out, "\nminimum mutator utilization:")?;
    write!(out, "{:>8}", "window")?;
    for (f, _) in mmu {
        write!(out, "  {:>36}", f.name())?;
    }
    writeln!(out)?;
    for w in DECADE_WINDOWS {
        write!(out, "{:>8}", GoDuration(w).to_string())?;
        for (_, curve) in mmu {
            write!(out, "  {:>36}", format!("{:.4}", curve.mmu(w)))?;
        }
        writeln!(out)?;
    }
    let Some((flags, curve)) = mmu.first() else {
        return Ok(());
    };
    writeln!(out, "\nworst 1ms windows ({}):", flags.name())?;
    for w in curve.examples(1_000_000, 5) {
        writeln!(
            out,
            "  at {:>14}  utilization {:.4}",
            GoDuration(w.time.wrapping_sub(t0)).to_string(),
            w.util
        )?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let (path, flags) = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trace-gc: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Streaming: one generation in memory at a time.
    let read = common::feed_trace("trace-gc", &path, false, common::Keep::Complete, || {
        let utils: Vec<Utilization> = flags.iter().map(|&f| Utilization::new(f)).collect();
        (GcAnalyzer::new(), utils)
    });
    let (gc, utils) = match read {
        Ok(((gc, utils), broken)) => {
            if let Some(b) = broken {
                b.warn("trace-gc", "analysed", false);
            }
            (gc, utils)
        }
        Err(e) => {
            eprintln!("trace-gc: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut curves = Vec::new();
    for (f, u) in flags.iter().zip(utils) {
        match u.finish() {
            Ok(u) => curves.push((*f, MmuCurve::new(u))),
            Err(e) => {
                eprintln!("trace-gc: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut out = BufWriter::new(common::Stdout::lock());
    match print(&mut out, &gc.finish(), &curves).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-gc: {e}");
            ExitCode::FAILURE
        }
    }
}
