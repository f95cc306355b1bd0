# Sourced by the checks that need a package from PyPI (scripts/columnar-check.sh: DuckDB,
# scripts/perfetto-check.sh: Perfetto's protos).
#
# need_pypi TOOL VENV CHECK PIP_ARG...: makes the virtual environment VENV if it is missing and
# installs PIP_ARG... into it unless `python -c CHECK` already succeeds there. If that can't be
# done, TOOL fails under CI (CI set) and elsewhere says SKIPPED loudly and exits 0.
need_pypi() {
  local tool=$1 venv=$2 check=$3
  shift 3
  if { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } &&
    { "$venv/bin/python" -c "$check" 2> /dev/null ||
      "$venv/bin/python" -m pip install -q "$@"; }; then
    return 0
  fi
  if [ -n "${CI:-}" ]; then
    echo "$tool: error: could not install $* from PyPI" >&2
    exit 1
  fi
  echo "############################################################################" >&2
  echo "$tool: SKIPPED: could not install $* from PyPI into $venv" >&2
  echo "############################################################################" >&2
  exit 0
}
