#!/usr/bin/env bash
# packstation set-up on Debian 12 / Ubuntu: system packages (apt, only those missing), a .venv, the project.
#   bash scripts/setup.sh install  a station: no extras (no OMS server stack), versions from constraints/station.txt
#   bash scripts/setup.sh demo     + the `demo` extra (reference OMS + fault proxy), then start the demo station
#   bash scripts/setup.sh test     + the `test` and `demo` extras and the test tools, then run the whole test suite
# Extra arguments go to the demo (e.g. --lang zh_CN) or to pytest (e.g. -x tests/test_cli.py).
# Kiosk deployment (systemd user unit, autostart, udev rules): docs/deploy.md.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-install}
shift || true

case "$MODE" in
  install) EXTRAS="" ;;
  demo)    EXTRAS="demo" ;;
  test)    EXTRAS="test,demo" ;;
  *) echo "usage: bash scripts/setup.sh [install|demo|test] [ARGS...]" >&2; exit 2 ;;
esac

# --- system packages ---------------------------------------------------------------------------------
# What a fresh Debian 12 lacks. Checked against this project's needs, not against a developer machine:
# every shared library the wheels load (ldd) and every program the code runs, resolved to its package.
APT_STATION=(
  python3 python3-venv python3-pip ca-certificates
  tzdata               # zoneinfo: the warehouse time zone (day boundaries, reports)
  # Qt (PySide6) on Debian 12
  libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xkb1
  libxcb-render-util0 libxcb-image0 libxcb-randr0 libxcb-xinerama0 libxcb-xfixes0
  libpulse0            # QtMultimedia (sounds)
  libzbar0             # pyzbar, the second barcode backend
  libusb-1.0-0         # USB printers (python-escpos through libusb)
  fontconfig           # fc-match: the CJK font for printer-side Chinese (hardware/printing/chinese.py)
  fonts-noto-cjk       # Chinese text on screen
  fonts-droid-fallback # TrueType CJK embedded in slips and reports (reportlab cannot embed the CFF Noto CJK)
  fonts-dejavu-core    # TrueType Latin embedded in reports (no non-embedded Helvetica); Arabic/Hebrew on labels
  poppler-utils        # pdftoppm: slips rasterised for receipt printers
)
APT_DEMO=(
  xvfb xauth           # the demo on a machine without a screen (virtual screen)
)
APT_TEST=(
  systemd              # systemd-analyze verify: the kiosk's user unit (tests/test_deploy.py)
  desktop-file-utils   # desktop-file-validate: the autostart entry
  xdotool              # real X key events into the kiosk on Xvfb (tests/test_ui_xcb_keys.py, screenshots)
  imagemagick pngquant # import -window root: screenshots of the real window (scripts/screenshots_xvfb.sh), small PNGs
)
# (other helpers' blocks, e.g. a database server for the OMS tests, go here as APT_<NAME> arrays)

packages=("${APT_STATION[@]}")
case "$MODE" in
  demo) packages+=("${APT_DEMO[@]}") ;;
  test) packages+=("${APT_DEMO[@]}" "${APT_TEST[@]}") ;;
esac

# --- oms (issue 16): PostgreSQL for the reference OMS tests -----------------------------------------
# `test` also installs the PostgreSQL server binaries (no service is needed: the tests start a private
# cluster in a temp dir, see sync/oms_server/pgcluster.py); psycopg comes with the `oms` extra (in `demo`).
# With PACKSTATION_REQUIRE_PG=1 a missing PostgreSQL fails the OMS tests instead of skipping them.
if [ "$MODE" = "test" ]; then
  packages+=(postgresql)
  export PACKSTATION_REQUIRE_PG=1
fi
# --- end oms -----------------------------------------------------------------------------------------

missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo ">> installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Python ------------------------------------------------------------------------------------------
PY=""
for c in python3.13 python3.12 python3.11 python3; do
  if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PY=$c; break
  fi
done
[ -n "$PY" ] || { echo "packstation needs Python 3.11 or newer" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo ">> creating .venv with $PY"
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# constraints/station.txt: the versions a station runs (pip freeze of a no-extras install); the extras'
# own packages are not in it and resolve freely.
echo ">> installing packstation${EXTRAS:+[$EXTRAS]} into .venv"
.venv/bin/python -m pip install -q -c constraints/station.txt -e ".${EXTRAS:+[$EXTRAS]}"
# The project's bytecode, written now: a station whose Python may not write it (PYTHONDONTWRITEBYTECODE, or a
# kiosk user without write access to this folder) otherwise compiles its modules at every start, ~0.3 s of a
# 0.9 s start on a 2-core machine (cold_start_s). The wheels' own bytecode is written by pip.
.venv/bin/python -m compileall -q -j 0 app ui floor sync hardware packstation >/dev/null

# --- run ---------------------------------------------------------------------------------------------
case "$MODE" in
  demo)
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
      echo ">> no display: the demo runs on a virtual screen (Xvfb); screenshots: packstation screenshots"
      exec xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/packstation demo "$@"
    fi
    exec .venv/bin/packstation demo "$@"
    ;;
  test)
    exec .venv/bin/python -m pytest "$@"
    ;;
  install)
    echo ">> ready: .venv/bin/packstation doctor, then docs/deploy.md to run it as a kiosk"
    ;;
esac
