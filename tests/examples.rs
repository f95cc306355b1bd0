//! The analysis examples as a user runs them: `trace-goroutines --json` prints Go's goroutine
//! summaries (the committed goldens), its table and `--name` list agree with them, `trace-gc`
//! reports the cycles the GC analyzer finds, `trace-stats` counts what Go's reader gives,
//! `trace-check` finds sound what Go reads and reports Go's error where Go fails,
//! `trace-footprint` prints Go's `-d=footprint` table (and one for v1 traces, which Go can't
//! read), `trace-doctor` finds nothing on a healthy trace and the runbook's finding on a sick
//! one (text, `--json`, `--threshold`), `trace-regions` and `trace-tasks --json` print Go's
//! region and task pages, `trace-diff` ranks the experiment's slowed region first, bad
//! arguments exit 2 with the usage, and with `--salvage` every tool that reads traces reads a
//! cut one past where Go's stop.
//!
//! `cargo test` builds the examples next to the test binary's directory; if they are missing
//! (a test run without examples), the test says so and fails.

use std::path::PathBuf;
use std::process::{Command, Output};

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/examples-HASH -> target/<profile>/examples/NAME
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built (cargo test builds examples)",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&str]) -> Output {
    Command::new(example(name)).args(args).output().unwrap()
}

fn testdata(rel: &str) -> String {
    format!("{}/testdata/traces/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn trace_goroutines_json_is_gos_summary() {
    for rel in [
        "go1.27.3/annotations",
        "go1.22.10/net",
        "go1.19/gc",
        "go1.25.5/unfinished",
    ] {
        let out = run(
            "trace-goroutines",
            &["--json", &testdata(&format!("{rel}.trace"))],
        );
        assert!(
            out.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = std::fs::read(testdata(&format!("{rel}.goroutines.golden"))).unwrap();
        assert!(
            out.stdout == want,
            "{rel}: --json differs from Go's summary"
        );
    }
}

#[test]
fn trace_regions_and_trace_tasks_json_are_gos_pages() {
    for rel in [
        "go1.27.3/annotations",
        "go1.22.10/unfinished",
        "go1.21.13/annotations",
        "go1.19/unfinished",
    ] {
        let trace = testdata(&format!("{rel}.trace"));
        for (name, kind) in [("trace-regions", "regions"), ("trace-tasks", "usertasks")] {
            let out = run(name, &["--json", &trace]);
            assert!(
                out.status.success(),
                "{name} {rel}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let want = std::fs::read(testdata(&format!("{rel}.{kind}.golden"))).unwrap();
            assert!(
                out.stdout == want,
                "{name} {rel}: --json differs from Go's page"
            );
        }
    }
}

#[test]
fn trace_regions_and_trace_tasks_tables() {
    let trace = testdata("go1.27.3/unfinished.trace");
    let out = run("trace-regions", &[&trace]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("type "), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("\"open-at-stop\" ") && l.contains(" main.main (main.go:")),
        "{text}"
    );
    assert!(text.contains("Execution time"), "{text}");

    let trace = testdata("go1.27.3/annotations.trace");
    let out = run("trace-regions", &["--type", "nested", &trace]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("regions \"nested\" at main.main"),
        "{text}"
    );
    assert!(text.contains("histogram of durations:"), "{text}");

    let out = run("trace-tasks", &[&trace]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("outer ") && l.contains(" 1 ")),
        "{text}"
    );
    let out = run("trace-tasks", &["--type", "inner", &trace]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("task 2 (complete)"), "{text}");
    assert!(
        text.contains("log (category: child): \"working\""),
        "{text}"
    );

    // A trace that can't be read: named, with the error, exit 1.
    for name in ["trace-regions", "trace-tasks"] {
        let out = run(name, &["/nonexistent.trace"]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.trace"));
        let cut =
            std::env::temp_dir().join(format!("gotrace-cut-{}-{name}.trace", std::process::id()));
        let bytes = std::fs::read(&trace).unwrap();
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let out = run(name, &[cut.to_str().unwrap()]);
        std::fs::remove_file(&cut).unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(cut.to_str().unwrap()), "{err}");
    }
}

fn diff_runs(version: &str, side: &str) -> Vec<String> {
    (1..=5)
        .map(|i| {
            format!(
                "{}/testdata/diff/go{version}/{side}-{i}.trace",
                env!("CARGO_MANIFEST_DIR")
            )
        })
        .collect()
}

#[test]
fn trace_diff_ranks_the_slowed_region_first() {
    for v in ["1.21.13", "1.27.3"] {
        let mut args: Vec<String> = diff_runs(v, "before");
        args.push("--".into());
        args.extend(diff_runs(v, "after"));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run("trace-diff", &argv);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let rows: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("regions: total time per run"))
            .skip(2)
            .take(4)
            .collect();
        assert!(
            rows[0].starts_with("\"compute\" ") && rows[0].contains("p=0.008 n=5+5"),
            "{text}"
        );
        assert!(rows[0].contains(" +"), "{text}");
        for name in ["parse", "wait"] {
            let row = rows
                .iter()
                .find(|r| r.starts_with(&format!("\"{name}\"")))
                .unwrap();
            assert!(row.contains("  ~  "), "{row}");
        }
        assert!(
            text.contains("goroutines: time per run, by start function"),
            "{text}"
        );
        assert!(text.contains("GC per run"), "{text}");

        // JSON, one section, per op.
        let mut json_args = vec!["--json", "--by", "region", "--per-op", "request"];
        json_args.extend(argv.iter());
        let out = run("trace-diff", &json_args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json = String::from_utf8(out.stdout).unwrap();
        assert!(
            json.starts_with("{\"alpha\":0.05,\"confidence\":0.95,\"per_op\":\"request\","),
            "{json}"
        );
        assert!(json.contains("\"ops\":[40,40,40,40,40]"), "{json}");
        assert!(
            json.contains("\"regions\":[{\"name\":\"compute\""),
            "{json}"
        );
        assert!(
            json.contains("\"goroutines\":[],\"tasks\":[],\"gc\":[]}"),
            "{json}"
        );
        for key in [
            "\"a\":{",
            "\"b\":{",
            "\"delta_ns\":",
            "\"ratio\":",
            "\"significant\":true",
        ] {
            assert!(json.contains(key), "{key}: {json}");
        }
    }
}

#[test]
fn trace_diff_bad_input() {
    let a = testdata("go1.27.3/annotations.trace");
    let b = diff_runs("1.22.10", "after").remove(0);
    // No region type in common: said so; an error if only regions were asked for.
    let out = run("trace-diff", &[&a, &b]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no region type in common"), "{err}");
    let out = run("trace-diff", &["--by", "region", &a, &b]);
    assert_eq!(out.status.code(), Some(1));
    // A trace that can't be read: named, exit 1.
    let out = run("trace-diff", &[&a, "/nonexistent.trace"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.trace"));
    let cut = std::env::temp_dir().join(format!("gotrace-diff-cut-{}.trace", std::process::id()));
    let bytes = std::fs::read(&b).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let out = run("trace-diff", &[&b, "--", &b, cut.to_str().unwrap()]);
    std::fs::remove_file(&cut).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(cut.to_str().unwrap()));
    // --per-op of nothing: exit 1, said.
    let out = run("trace-diff", &["--per-op", "nope", &b, &b]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"nope\""));
}

#[test]
fn trace_goroutines_table_and_name() {
    let trace = testdata("go1.27.3/mutex.trace");
    let out = run("trace-goroutines", &[&trace]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    let head = table.lines().next().unwrap();
    assert!(
        head.starts_with("name") && head.contains("sched_wait"),
        "{head}"
    );
    assert!(
        table.lines().any(|l| l.starts_with("main.main ")),
        "{table}"
    );

    // One group: one line per goroutine of that name, sorted by ID when asked.
    let want = std::fs::read_to_string(testdata("go1.27.3/mutex.goroutines.golden")).unwrap();
    let named = want
        .lines()
        .filter(|l| l.contains(r#""name":"main.main.func1""#))
        .count();
    assert!(named > 1);
    let out = run(
        "trace-goroutines",
        &["--name", "main.main.func1", "--sort", "id", &trace],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let ids: Vec<i64> = text
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), named, "{text}");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[test]
fn trace_gc_reports_the_cycles() {
    let trace = testdata("go1.27.3/gc.trace");
    let out = run("trace-gc", &[&trace]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let events = std::fs::read_to_string(testdata("go1.27.3/gc.events.golden")).unwrap();
    let cycles = events
        .lines()
        .filter(|l| l.contains("RangeBegin") && l.contains(r#"Name="GC concurrent mark phase""#))
        .count();
    assert!(cycles > 0);
    assert!(text.contains(&format!(", {cycles} GC cycles,")), "{text}");
    assert!(text.contains("minimum mutator utilization"), "{text}");
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    for (name, args) in [
        ("trace-goroutines", vec!["--bogus", "x"]),
        ("trace-goroutines", vec![]),
        ("trace-gc", vec!["--flags", "nonsense", "x"]),
        ("trace-check", vec![]),
        ("trace-check", vec!["--bogus", "x"]),
        ("trace-check", vec!["--threads", "3", "x"]),
        ("trace-check", vec!["--threads"]),
        ("trace-check", vec!["--threads", "1"]),
        ("trace-footprint", vec![]),
        ("trace-footprint", vec!["--json"]),
        ("trace-footprint", vec!["--bogus", "x"]),
        ("trace-footprint", vec!["a", "b"]),
        ("trace-regions", vec![]),
        ("trace-regions", vec!["--type"]),
        ("trace-regions", vec!["--bogus", "x"]),
        ("trace-regions", vec!["a", "b"]),
        ("trace-tasks", vec![]),
        ("trace-tasks", vec!["--bogus", "x"]),
        ("trace-tasks", vec!["a", "b"]),
        ("trace-diff", vec![]),
        ("trace-diff", vec!["a"]),
        ("trace-diff", vec!["a", "b", "c"]),
        ("trace-diff", vec!["a", "--"]),
        ("trace-diff", vec!["--", "b"]),
        ("trace-diff", vec!["--alpha", "2", "a", "b"]),
        ("trace-diff", vec!["--alpha", "x", "a", "b"]),
        ("trace-diff", vec!["--by", "heap", "a", "b"]),
        ("trace-diff", vec!["--stat", "p42", "a", "b"]),
        ("trace-diff", vec!["--per-op"]),
        ("trace-diff", vec!["--bogus", "a", "b"]),
    ] {
        let out = run(name, &args);
        assert_eq!(out.status.code(), Some(2), "{name} {args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
    }
    // A column that doesn't exist, and a trace that doesn't: failures, with a message.
    let trace = testdata("go1.27.3/chan.trace");
    let out = run("trace-goroutines", &["--sort", "nope", &trace]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column"));
    let out = run("trace-gc", &["/nonexistent.trace"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn trace_synth_writes_what_the_readers_read() {
    let dir = std::env::temp_dir().join(format!("gotrace-synth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for go in ["1.22", "1.23", "1.25", "1.26"] {
        let path = dir.join(format!("go{go}.trace"));
        let p = path.to_str().unwrap();
        let out = run("trace-synth", &["--go", go, "--ms", "4", "--seed", "9", p]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let first = std::fs::read(&path).unwrap();
        assert!(first.starts_with(format!("go {go} trace").as_bytes()));
        // The same arguments write the same bytes.
        assert!(
            run("trace-synth", &["--go", go, "--ms", "4", "--seed", "9", p])
                .status
                .success()
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            first,
            "go {go}: not deterministic"
        );
        let events = run("trace-events", &[p]);
        assert!(
            events.status.success(),
            "{}",
            String::from_utf8_lossy(&events.stderr)
        );
        let text = String::from_utf8(events.stdout).unwrap();
        assert!(
            text.lines().filter(|l| l.contains("GoID=")).count() > 100,
            "go {go}"
        );
    }
    let bad = run("trace-synth", &["--go", "1.21", "x"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("usage: trace-synth"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_closed_pipe_ends_the_streaming_examples_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    // Half a megabyte of output: far more than a pipe holds once its reader is gone.
    let trace = testdata("go1.22.10/gc.trace");
    for name in ["trace-events", "trace-raw"] {
        let mut child = Command::new(example(name))
            .arg(&trace)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The reader is gone now, as with `| head -c 16`.
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {:?} {err}", out.status);
        assert!(
            out.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `trace-stats` on every Go 1.22+ trace in testdata counts what Go's reader gives
/// (`.events.golden`, Go's `Event.String()` of each event): events by kind, generations,
/// goroutines, Ps and Ms, duration, GC cycles and stop-the-world time.
#[test]
fn trace_stats_counts_gos_events() {
    let mut checked = 0;
    for trace in testdata_traces() {
        // Go's reader (and so a golden of its events) is for Go 1.22 and later.
        let dir = trace
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy();
        let minor: u32 = dir
            .trim_start_matches("go1.")
            .split('.')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        if minor < 22 {
            continue;
        }
        let golden = trace.with_extension("events.golden");
        let want = stats_of_go_events(&std::fs::read_to_string(&golden).unwrap());
        let out = run("trace-stats", &[trace.to_str().unwrap()]);
        assert!(out.status.success(), "{}", trace.display());
        let got = parse_stats(&String::from_utf8(out.stdout).unwrap());
        assert_eq!(got, want, "{}", trace.display());
        checked += 1;
    }
    assert!(checked >= 60, "{checked} traces");
}

/// Every `testdata/traces/go*/*.trace`, sorted.
fn testdata_traces() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/traces");
    let mut traces = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        for trace in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let trace = trace.unwrap().path();
            if trace.extension().is_some_and(|e| e == "trace") {
                traces.push(trace);
            }
        }
    }
    traces.sort();
    traces
}

/// `trace-stats`'s figures, by name.
fn parse_stats(text: &str) -> std::collections::BTreeMap<String, i64> {
    let mut m = std::collections::BTreeMap::new();
    for line in text.lines() {
        // "name  value" or "name  1.234 ms (1234 ns)".
        let value = match line.rsplit_once(" (") {
            Some((_, ns)) => ns.trim_end_matches(" ns)"),
            None => line.rsplit(' ').next().unwrap(),
        };
        let name = line.split("  ").find(|s| !s.is_empty()).unwrap().trim();
        m.insert(name.to_string(), value.parse().unwrap());
    }
    m
}

/// The same figures, worked out from Go's `Event.String()` of each event.
fn stats_of_go_events(golden: &str) -> std::collections::BTreeMap<String, i64> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut m = BTreeMap::new();
    let (mut gs, mut ps, mut ms) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let (mut first, mut last) = (None, 0);
    let mut stw_open = BTreeMap::new();
    let mut stw = 0;
    for line in golden.lines().filter(|l| l.starts_with("M=")) {
        let fields: Vec<&str> = line.split(' ').collect();
        let field = |key: &str| -> Option<&str> { fields.iter().find_map(|f| f.strip_prefix(key)) };
        let id = |key: &str| -> i64 { field(key).unwrap().parse().unwrap() };
        let kind = fields[3];
        let time = id("Time=");
        *m.entry("events".to_string()).or_insert(0) += 1;
        *m.entry(kind.to_string()).or_insert(0) += 1;
        first.get_or_insert(time);
        last = time;
        for (set, key) in [(&mut gs, "G="), (&mut ps, "P="), (&mut ms, "M=")] {
            if id(key) >= 0 {
                set.insert(id(key));
            }
        }
        if kind == "StateTransition" {
            // A goroutine or P is new when its first transition comes from Undetermined or
            // NotExist; the transition's "from->to" follows its ID.
            let new = fields
                .iter()
                .any(|f| f.starts_with("Undetermined->") || f.starts_with("NotExist->"));
            if new {
                if let Some(g) = field("GoID=") {
                    gs.insert(g.parse().unwrap());
                } else if let Some(p) = field("ProcID=") {
                    ps.insert(p.parse().unwrap());
                }
            }
        }
        if kind == "RangeBegin" && line.contains(r#"Name="GC concurrent mark phase""#) {
            *m.entry("GC cycles".to_string()).or_insert(0) += 1;
        }
        if line.contains(r#"Name="stop-the-world ("#) {
            let scope = field("Scope=").unwrap().to_string();
            if kind == "RangeBegin" {
                stw_open.insert(scope, time);
            } else if let Some(start) = stw_open.remove(&scope) {
                stw += time - start;
            }
        }
    }
    let syncs = m.get("Sync").copied().unwrap_or(0);
    m.insert("generations".into(), (syncs - 1).max(0));
    m.insert("goroutines".into(), gs.len() as i64);
    m.insert("Ps".into(), ps.len() as i64);
    m.insert("Ms".into(), ms.len() as i64);
    m.insert("duration".into(), first.map_or(0, |f| last - f));
    m.entry("GC cycles".into()).or_insert(0);
    m.insert("STW total".into(), stw);
    m
}

/// `trace-check` on every trace in testdata, of every version: sound, with Go's count of events
/// and of generations (`.events.golden`, Go's `Event.String()` of each event); and in one run,
/// one line per trace in the order given.
#[test]
fn trace_check_finds_every_testdata_trace_sound() {
    let traces = testdata_traces();
    assert!(traces.len() >= 70, "{} traces", traces.len());
    let paths: Vec<&str> = traces.iter().map(|t| t.to_str().unwrap()).collect();
    // The default (two threads where there is a second core) and one thread say the same.
    let one = run("trace-check", &[&["--threads", "1"], &paths[..]].concat());
    let out = run("trace-check", &paths);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(one.stdout, out.stdout);
    assert!(one.status.success(), "{one:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), traces.len());
    for (trace, line) in traces.iter().zip(lines) {
        let golden = std::fs::read_to_string(trace.with_extension("events.golden")).unwrap();
        let events = golden.lines().filter(|l| l.starts_with("M=")).count();
        let syncs = golden.lines().filter(|l| l.contains(" Sync ")).count();
        // The format's version, from the header ("go 1.23 trace\0\0\0"): Go 1.24 writes 1.23's.
        let head = std::fs::read(trace).unwrap();
        let head = String::from_utf8_lossy(&head[..16]);
        let version = head.split(" trace").next().unwrap();
        let generations = syncs - 1;
        let s = if generations == 1 { "" } else { "s" };
        let want = format!(
            "{}: ok: {version}, {events} events, {generations} generation{s}",
            trace.display()
        );
        assert_eq!(line, want);
    }
}

/// `trace-check` on traces Go rejects (`testdata/invalid-*`, binary and raw text): exit 1, and
/// for each, Go's error after as many events as Go gives before it, located in the trace; a
/// sound trace among them is still reported sound.
#[test]
fn trace_check_reports_gos_errors() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let sound = testdata("go1.27.3/chan.trace");
    let mut checked = 0;
    for dir in ["invalid-ids", "invalid-context"] {
        let mut traces: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "trace"))
            .collect();
        traces.sort();
        for trace in traces {
            let golden = |what: &str| {
                let p = trace.with_extension(format!("{what}.golden"));
                std::fs::read_to_string(p).unwrap()
            };
            let error = golden("error");
            let events = golden("events")
                .lines()
                .filter(|l| l.starts_with("M="))
                .count();
            if error.is_empty() {
                continue;
            }
            for input in [trace.clone(), trace.with_extension("txt")] {
                let input = input.to_str().unwrap();
                let out = run("trace-check", &[input, &sound]);
                assert_eq!(out.status.code(), Some(1), "{input}");
                let stdout = String::from_utf8(out.stdout).unwrap();
                let lines: Vec<&str> = stdout.lines().collect();
                let want = format!("{input}: error after {events} events: {}", error.trim_end());
                assert!(lines[0].starts_with(&want), "{}\nwant {want}", lines[0]);
                assert!(lines[0].contains(" at byte "), "{}", lines[0]);
                assert!(
                    lines[1].starts_with(&format!("{sound}: ok: ")),
                    "{}",
                    lines[1]
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "{checked} traces");
    // A trace cut short in its last generation: the events of the generations before, then
    // where the cut is.
    let bytes = std::fs::read(testdata("go1.27.3/generations.trace")).unwrap();
    let cut = std::env::temp_dir().join(format!("trace-check-cut-{}.trace", std::process::id()));
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    let out = run("trace-check", &[cut.to_str().unwrap()]);
    std::fs::remove_file(&cut).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("at byte "), "{stdout}");
    assert!(!stdout.contains("after 0 events"), "{stdout}");
    // A file that isn't there is an error too, not a panic.
    let out = run("trace-check", &["/nonexistent/trace"]);
    assert_eq!(out.status.code(), Some(1));
}

/// `trace-footprint` on every Go 1.22+ trace in testdata prints exactly what Go 1.27.3's
/// `go tool trace -d=footprint` printed (`.footprint.golden`); `--json` gives the same figures.
#[test]
fn trace_footprint_prints_gos_table() {
    let mut checked = 0;
    for trace in testdata_traces() {
        let golden = trace.with_extension("footprint.golden");
        let Ok(want) = std::fs::read(&golden) else {
            continue;
        };
        let path = trace.to_str().unwrap();
        let out = run("trace-footprint", &[path]);
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout == want, "{path}: differs from Go's -d=footprint");

        // The JSON holds the table's rows that have events, in its order, and its totals.
        let json = run("trace-footprint", &["--json", path]);
        assert!(json.status.success(), "{path}");
        let json = String::from_utf8(json.stdout).unwrap();
        let table = String::from_utf8(want).unwrap();
        let rows: Vec<(String, u64, u64)> = table
            .lines()
            .skip(2)
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|cells| cells.len() == 5 && cells[3] != "0")
            .map(|c| {
                (
                    c[0].to_string(),
                    c[3].parse().unwrap(),
                    c[1].parse().unwrap(),
                )
            })
            .collect();
        let (events, bytes): (u64, u64) = (
            rows.iter().map(|r| r.1).sum(),
            rows.iter().map(|r| r.2).sum(),
        );
        let size = std::fs::metadata(&trace).unwrap().len();
        let head = format!(r#""trace_bytes":{size},"events":{events},"bytes":{bytes},"types":["#);
        assert!(
            json.contains(&head) && json.ends_with("]}\n"),
            "{path}: {json}"
        );
        assert_eq!(json_types(&json), rows, "{path}");
        checked += 1;
    }
    assert!(checked >= 60, "{checked} traces");
}

/// The (name, count, bytes) of each entry of `trace-footprint --json`'s `types`.
fn json_types(json: &str) -> Vec<(String, u64, u64)> {
    let body = json.split_once(r#""types":["#).unwrap().1;
    body.split(r#"{"type":"#)
        .skip(1)
        .map(|entry| {
            let field = |key: &str| {
                let rest = entry.split_once(&format!(r#""{key}":"#)).unwrap().1;
                rest.split([',', '}']).next().unwrap().to_string()
            };
            let name = field("name").trim_matches('"').to_string();
            (
                name,
                field("count").parse().unwrap(),
                field("bytes").parse().unwrap(),
            )
        })
        .collect()
}

/// Go 1.27 fails on v1 traces ("invalid event type"); `trace-footprint` gives the table, with
/// the v1 names, and bytes that add up to the file less its header. A trace cut short reads as
/// Go's raw reader reads it: inside a varint, an error naming the file, with nothing on stdout
/// (so is a file that isn't there); where a batch begins, the table of what is before.
#[test]
fn trace_footprint_reads_v1_and_cut_traces_as_go() {
    for rel in ["go1.19/gc.trace", "go1.21.13/annotations.trace"] {
        let trace = testdata(rel);
        let out = run("trace-footprint", &[&trace]);
        assert!(out.status.success(), "{rel}");
        let table = String::from_utf8(out.stdout).unwrap();
        assert_eq!(table.lines().count(), 258, "{rel}");
        assert!(table.starts_with("Event "), "{rel}");
        assert!(table.lines().any(|l| l.starts_with("Batch ")), "{rel}");
        // Bytes are the fourth cell from the end (a row's name may be empty).
        let bytes: u64 = table
            .lines()
            .skip(2)
            .map(|l| {
                let cells: Vec<&str> = l.split_whitespace().collect();
                cells[cells.len() - 4].parse::<u64>().unwrap()
            })
            .sum();
        assert_eq!(
            bytes,
            std::fs::metadata(&trace).unwrap().len() - 16,
            "{rel}"
        );
    }

    // Cut inside a varint (a batch's size, which the runtime writes in ten bytes), Go's raw
    // reader fails; cut where a batch begins, it ends there, and so do we.
    let bytes = std::fs::read(testdata("go1.27.3/gc.trace")).unwrap();
    let trace = gotrace::format::Trace::parse(&bytes).unwrap();
    let batch = trace
        .batches()
        .unwrap()
        .map(|b| b.unwrap())
        .find(|b| b.offset() as usize >= bytes.len() / 2)
        .unwrap();
    let cut =
        std::env::temp_dir().join(format!("trace-footprint-cut-{}.trace", std::process::id()));
    std::fs::write(&cut, &bytes[..batch.offset() as usize]).unwrap();
    let out = run("trace-footprint", &[cut.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("Event "));
    std::fs::write(&cut, &bytes[..batch.data_offset() as usize - 3]).unwrap();
    let out = run("trace-footprint", &[cut.to_str().unwrap()]);
    std::fs::remove_file(&cut).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!("trace-footprint: {}: ", cut.display())),
        "{err}"
    );
    let out = run("trace-footprint", &["/nonexistent/trace"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn trace_timeline_prints_the_libraries_json_and_refuses_bad_queries() {
    for rel in ["go1.27.3/gc", "go1.19/annotations"] {
        let path = testdata(&format!("{rel}.trace"));
        let bytes = std::fs::read(&path).unwrap();
        for (args, opts) in [
            (vec![], gotrace::viewer::Options::default()),
            (
                vec!["--view", "thread"],
                gotrace::viewer::Options::view(gotrace::viewer::View::Thread),
            ),
        ] {
            let out = run(
                "trace-timeline",
                &[args.as_slice(), &[path.as_str()]].concat(),
            );
            assert!(
                out.status.success(),
                "{rel}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let want = gotrace::viewer::write_json(&bytes, opts, Vec::new()).unwrap();
            assert!(
                out.stdout == want,
                "{rel} {args:?}: differs from write_json"
            );
        }
    }
    // The Perfetto export, with a view and a window, to a file.
    let gc = testdata("go1.27.3/gc.trace");
    let bytes = std::fs::read(&gc).unwrap();
    let file = std::env::temp_dir().join(format!("trace-timeline-{}.pftrace", std::process::id()));
    let file_arg = file.to_str().unwrap();
    let args = [
        "--perfetto",
        "--view",
        "thread",
        "--start",
        "10",
        "--end",
        "900",
        "-o",
        file_arg,
        &gc,
    ];
    let out = run("trace-timeline", &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut opts = gotrace::viewer::Options::view(gotrace::viewer::View::Thread);
    opts.index_window = Some((10, 900));
    opts.format = gotrace::viewer::Format::Perfetto;
    let want = gotrace::viewer::write_json(&bytes, opts, Vec::new()).unwrap();
    let got = std::fs::read(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(got == want, "--perfetto differs from the library's");
    assert!(!got.starts_with(b"{"), "--perfetto wrote JSON");
    for args in [
        vec!["--start", "5", gc.as_str()],
        vec!["--view", "nope", gc.as_str()],
        vec!["--start", "x", "--end", "4", gc.as_str()],
        vec!["--goid", "987654", gc.as_str()],
        vec!["--goid", "-3", gc.as_str()],
        vec!["--focustask", "1", gc.as_str()],
        vec!["--taskid", "7", gc.as_str()],
        vec!["--ranges", "--perfetto", gc.as_str()],
        vec![],
    ] {
        let out = run("trace-timeline", &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    let out = run("trace-timeline", &[&testdata("go1.27.3/missing.trace")]);
    assert_eq!(out.status.code(), Some(1));
}

fn doctor_trace(rel: &str) -> String {
    format!(
        "{}/testdata/doctor/traces/{rel}.trace",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn trace_doctor_reports_findings_and_healthy_traces() {
    // A healthy trace: no finding, exit 0, in both outputs.
    let healthy = doctor_trace("go1.27.3/healthy-http");
    let out = run("trace-doctor", &[&healthy]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("no findings"));
    let out = run("trace-doctor", &["--json", &healthy]);
    assert_eq!(out.stdout, b"{\"findings\":[]}\n");
    // A problem: the finding, its advice and the commands to run next, exit 0.
    let sick = doctor_trace("go1.25.5/lock-contention");
    let out = run("trace-doctor", &[&sick]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("] lock-contention: on average"), "{text}");
    assert!(text.contains("advice: capture the mutex profile"), "{text}");
    assert!(text.contains("trace2pprof -pprof=sync --from "), "{text}");
    let out = run("trace-doctor", &["--json", &sick]);
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(
        json.starts_with("{\"findings\":[{\"id\":\"lock-contention\""),
        "{json}"
    );
    // A threshold raised past the measure hides the finding; lowered ones show more.
    let out = run("trace-doctor", &["--threshold", "mutex-share=1000", &sick]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("no findings"));
    let out = run("trace-doctor", &["--threshold=net=1ms", &healthy]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("slow-network"));
    // Severity order: most severe first.
    let out = run(
        "trace-doctor",
        &["--json", &doctor_trace("go1.21.13/gc-assist")],
    );
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(json.contains("\"id\":\"gc-assist\"") && json.contains("\"id\":\"long-stw\""));
    // Bad arguments exit 2 with the usage; an unreadable trace exits 1.
    for args in [
        vec![],
        vec!["--bogus", "x"],
        vec!["--threshold", "nope=1", "x"],
        vec!["--threshold", "stw", "x"],
        vec!["--threshold", "stw=fast", "x"],
        vec!["a", "b"],
    ] {
        let out = run("trace-doctor", &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
    }
    let out = run("trace-doctor", &["/nonexistent.trace"]);
    assert_eq!(out.status.code(), Some(1));
    let bad = format!("{}/testdata/invalid-ids", env!("CARGO_MANIFEST_DIR"));
    for e in std::fs::read_dir(bad).unwrap() {
        let p = e.unwrap().path();
        // The ones Go refuses (stack-last-of-run is valid, and reads).
        let golden = p.with_extension("error.golden");
        let fails = std::fs::read(golden).is_ok_and(|e| !e.is_empty());
        if p.extension().is_some_and(|x| x == "trace") && fails {
            let out = run("trace-doctor", &[p.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(1), "{}", p.display());
            assert!(out.stderr.starts_with(b"trace-doctor: "));
        }
    }
}

/// The go1.22.10 generations trace cut inside the third of its generations, written as
/// `cut.trace` in a fresh directory of its own (named after `tag`), which is returned too.
fn cut_trace(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let whole = std::fs::read(testdata("go1.22.10/generations.trace")).unwrap();
    let dir = std::env::temp_dir().join(format!("gotrace-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.trace");
    std::fs::write(&cut, &whole[..4016]).unwrap();
    (dir, cut)
}

/// A trace whose later part is broken (cut short): the tools do what Go's do with it. The
/// profile, the GC analysis and the stats cover what Go's tools cover, say on stderr what was
/// left out, and exit 0; `trace-events` prints the events before the error and fails, as
/// `go tool trace -d=parsed` does.
#[test]
fn the_tools_read_a_cut_trace_as_gos_do() {
    let (dir, cut) = cut_trace("cut");
    let p = cut.to_str().unwrap();
    let out_pb = dir.join("sched.pb.gz");
    for (name, args, kept) in [
        (
            "trace2pprof",
            vec!["-pprof=sched", "-o", out_pb.to_str().unwrap(), p],
            "profiled the 224 events of its complete generations",
        ),
        ("trace-gc", vec![p], "analysed the 224 events"),
        (
            "trace-goroutines",
            vec![p],
            "summarized the 226 events read",
        ),
        ("trace-stats", vec![p], "counted the 226 events read"),
    ] {
        let out = run(name, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {err}");
        assert!(err.contains("the trace is broken: "), "{name}: {err}");
        assert!(err.contains(kept), "{name}: {err}");
        assert!(err.contains("past byte 2761"), "{name}: {err}");
    }
    assert!(std::fs::metadata(&out_pb).unwrap().len() > 0);
    let out = run("trace-events", &[p]);
    assert_eq!(out.status.code(), Some(1));
    let events = String::from_utf8(out.stdout).unwrap();
    assert_eq!(events.lines().filter(|l| l.starts_with("M=")).count(), 226);
    // Cut inside the first generation, nothing is complete: Go's profile fails, for want of
    // goroutines.
    let whole = std::fs::read(testdata("go1.22.10/generations.trace")).unwrap();
    std::fs::write(&cut, &whole[..400]).unwrap();
    let out = run(
        "trace2pprof",
        &["-pprof=sched", "-o", out_pb.to_str().unwrap(), p],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("failed to find matching goroutines"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `trace-damage` writes the same damaged copies every run, of every kind, and reads Go's fuzz
/// corpus format.
#[test]
fn trace_damage_is_deterministic() {
    let dir = std::env::temp_dir().join(format!("gotrace-damage-{}", std::process::id()));
    let fuzz = dir.join("corpus-entry");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        &fuzz,
        "go test fuzz v1\n[]byte(\"go 1.22 trace\\x00\\x00\\x00\\x01\\x01\")\n",
    )
    .unwrap();
    let inputs = [
        testdata("go1.27.3/chan.trace"),
        testdata("go1.22.10/gc.trace"),
        fuzz.to_str().unwrap().to_string(),
    ];
    let mut runs = Vec::new();
    for i in 0..2 {
        let out = dir.join(format!("out{i}"));
        let mut args = vec!["--each", "8", out.to_str().unwrap()];
        args.extend(inputs.iter().map(String::as_str));
        let r = run("trace-damage", &args);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).unwrap())
            })
            .collect();
        files.sort();
        runs.push(files);
    }
    assert_eq!(runs[0], runs[1]);
    let names: Vec<&str> = runs[0].iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 17, "{names:?}");
    for kind in [".cut-", ".flip-", ".ff-", ".splice-"] {
        assert!(names.iter().any(|n| n.contains(kind)), "{kind}: {names:?}");
    }
    let corpus = runs[0]
        .iter()
        .find(|(n, _)| n.starts_with("gotrace-damage"))
        .unwrap();
    assert_eq!(corpus.1, b"go 1.22 trace\x00\x00\x00\x01\x01");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--salvage`: every tool that reads traces reads a cut one as far as it can be trusted, past
/// where Go's tools stop: exit 0, what was dropped on stderr, and more events than Go's reading
/// (the cut of `the_tools_read_a_cut_trace_as_gos_do`, where Go's tools keep 226 events).
#[test]
fn the_tools_salvage_a_cut_trace() {
    let (dir, cut) = cut_trace("salvage");
    let p = cut.to_str().unwrap();
    let out_pb = dir.join("sched.pb.gz");
    let out_json = dir.join("timeline.json");
    let parquet = dir.join("parquet");
    let mut tools = vec![
        (
            "trace2pprof",
            vec![
                "-pprof=sched",
                "-o",
                out_pb.to_str().unwrap(),
                "--salvage",
                p,
            ],
        ),
        ("trace-gc", vec!["--salvage", p]),
        ("trace-goroutines", vec!["--salvage", p]),
        ("trace-stats", vec!["--salvage", p]),
        ("trace-events", vec!["--salvage", p]),
        ("trace-check", vec!["--salvage", p]),
        ("trace-doctor", vec!["--salvage", p]),
        ("trace-regions", vec!["--salvage", p]),
        ("trace-tasks", vec!["--salvage", p]),
        ("trace-footprint", vec!["--salvage", p]),
        (
            "trace-timeline",
            vec!["--salvage", "-o", out_json.to_str().unwrap(), p],
        ),
        ("trace-diff", vec!["--salvage", p, p]),
    ];
    // Built (by this test run) only with the `columnar` feature.
    if cfg!(feature = "columnar") {
        tools.push((
            "trace-export",
            vec!["--parquet", parquet.to_str().unwrap(), "--salvage", p],
        ));
    }
    let mut outputs = std::collections::HashMap::new();
    for (name, args) in &tools {
        let out = run(name, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {err}");
        assert!(err.contains("salvage: the trace breaks: "), "{name}: {err}");
        assert!(
            err.contains(
                "kept 1 complete generation(s) and 3 whole batch(es) of broken generation 2"
            ),
            "{name}: {err}"
        );
        assert!(
            err.contains("string and stack tables lost"),
            "{name}: {err}"
        );
        assert!(err.contains("past byte 4013"), "{name}: {err}");
        outputs.insert(*name, String::from_utf8_lossy(&out.stdout).into_owned());
    }
    // Go's reading keeps 226 events (the test above); salvage keeps the broken generation's
    // batches too.
    let events = outputs["trace-events"]
        .lines()
        .filter(|l| l.starts_with("M="));
    assert_eq!(events.count(), 488);
    assert!(
        outputs["trace-check"].contains("salvaged: go 1.22, 488 events, 2 generations"),
        "{}",
        outputs["trace-check"]
    );
    assert!(std::fs::metadata(&out_pb).unwrap().len() > 0);
    assert!(std::fs::metadata(&out_json).unwrap().len() > 0);
    // Without --salvage, nothing changes: trace-events fails as Go does.
    assert_eq!(run("trace-events", &[p]).status.code(), Some(1));
    // Raw events are read one after another: those before the damage, then exit 0.
    let out = run("trace-raw", &["--salvage", p]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the raw events before the damage were printed"),
        "{err}"
    );
    // A whole trace: no report.
    let out = run(
        "trace-stats",
        &["--salvage", &testdata("go1.22.10/generations.trace")],
    );
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
