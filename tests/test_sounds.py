"""The OK and error sounds a packer hears all shift: both audible (not silent, not clipped), and told apart by
pitch and length even without looking at the screen. Read from the WAV files the station plays."""

import numpy as np

from ui.sounds import SOUND_DIR, ensure_sounds, read_wav, render


def _dominant_hz(rate, x):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))]


def test_ok_and_error_sounds_are_audible_and_distinct():
    files = ensure_sounds()
    (r1, good), (r2, error) = read_wav(files["good"]), read_wav(files["error"])
    for x in (good, error):
        rms = np.sqrt(np.mean(x ** 2))
        assert rms > 0.1, rms  # well above silence (-20 dBFS or louder)
        assert np.max(np.abs(x)) < 0.999  # not clipped
    f_good, f_error = _dominant_hz(r1, good), _dominant_hz(r2, error)
    assert f_good > 1000 and 300 < f_error < 600, (f_good, f_error)  # a high chime vs a mid buzz
    assert f_good / f_error > 2
    d_good, d_error = len(good) / r1, len(error) / r2
    assert 0.1 <= d_good <= 0.3 and d_error > 2 * d_good, (d_good, d_error)


def test_the_shipped_sound_files_are_the_rendered_ones():
    for name in ("good", "error"):
        _rate, shipped = read_wav(SOUND_DIR / f"{name}.wav")
        assert len(shipped) == len(render(name)) and np.max(np.abs(shipped - render(name))) < 1e-3


def test_the_station_check_has_a_speaker_row_that_says_when_no_audio_device_is_there(qtbot):
    from types import SimpleNamespace

    from app.config import Settings
    from ui.screens.check import CheckScreen
    from ui.sounds import audio_outputs
    from ui.tasks import TaskRunner

    w = CheckScreen(SimpleNamespace(settings=Settings()), TaskRunner(), "en")
    qtbot.addWidget(w)
    assert "speaker" in w.rows
    w._show({})
    ok, text = w.results["speaker"]
    devices = audio_outputs()
    if devices:  # this machine has a sound card: the row names it
        assert ok is True and devices[0] in text
    else:  # no audio output (this test machine, a kiosk with its speaker unplugged): the row says so, in red
        assert ok is False and "no audio output device" in text
    assert w.rows["speaker"][1].text() == text[:1].upper() + text[1:]  # shown as a sentence


def test_the_station_check_says_a_simulated_printer_prints_nothing_outside_the_demo(qtbot, tmp_path):
    """A station started without its configuration file (lost, or `config init` left as written) runs on the defaults:
    simulated printers. The check said "Printer ready" in green, and every label went nowhere while the order was
    packed. Outside the demo a simulated printer is red, with the key to set."""
    from types import SimpleNamespace

    from app.config import Settings
    from hardware.printing import make_printers
    from ui.screens.check import CheckScreen
    from ui.tasks import TaskRunner

    s = Settings()
    s.station.data_dir = str(tmp_path)
    svc = SimpleNamespace(settings=s, spool=SimpleNamespace(printers=make_printers(s)), scanner=None, scale=None,
                          camera=None, sync=None, oms=None)
    w = CheckScreen(svc, TaskRunner(), "en")
    qtbot.addWidget(w)
    got = w._probe()
    for name in ("label_printer", "slip_printer"):
        ok, text = got[name]
        assert ok is False and text.startswith("simulated printer: nothing is printed") and \
            f"devices.{name}.uri" in text, text
    svc.oms = object()  # the demo (its reference OMS): its simulated printers are its printers
    assert w._probe()["label_printer"][0] is True
