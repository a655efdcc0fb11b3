#!/usr/bin/env bash
# Build the PyInstaller bundle (installer/aipcprof.spec) into dist/aipcprof and smoke-test it:
# the frozen CLI (--version, devices --json, a run of the bundled sample model) and, once app/gui.py
# exists, the frozen GUI offscreen (run + screenshot). Prints the bundle size.
#
#   scripts/build_bundle.sh            build + smoke test
#   SKIP_BUILD=1 scripts/build_bundle.sh   smoke-test an existing dist/aipcprof
#   PYTHON=/path/to/python scripts/build_bundle.sh   (default: .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
DIST=$ROOT/dist
WORK=$ROOT/build/pyinstaller
BUNDLE=$DIST/aipcprof
CHECK="$PY $ROOT/installer/smoke_check.py"

step() { printf '\n== %s\n' "$*"; }

[ -x "$PY" ] || { echo "no Python at $PY: run scripts/setup.sh first (or set PYTHON=...)" >&2; exit 2; }

if [ -z "${SKIP_BUILD:-}" ]; then
  if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    step "installing PyInstaller into $("$PY" -c 'import sys; print(sys.prefix)')"
    "$PY" -m pip install -q "pyinstaller>=6.10"
  fi
  step "building $("$PY" installer/version_info.py) with PyInstaller $("$PY" -m PyInstaller --version)"
  start=$(date +%s)
  "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" installer/aipcprof.spec
  echo "built in $(( $(date +%s) - start )) s; file list: $WORK/aipcprof/bundle-contents.txt"
fi
[ -x "$BUNDLE/aipcprof" ] || { echo "no bundle at $BUNDLE" >&2; exit 1; }

# Run the frozen app from an empty folder with its own HOME-style dirs: it must not lean on the
# source tree, and the GUI's settings and saved runs must not land in the user's profile.
SMOKE=$(mktemp -d "${TMPDIR:-/tmp}/aipcprof-smoke.XXXXXX")
trap 'rm -rf "$SMOKE"' EXIT
export XDG_CONFIG_HOME=$SMOKE/config XDG_DATA_HOME=$SMOKE/data XDG_CACHE_HOME=$SMOKE/cache
cd "$SMOKE"

step "frozen CLI: aipcprof --version"
version_out=$("$BUNDLE/aipcprof" --version)
echo "$version_out"
$CHECK version "$version_out"

step "frozen CLI: aipcprof devices --json"
"$BUNDLE/aipcprof" devices --json > devices.json
ready=(--require-ready ort/cpu)
# Where the venv has them, the bundle must have them too (plugin EPs found via get_library_path()).
for t in ort/qnn/htp-emulator ov/cpu; do
  if (cd "$ROOT" && "$PY" -m app devices --json 2>/dev/null) | "$PY" -c "
import json, sys; sys.exit(0 if any(t['id'] == '$t' and t['status'] == 'ready' for t in json.load(sys.stdin)['targets']) else 1)"; then
    ready+=(--require-ready "$t")
  fi
done
$CHECK devices devices.json "${ready[@]}"

step "frozen CLI: aipcprof sample (the sample model inside the bundle, found through importlib.resources)"
MODEL=$("$BUNDLE/aipcprof" sample)
echo "$MODEL"
case "$MODEL" in
  "$BUNDLE/"*) ;;
  *) echo "aipcprof sample printed $MODEL, not a file of the bundle" >&2; exit 1 ;;
esac

step "frozen CLI: aipcprof run \"\$(aipcprof sample)\" --target ort/cpu --iterations 20"
"$BUNDLE/aipcprof" run "$MODEL" --target ort/cpu --iterations 20 --out run.json
$CHECK run run.json --target ort/cpu --iterations 20

if [ -f "$ROOT/app/gui.py" ]; then
  step "frozen GUI (offscreen): aipcprof gui ... --run --screenshot --quit"
  QT_QPA_PLATFORM=offscreen "$BUNDLE/aipcprof" gui "$MODEL" --target ort/cpu --run \
    --screenshot "$SMOKE/gui.png" --quit 2> >(grep -v 'propagateSizeHints' >&2)
  $CHECK png "$SMOKE/gui.png"
  step "frozen GUI executable (offscreen): aipcprof-gui MODEL --run --screenshot --quit"
  QT_QPA_PLATFORM=offscreen "$BUNDLE/aipcprof-gui" "$MODEL" --target ort/cpu --run \
    --screenshot "$SMOKE/gui2.png" --quit 2> >(grep -v 'propagateSizeHints' >&2)
  $CHECK png "$SMOKE/gui2.png"
  if [ -n "${KEEP_SCREENSHOT:-}" ]; then cp "$SMOKE/gui.png" "$KEEP_SCREENSHOT"; fi
else
  step "frozen GUI: skipped (app/gui.py does not exist yet)"
fi

step "bundle size"
du -sh "$BUNDLE"
echo "$(du -sb "$BUNDLE" | cut -f1) bytes, $(find "$BUNDLE" -type f | wc -l) files"
