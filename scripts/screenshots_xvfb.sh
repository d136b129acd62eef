#!/usr/bin/env bash
# Screenshots for the README from a REAL window: the demo on Xvfb (xcb platform, no window manager), worked with
# real X key events (xdotool: badge at scanner speed, PIN typed, F-keys), grabbed with ImageMagick's
# `import -window root`. Sizes 1024×768 and 1920×1080, English and Simplified Chinese: login, queue, the work
# screen with a wrong-colour red panel, the supervisor figures. pngquant (if installed) keeps the files small.
#   bash scripts/screenshots_xvfb.sh [OUT_DIR]        (default docs/screenshots; needs xvfb xdotool imagemagick)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs/screenshots}
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null || { echo "needs $tool (bash scripts/setup.sh test installs it)" >&2; exit 1; }
done
mkdir -p "$OUT"
exec "$PY" - "$OUT" <<'PYEOF'
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sync.oms_server.seed import _products, build_orders

out = Path(sys.argv[1])
orders = build_orders([p for p, _img, _c in _products()])
order = next(o for o in orders if o["siblings"] and not any(ln["lot"]["required"] for ln in o["lines"])
             and o["id"] != "SO-1005")
first = min(order["lines"], key=lambda ln: ln["bin_order"])
wrong = next(s["code"] for s in order["siblings"] if s["style"] == first["style"])
NAMES = {"-": "minus", "@": "at", ":": "colon", "_": "underscore", ".": "period", "/": "slash", " ": "space"}


def shoot(size: str, lang: str) -> None:
    rfd, wfd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
                            pass_fds=(wfd,), stderr=subprocess.DEVNULL)
    os.close(wfd)
    env = dict(os.environ, DISPLAY=":" + os.read(rfd, 16).decode().strip(), QT_QPA_PLATFORM="xcb")
    data = tempfile.mkdtemp(prefix="packstation-shots-")
    demo = subprocess.Popen([sys.executable, "-m", "packstation", "demo", "--data-dir", data, "--lang", lang],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def x(*a):
        subprocess.run(["xdotool", *a], env=env, check=True)

    def scan(code):
        time.sleep(0.3)
        x("key", "--delay", "5", *(NAMES.get(c, c) for c in code), "Return")

    def grab(name):
        time.sleep(1.0)
        path = out / f"{name}_{lang}_{size}.png"
        subprocess.run(["import", "-window", "root", str(path)], env=env, check=True)
        if shutil.which("pngquant"):  # 256 colours: a few hundred KB at most per screenshot
            subprocess.run(["pngquant", "--force", "--ext", ".png", "--speed", "1", "256", str(path)], check=True)
        print(path, flush=True)

    try:
        time.sleep(12)  # the demo OMS seeds, the window comes up
        grab("login")
        scan("S-001")
        x("type", "--delay", "150", "999999")
        x("key", "Return")
        time.sleep(12)  # the station check probes every device (the camera, the speaker)
        x("key", "Return")  # Start work
        time.sleep(3)
        grab("queue")
        scan(order["id"])
        time.sleep(2)
        if first["bin_barcode"]:
            scan(first["bin_barcode"])
        scan(wrong)  # the wrong colour of the same style
        grab("work_wrong_colour")
        scan("@@ACK")
        scan("@@BACK")  # back to the queue (the order stays open on this station)
        time.sleep(2)
        x("key", "F7")  # supervisor figures
        time.sleep(6)
        grab("supervisor")
    finally:
        demo.terminate()
        demo.wait(20)
        xvfb.terminate()
        xvfb.wait(10)
        os.close(rfd)


for size in ("1024x768", "1920x1080"):
    for lang in ("en", "zh_CN"):
        shoot(size, lang)
PYEOF
