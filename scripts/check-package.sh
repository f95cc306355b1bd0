#!/usr/bin/env bash
# Checks that every publishable crate of the workspace could go to crates.io, offline:
#
#   - its manifest has what crates.io shows and needs: description, license, repository, readme,
#     keywords (1 to 5, crates.io's syntax) and categories (1 to 5, known slugs), rust-version;
#   - `cargo package --list` accepts it (the readme exists, path dependencies have versions)
#     and says nothing (cargo only warns about missing metadata; here a warning fails).
#
# `cargo publish --dry-run` would also resolve against the crates.io index and build every crate
# from its package; CI keeps to what works without the network. Takes about a second.
#
# Usage: scripts/check-package.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo metadata --format-version 1 --no-deps | python3 -c '
import json, re, sys

# crates.io category slugs this workspace uses or might (https://crates.io/category_slugs);
# add one here after checking it there.
KNOWN_CATEGORIES = {
    "command-line-utilities", "compression", "data-structures", "development-tools",
    "development-tools::debugging", "development-tools::profiling", "development-tools::testing",
    "encoding", "parser-implementations", "parsing", "visualization",
}
KEYWORD = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]{0,19}$")

meta = json.load(sys.stdin)
problems = []
for p in meta["packages"]:
    if p.get("publish") == []:
        continue  # publish = false
    name = p["name"]
    for field, key in (("description", "description"), ("repository", "repository"),
                       ("readme", "readme"), ("rust-version", "rust_version")):
        if not p.get(key):
            problems.append(f"{name}: no {field}")
    if not (p.get("license") or p.get("license_file")):
        problems.append(f"{name}: no license")
    keywords, categories = p.get("keywords") or [], p.get("categories") or []
    if not 1 <= len(keywords) <= 5:
        problems.append(f"{name}: {len(keywords)} keywords (crates.io takes 1 to 5)")
    for k in keywords:
        if not KEYWORD.match(k):
            problems.append(f"{name}: keyword {k!r} is not a crates.io keyword")
    if not 1 <= len(categories) <= 5:
        problems.append(f"{name}: {len(categories)} categories (crates.io takes 1 to 5)")
    for c in categories:
        if c not in KNOWN_CATEGORIES:
            problems.append(f"{name}: category {c!r} unknown (see https://crates.io/category_slugs)")
for line in problems:
    print(f"check-package: {line}", file=sys.stderr)
sys.exit(1 if problems else 0)
'

out=$(cargo package --workspace --list --allow-dirty --no-verify 2>&1 >/dev/null) || {
  echo "$out" >&2
  echo "check-package: cargo package --list failed" >&2
  exit 1
}
if grep -q '^warning' <<< "$out"; then
  echo "$out" >&2
  echo "check-package: cargo package warns" >&2
  exit 1
fi
echo "check-package: every publishable crate has its metadata and packages"
