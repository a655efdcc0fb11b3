#!/usr/bin/env bash
# The test command (README): offscreen Qt, every test, the real runtimes.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
.venv/bin/python -m pytest -q "$@"
