#!/usr/bin/env bash
# Manual check (about 1-2 minutes, too slow for the test suite): what a kiosk installs.
# `pip install .` with no extras into a fresh venv must install no fastapi/uvicorn, and `packstation run`
# must start. Also writes the freeze to compare with constraints/station.txt.
#   bash scripts/check-station-install.sh            (uses a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PY=${PYTHON:-python3}
echo ">> fresh venv in $WORK"
"$PY" -m venv "$WORK/venv"
start=$(date +%s)
"$WORK/venv/bin/python" -m pip install -q .
echo ">> pip install . (no extras): $(( $(date +%s) - start )) s"
"$WORK/venv/bin/python" -m pip freeze --exclude packstation > "$WORK/freeze.txt"
if grep -i -E '^(fastapi|uvicorn|starlette)==' "$WORK/freeze.txt"; then
  echo "FAIL: a station install pulled the OMS server stack (above)" >&2; exit 1
fi
echo ">> no fastapi/uvicorn/starlette installed"
if ! diff <(grep -v '^#' constraints/station.txt | sort -f) <(sort -f "$WORK/freeze.txt"); then
  echo "NOTE: the freeze differs from constraints/station.txt (newer releases?); regenerate it if intended"
fi
cat > "$WORK/st.toml" <<TOML
[station]
data_dir = "$WORK/data"
TOML
cd "$WORK"  # not the checkout: the installed package must be the one that runs
QT_QPA_PLATFORM=offscreen PACKSTATION_LOG_DIR="$WORK/logs" \
  "$WORK/venv/bin/packstation" --config "$WORK/st.toml" run --exit-when-shown
"$WORK/venv/bin/packstation" --version
echo "OK: station install without the server stack starts"
