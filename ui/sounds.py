"""Good / error sounds with QSoundEffect. The WAV tones are rendered deterministically with numpy (no binary
assets to maintain by hand; resources/sounds holds the rendered files):

- OK: a short bright rising chime (1320 → 1760 Hz, 0.18 s) — a pleasant "yes" that does not tire over a shift;
- error: three harsh buzzes (440 Hz, odd harmonics, 0.75 s in all) — heard over a warehouse, and in the range small
  station speakers reproduce (a 200 Hz buzz is barely audible on them).

Both are normalised to the same loudness (RMS); they differ in pitch, timbre and length."""

from __future__ import annotations

import logging
import wave
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)
SOUND_DIR = Path(__file__).resolve().parent.parent / "resources" / "sounds"
RATE = 48000  # stereo 16-bit at 48 kHz: a format every output device takes (QSoundEffect does not resample)


def _envelope(n: int, fade: int) -> np.ndarray:
    """Soft 5 ms edges: no click at the start or end of a tone."""
    import numpy as np  # only to render the tones: the station starts without it (files exist)

    env = np.ones(n)
    ramp = np.linspace(0.0, 1.0, min(fade, n // 2))
    env[: len(ramp)] = ramp
    env[n - len(ramp):] = ramp[::-1]
    return env


def _tone(freq: float, secs: float, harmonics: tuple[float, ...] = (1.0,)) -> np.ndarray:
    import numpy as np

    t = np.arange(int(RATE * secs)) / RATE
    wave_ = sum(a * np.sin(2 * np.pi * freq * (2 * k + 1) * t) for k, a in enumerate(harmonics))
    return wave_ * _envelope(len(t), int(RATE * 0.005))


def render(name: str) -> np.ndarray:
    """The sound as float samples in [-1, 1] at RATE (deterministic)."""
    import numpy as np

    if name == "good":
        parts = [_tone(1320, 0.07, (1.0, 0.15)), _tone(1760, 0.11, (1.0, 0.15))]
    elif name == "error":
        buzz = _tone(440, 0.19, (1.0, 0.5, 0.33, 0.25, 0.2))  # odd harmonics: a square-ish buzz
        gap = np.zeros(int(RATE * 0.09))
        parts = [buzz, gap, buzz, gap, buzz]
    else:
        raise KeyError(name)
    x = np.concatenate(parts)
    return x * (0.25 / np.sqrt(np.mean(x ** 2)))  # same loudness (RMS -12 dBFS) for both


def write_wav(path: Path, samples: np.ndarray) -> None:
    import numpy as np

    mono = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    pcm = np.repeat(mono, 2)  # left = right
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    import numpy as np

    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float) / 32768
        if w.getnchannels() > 1:
            data = data.reshape(-1, w.getnchannels()).mean(axis=1)
    return rate, data


def ensure_sounds(directory: Path = SOUND_DIR) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    files = {"good": directory / "good.wav", "error": directory / "error.wav"}
    for name, path in files.items():
        if not path.exists():
            write_wav(path, render(name))
    return files


def audio_outputs() -> list[str]:
    """The names of the audio output devices Qt sees (empty: nobody will hear a sound)."""
    try:
        from PySide6.QtMultimedia import QMediaDevices

        return [d.description() for d in QMediaDevices.audioOutputs()]
    except Exception as exc:
        log.warning("audio devices unavailable: %s", exc)
        return []


class Sounds:
    """`load=False`: the sound effects are made by `load()` (GUI thread), e.g. once the window shows -- Qt's
    multimedia stack took 50 ms of start-up -- or by the first `play()` at the latest."""

    def __init__(self, parent=None, *, load: bool = True) -> None:
        self._parent = parent
        self._effects: dict | None = None
        # what was asked to play lately (the screen shows the same verdict); bounded: one entry per scan
        self.played: deque[str] = deque(maxlen=100)
        if load:
            self.load()

    def load(self) -> None:
        if self._effects is not None:
            return
        self._effects = {}
        try:
            from PySide6.QtCore import QUrl
            from PySide6.QtMultimedia import QSoundEffect

            for name, path in ensure_sounds().items():
                eff = QSoundEffect(self._parent)
                eff.setSource(QUrl.fromLocalFile(str(path)))
                eff.setVolume(1.0)
                self._effects[name] = eff
        except Exception as exc:  # no audio stack: the screen still says it loudly
            log.warning("sounds unavailable: %s", exc)

    def play(self, name: str) -> None:
        self.played.append(name)
        if self._effects is None:
            self.load()
        eff = self._effects.get(name)
        if eff is not None:
            eff.play()
