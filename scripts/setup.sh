#!/usr/bin/env bash
# packstation set-up on Debian/Ubuntu: system packages (apt, only those missing), a .venv, the project.
#   bash scripts/setup.sh demo     set up, then start the demo station (reference OMS + simulated devices)
#   bash scripts/setup.sh test     set up with the test extras, then run the whole test suite
#   bash scripts/setup.sh install  set up only
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-install}
shift || true

APT_PACKAGES=(
  python3 python3-venv python3-pip
  # Qt offscreen / xcb on Debian 12
  libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3
  libpulse0            # QtMultimedia import
  libzbar0             # pyzbar, the second barcode backend
  libusb-1.0-0         # USB printers
  fonts-noto-cjk       # Chinese text on screen, slips and labels
  fonts-droid-fallback # TrueType CJK font embedded in PDF slips (reportlab cannot embed the CFF Noto CJK)
  # a real window under Xvfb (demo on a machine without a screen, screenshots)
  xvfb xauth libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
  libxcb-xkb1 libxcb-render-util0 libxcb-image0 libxcb-randr0 libxcb-xinerama0 libxcb-xfixes0
  poppler-utils        # pdftoppm: slips rendered to images in tests
)

# --- oms (issue 16): PostgreSQL for the reference OMS tests -----------------------------------------
# `test` also installs the PostgreSQL server binaries (no service is needed: the tests start a private
# cluster in a temp dir, see sync/oms_server/pgcluster.py) and the `oms` extra (psycopg). With
# PACKSTATION_REQUIRE_PG=1 a missing PostgreSQL fails the OMS tests instead of skipping them.
if [ "$MODE" = "test" ]; then
  APT_PACKAGES+=(postgresql)
  export PACKSTATION_REQUIRE_PG=1
fi
# --- end oms -----------------------------------------------------------------------------------------

missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${APT_PACKAGES[@]}"; do
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
EXTRAS=""
[ "$MODE" = "test" ] && EXTRAS="[test,oms]"  # oms: psycopg for the PostgreSQL OMS tests (issue 16)
echo ">> installing packstation$EXTRAS into .venv"
.venv/bin/python -m pip install -q -e ".$EXTRAS"
.venv/bin/python -m ui.translations --compile 2>/dev/null || true

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
    echo ">> ready: .venv/bin/packstation --help"
    ;;
  *)
    echo "usage: bash scripts/setup.sh [demo|test|install]" >&2; exit 2
    ;;
esac
