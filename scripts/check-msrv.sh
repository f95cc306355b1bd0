#!/usr/bin/env bash
# What can be checked of the declared MSRV (`rust-version` in Cargo.toml) without that Rust:
# every package a publishable crate builds with (normal and build dependencies, transitively,
# as Cargo.lock resolves them) must declare a rust-version no newer than the crate's own. A
# dependency that declares none passes: that is only as good as the dependency's word.
#
# Dev-dependencies (proptest, criterion) only build this repository's tests and benches; they
# are reported, not failed: the Rust those need is printed as information.
#
# The other half is clippy's `incompatible_msrv` lint (std APIs newer than rust-version), which
# `.ci/run` denies; see the comment there for what neither catches.
#
# Usage: scripts/check-msrv.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo metadata --format-version 1 | python3 -c '
import json, sys

meta = json.load(sys.stdin)
pkgs = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
members = set(meta["workspace_members"])

def version(v):
    return tuple(int(x) for x in v.split(".")) + (0,) * (3 - len(v.split(".")))

def closure(start, kinds):
    """Packages reachable from start through dependencies of the given kinds, then normal and
    build ones (what those need to build)."""
    seen, todo = set(), [(start, kinds)]
    while todo:
        pid, ks = todo.pop()
        for dep in nodes[pid]["deps"]:
            if any(k["kind"] in ks for k in dep["dep_kinds"]) and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                todo.append((dep["pkg"], (None, "build")))
    return seen

failed = False
for mid in sorted(members, key=lambda i: pkgs[i]["name"]):
    p = pkgs[mid]
    name, own = p["name"], p.get("rust_version")
    if p.get("publish") == [] or not p.get("rust_version"):
        continue
    msrv = version(p["rust_version"])
    worst = []
    for kinds, what in (((None, "build"), "builds with"), (("dev",), "tests and benches use")):
        for d in sorted(closure(mid, kinds) - members, key=lambda i: pkgs[i]["name"]):
            rv = pkgs[d].get("rust_version")
            if rv and version(rv) > msrv:
                dname, dver = pkgs[d]["name"], pkgs[d]["version"]
                line = f"{name} (rust-version {own}) {what} {dname} {dver}, which needs Rust {rv}"
                if what == "builds with":
                    print(f"check-msrv: FAIL: {line}", file=sys.stderr)
                    failed = True
                else:
                    worst.append((version(rv), line))
    if worst:
        print(f"check-msrv: note: {max(worst)[1]}")
if failed:
    sys.exit(1)
print("check-msrv: every dependency of the publishable crates builds with their rust-version")
'
