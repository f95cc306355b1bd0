//! The analysis examples as a user runs them: `trace-goroutines --json` prints Go's goroutine
//! summaries (the committed goldens), its table and `--name` list agree with them, `trace-gc`
//! reports the cycles the GC analyzer finds, and bad arguments exit 2 with the usage.
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
