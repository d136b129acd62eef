"""Good / error sounds with QSoundEffect. The WAV tones are generated once (no binary assets to
maintain): a short high beep for OK, a long low double buzz for an error that must be heard."""

from __future__ import annotations

import logging
import math
import struct
import wave
from pathlib import Path

log = logging.getLogger(__name__)
SOUND_DIR = Path(__file__).resolve().parent.parent / "resources" / "sounds"


def _tone(path: Path, parts: list[tuple[float, float]], rate: int = 22050) -> None:
    frames = bytearray()
    for freq, secs in parts:
        for i in range(int(rate * secs)):
            v = 0.0 if freq == 0 else 0.5 * math.copysign(1, math.sin(2 * math.pi * freq * i / rate))
            frames += struct.pack("<h", int(v * 32767 * 0.6))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def ensure_sounds(directory: Path = SOUND_DIR) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files = {"good": directory / "good.wav", "error": directory / "error.wav"}
    if not files["good"].exists():
        _tone(files["good"], [(1760, 0.08)])
    if not files["error"].exists():
        _tone(files["error"], [(220, 0.25), (0, 0.08), (180, 0.35)])
    return files


class Sounds:
    def __init__(self, parent=None) -> None:
        self._effects = {}
        try:
            from PySide6.QtCore import QUrl
            from PySide6.QtMultimedia import QSoundEffect

            for name, path in ensure_sounds().items():
                eff = QSoundEffect(parent)
                eff.setSource(QUrl.fromLocalFile(str(path)))
                eff.setVolume(1.0)
                self._effects[name] = eff
        except Exception as exc:  # no audio stack: the screen still says it loudly
            log.warning("sounds unavailable: %s", exc)
        self.played: list[str] = []  # what was asked to play (the screen shows the same verdict)

    def play(self, name: str) -> None:
        self.played.append(name)
        eff = self._effects.get(name)
        if eff is not None:
            eff.play()
