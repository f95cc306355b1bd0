#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seed inputs for the cargo-fuzz targets:
#
#   decode  every testdata/traces/**/*.trace, plus Go's FuzzReader corpus
#   text    every testdata/traces/**/*.raw.golden (Go's raw text format)
#   model   all of the above (the model reads binary traces and the raw text format)
#   pprof   the same as model
#
# Go's own fuzz corpus, $(go env GOROOT)/src/internal/trace/testdata/fuzz/FuzzReader/*, is in
# the `go test fuzz v1` format (a header line, then a Go-quoted []byte("...") literal); the
# literal is decoded to its raw bytes here. It is skipped with a message when no Go 1.27.3 is
# installed (scripts/install-go.sh 1.27.3, or $GO pointing at a `go` binary).
#
# Seed files are named by the SHA-1 of their content, as libFuzzer names its own, so running
# the script again adds nothing twice. The corpora are not committed (see /.gitignore).
#
# Usage: fuzz/seed.sh [target...]      (default: decode text model pprof)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode text model pprof)

GO="${GO:-$HOME/.cache/go-1.27.3/bin/go}"
gofuzz=""
if [ -x "$GO" ] && goroot="$("$GO" env GOROOT 2>/dev/null)" &&
    [ -d "$goroot/src/internal/trace/testdata/fuzz/FuzzReader" ]; then
    gofuzz="$goroot/src/internal/trace/testdata/fuzz/FuzzReader"
else
    echo "seed.sh: no Go 1.27.3 at $GO; Go's FuzzReader corpus skipped" >&2
fi

python3 - "$root" "$gofuzz" "${targets[@]}" <<'PY'
import hashlib
import pathlib
import sys

root = pathlib.Path(sys.argv[1])
gofuzz = pathlib.Path(sys.argv[2]) if sys.argv[2] else None
targets = sys.argv[3:]

SIMPLE = {
    "a": 0x07, "b": 0x08, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B,
    "\\": 0x5C, "'": 0x27, '"': 0x22,
}


def unquote_go(lit: str) -> bytes:
    """Decodes a Go interpreted string literal ("..." with Go's escapes) to bytes."""
    if len(lit) < 2 or lit[0] != '"' or lit[-1] != '"':
        raise ValueError(f"not a Go string literal: {lit[:40]!r}")
    s, out, i = lit[1:-1], bytearray(), 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = s[i + 1]
        if e in SIMPLE:
            out.append(SIMPLE[e])
            i += 2
        elif e == "x":
            out.append(int(s[i + 2 : i + 4], 16))
            i += 4
        elif e in "01234567":
            v = int(s[i + 1 : i + 4], 8)
            if v > 255:
                raise ValueError(f"octal escape out of range: \\{s[i + 1 : i + 4]}")
            out.append(v)
            i += 4
        elif e == "u":
            out += chr(int(s[i + 2 : i + 6], 16)).encode("utf-8")
            i += 6
        elif e == "U":
            out += chr(int(s[i + 2 : i + 10], 16)).encode("utf-8")
            i += 10
        else:
            raise ValueError(f"unknown escape \\{e}")
    return bytes(out)


def go_fuzz_file(path: pathlib.Path) -> bytes:
    """The single []byte value of a `go test fuzz v1` corpus file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "go test fuzz v1":
        raise ValueError(f"{path}: not a go test fuzz v1 file")
    values = [l.strip() for l in lines[1:] if l.strip()]
    if len(values) != 1 or not values[0].startswith("[]byte(") or not values[0].endswith(")"):
        raise ValueError(f"{path}: expected one []byte(...) value")
    return unquote_go(values[0][len("[]byte(") : -1])


# Self-check of the decoder on every escape form.
assert unquote_go(r'"a\x00\xff\n\t\\\"\'\a\b\f\r\v\101\u00e9\U0001F600"') == (
    b"a\x00\xff\n\t\\\"'\x07\x08\x0c\r\x0bA" + "\u00e9\U0001F600".encode()
)

traces = sorted((root / "testdata" / "traces").glob("**/*.trace"))
texts = sorted((root / "testdata" / "traces").glob("**/*.raw.golden"))
gofiles = sorted(p for p in gofuzz.iterdir() if p.is_file()) if gofuzz else []
go_inputs = [go_fuzz_file(p) for p in gofiles]

sources = {
    "decode": [p.read_bytes() for p in traces] + go_inputs,
    "text": [p.read_bytes() for p in texts],
}
sources["model"] = sources["decode"] + sources["text"]
sources["pprof"] = sources["model"]

for target in targets:
    if target not in sources:
        sys.exit(f"seed.sh: unknown target {target!r} (decode, text, model, pprof)")
    d = root / "fuzz" / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    added = 0
    for data in sources[target]:
        f = d / hashlib.sha1(data).hexdigest()
        if not f.exists():
            f.write_bytes(data)
            added += 1
    print(f"fuzz/corpus/{target}: {added} seeds added, {len(sources[target])} offered")
print(
    f"sources: {len(traces)} traces, {len(texts)} raw text goldens, "
    f"{len(go_inputs)} from Go's FuzzReader corpus"
)
PY
