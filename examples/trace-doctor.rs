//! What's wrong with this trace? The on-call runbook as an analysis: long stop-the-world
//! pauses, oversubscription, GC mark assists, lock contention, slow network calls, goroutine
//! leaks and serial bottlenecks, each with its evidence, the runbook's advice and the commands
//! to run next.
//!
//! Usage: `trace-doctor [--json] [--threshold NAME=VALUE]... [--salvage] TRACE`
//!
//! Findings are listed most severe first; a healthy trace has none ("no findings"). `--json`
//! writes `{"findings":[{"id","severity","summary","evidence":{...},"advice","next":[...]}]}`.
//! Thresholds (`trace_model::doctor::Thresholds`): `stw`, `sched-min`, `assist`, `net`,
//! `serial`, `bucket` take durations (`1ms`, `500us`), `sched-ratio` and `mutex-share` numbers,
//! `leaked` a count. Exit status 0 with or without findings, 1 if the trace can't be read, 2
//! for bad arguments.
//!
//! One streaming pass: memory holds live goroutines and bounded tables, not the events.
//!
//! With `--salvage`, a broken trace is read as far as it can be trusted
//! (`gotrace::model::Reader::salvage`): every complete generation, then what of the broken one
//! can be ordered. What was dropped goes to stderr, and the exit status is 0.

#[path = "common/mod.rs"]
mod common;

use gotrace::model::doctor::{findings_json, Doctor, Finding, Thresholds, Value};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: trace-doctor [--json] [--salvage] [--threshold NAME=VALUE]... TRACE";

struct Args {
    json: bool,
    thresholds: Thresholds,
    path: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = common::args_os().into_iter();
    let (mut json, mut thresholds, mut path) = (false, Thresholds::default(), None);
    while let Some(a) = args.next() {
        let a = a
            .into_string()
            .map_err(|a| format!("argument is not UTF-8: {a:?}"))?;
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        match flag.as_str() {
            "--json" if inline.is_none() => json = true,
            "--threshold" => {
                let v = match inline {
                    Some(v) => v,
                    None => args
                        .next()
                        .and_then(|v| v.into_string().ok())
                        .ok_or("--threshold needs NAME=VALUE")?,
                };
                let (name, value) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--threshold {v:?}: want NAME=VALUE"))?;
                thresholds.set(name, value)?;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown flag {a}")),
            _ if path.is_none() => path = Some(a),
            _ => return Err("more than one trace given".into()),
        }
    }
    Ok(Args {
        json,
        thresholds,
        path: path.ok_or("no trace given")?,
    })
}

fn print_value(out: &mut impl Write, indent: usize, name: &str, v: &Value) -> std::io::Result<()> {
    let pad = " ".repeat(indent);
    match v {
        Value::List(items) => {
            writeln!(out, "{pad}{name}:")?;
            for item in items {
                match item {
                    Value::Obj(fields) => {
                        let mut first = true;
                        for (k, v) in fields {
                            let lead = if first { "- " } else { "  " };
                            first = false;
                            match v {
                                Value::List(lines) => {
                                    writeln!(out, "{pad}  {lead}{k}:")?;
                                    for l in lines {
                                        writeln!(out, "{pad}        {}", scalar(l))?;
                                    }
                                }
                                v => writeln!(out, "{pad}  {lead}{k}: {}", scalar(v))?,
                            }
                        }
                    }
                    v => writeln!(out, "{pad}  - {}", scalar(v))?,
                }
            }
            Ok(())
        }
        v => writeln!(out, "{pad}{name}: {}", scalar(v)),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.clone(),
        v => {
            let mut s = String::new();
            v.write_json(&mut s);
            s
        }
    }
}

fn print(out: &mut impl Write, findings: &[Finding], path: &str) -> std::io::Result<()> {
    if findings.is_empty() {
        return writeln!(
            out,
            "no findings: nothing in the runbook shows in this trace"
        );
    }
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "[{}] {}: {}", f.severity.name(), f.id, f.summary)?;
        writeln!(out, "  evidence:")?;
        if let Value::Obj(fields) = &f.evidence {
            for (k, v) in fields {
                print_value(out, 4, k, v)?;
            }
        }
        writeln!(out, "  advice: {}", f.advice)?;
        writeln!(out, "  next:")?;
        for c in f.next_commands(path) {
            writeln!(out, "    {c}")?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("trace-doctor: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let file = match std::fs::File::open(&args.path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("trace-doctor: {}: {e}", args.path);
            return ExitCode::FAILURE;
        }
    };
    let mut doctor = Doctor::new(args.thresholds);
    let read = common::reader(file).and_then(|mut r| r.feed(&mut doctor).map(|_| r));
    match read {
        Ok(r) => common::report_salvage("trace-doctor", args.path.as_ref(), &r),
        Err(e) => {
            eprintln!("trace-doctor: {e}");
            return ExitCode::FAILURE;
        }
    }
    let findings = doctor.finish();
    let mut out = BufWriter::new(common::Stdout::lock());
    let written = if args.json {
        writeln!(out, "{}", findings_json(&findings, &args.path))
    } else {
        print(&mut out, &findings, &args.path)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace-doctor: {e}");
            ExitCode::FAILURE
        }
    }
}
