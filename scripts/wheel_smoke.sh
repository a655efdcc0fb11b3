#!/usr/bin/env bash
# Install the app the ordinary way and use it from elsewhere: `python -m build` (sdist, then the wheel
# from the sdist), the wheel into a fresh venv outside the source tree, then from another folder
# `aipcprof --version`, `devices --json`, a short run of the bundled sample model found through the
# installed package (`aipcprof sample`), and the GUI offscreen (run + screenshot). `.ci/run` calls it.
#
#   scripts/wheel_smoke.sh                  build + install + smoke test
#   PYTHON=/path/to/python scripts/wheel_smoke.sh   (default: .venv/bin/python, which needs `build`)
#   KEEP=DIR scripts/wheel_smoke.sh         also copy the wheel, sdist and screenshot to DIR
#
# Dependencies come from pip's cache (filled by scripts/setup.sh), so nothing big is downloaded again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
CHECK="$PY $ROOT/installer/smoke_check.py"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aipcprof-wheel.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1
t0=$(date +%s)
step() { printf '\n== [%3d s] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

[ -x "$PY" ] || { echo "no Python at $PY: run scripts/setup.sh first (or set PYTHON=...)" >&2; exit 2; }

step "python -m build (sdist, then the wheel from it)"
"$PY" -m build --outdir "$TMP/dist" "$ROOT" >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; exit 1; }
ls -l "$TMP/dist"
WHEEL=$(ls "$TMP/dist"/*.whl)

step "fresh venv outside the source tree: pip install $(basename "$WHEEL")"
"$PY" -m venv "$TMP/venv"
BIN=$TMP/venv/bin
"$BIN/python" -m pip install -q --no-compile "$WHEEL"  # no .pyc for the ~10k modules of the deps: seconds saved
"$BIN/python" -m pip check

# From an empty folder with its own config/data dirs: nothing may come from the source tree, and the
# GUI's settings and saved runs must not land in the user's profile.
mkdir "$TMP/work"
cd "$TMP/work"
export XDG_CONFIG_HOME=$TMP/config XDG_DATA_HOME=$TMP/data XDG_CACHE_HOME=$TMP/cache AIPCPROF_DATA_DIR=$TMP/data
export PYTHONSAFEPATH=1  # no implicit current folder on sys.path (Python 3.11+)

step "aipcprof --version"
version_out=$("$BIN/aipcprof" --version)
echo "$version_out"
$CHECK version "$version_out"

step "the installed package: app from the venv, every run-time file present"
"$BIN/python" - "$TMP/venv" <<'EOF'
import sys
from pathlib import Path

import app
from app.common import assets

venv = Path(sys.argv[1]).resolve()
assert venv in Path(app.__file__).resolve().parents, f"app imported from {app.__file__}, not from {venv}"
missing = [n for n in assets.RUNTIME_FILES if not assets.path(n).is_file()]
assert not missing, f"missing from the installed package: {missing}"
print(f"app {app.__version__} from {Path(app.__file__).parent}; run-time files: {', '.join(assets.RUNTIME_FILES)}")
EOF

step "aipcprof devices --json"
"$BIN/aipcprof" devices --json > devices.json
$CHECK devices devices.json --require-ready ort/cpu

step "aipcprof sample (the bundled model, inside the installed package)"
MODEL=$("$BIN/aipcprof" sample)
echo "$MODEL"
case "$MODEL" in
  "$TMP/venv/"*) ;;
  *) echo "aipcprof sample printed $MODEL, not a file of the installed package" >&2; exit 1 ;;
esac

step "aipcprof run \"\$(aipcprof sample)\" --target ort/cpu --iterations 20"
"$BIN/aipcprof" run "$MODEL" --target ort/cpu --warmup 2 --iterations 20 --no-output-check --quiet --out run.json
$CHECK run run.json --target ort/cpu --iterations 20

step "aipcprof gui \"\$(aipcprof sample)\" --target ort/cpu --run --screenshot gui.png --quit (offscreen)"
QT_QPA_PLATFORM=offscreen "$BIN/aipcprof" gui "$MODEL" --target ort/cpu --run --screenshot gui.png --quit \
  2> >(grep -v 'propagateSizeHints' >&2)
$CHECK png gui.png
"$BIN/aipcprof-gui" --help > /dev/null

if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP" && cp "$TMP/dist"/* gui.png run.json "$KEEP"/
fi
step "wheel smoke test passed"
