"""Camera in the station: the demo's camera is a video file played through the real camera pipeline (OpenCV
reads it, the decoder finds the barcode, the preview shows it with its outline) and its scans take the wedge's
path to the work screen. The station check opens the camera for real."""

from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.config import Settings
from app.events import EventType
from tests.test_ui_floor import burst, login, open_order, station, unit_code  # noqa: F401 (fixture)


def test_a_barcode_in_the_demo_video_is_accepted_on_the_work_screen(qtbot, station):  # noqa: F811
    win, svc = station()
    assert svc.camera is not None and win.camera_view is not None
    login(qtbot, win)
    if win.stack.currentWidget() is win.check:
        qtbot.waitUntil(lambda: len(win.check.results) == len(win.check.rows), timeout=15000)
        assert win.check.results["camera"][0] is True, win.check.results["camera"]  # opened, pictures came
    s = open_order(qtbot, win, svc, want=lambda p: not any(ln.lot.required or ln.serial_required for ln in p.lines))
    line = s.current_line()
    if line.bin_barcode:
        burst(win, line.bin_barcode)  # the wedge scanner confirms the bin
    before = s.progress[line.id].scanned
    shown_before = win.camera_view.frames_shown
    # the preview says how the demo's camera is shown an item, until it has a picture
    assert "Ctrl+Shift+C" in win.camera_view.idle_text
    QTest.keyClick(win.work, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: s.progress[line.id].scanned == before + 1, timeout=20000)
    ev = svc.core.events.last(EventType.SCAN)
    assert ev.kind == "accepted", ev.kind
    assert ev.payload["source"].lower().endswith("camera") and ev.payload["code"].lstrip("0") == unit_code(line).lstrip("0")
    assert not win.work.panel.locked
    qtbot.waitUntil(lambda: win.camera_view.frames_shown > shown_before, timeout=10000)
    qtbot.waitUntil(lambda: bool(win.camera_view.outlines), timeout=10000)  # the barcode's outline on the preview
    svc.camera.finished.wait(10)
    assert s.progress[line.id].scanned == before + 1  # held in view for 2 s: counted once


def test_the_station_check_opens_a_missing_camera_and_says_so(qtbot, tmp_path):
    from ui.screens.check import CheckScreen
    from ui.services import make_camera
    from ui.tasks import TaskRunner

    s = Settings()
    s.devices.camera.kind = "opencv"
    s.devices.camera.device = str(tmp_path / "no-such-camera.avi")
    cam, _auto = make_camera(s)
    svc = SimpleNamespace(settings=s, camera=cam, camera_running=lambda: False, camera_frames=0)
    w = CheckScreen(svc, TaskRunner(), "en")
    qtbot.addWidget(w)
    ok, text = w._probe_camera(wait_s=1.0)
    assert ok is False and "no-such-camera" in text


def test_the_station_check_gets_a_picture_from_a_video_camera(qtbot, tmp_path):
    from ui.demo_video import make_barcode_video
    from ui.screens.check import CheckScreen
    from ui.services import make_camera
    from ui.tasks import TaskRunner

    s = Settings()
    s.devices.camera.kind = "files"
    s.devices.camera.device = str(make_barcode_video(tmp_path / "cam.avi", "4006381333931"))
    cam, _auto = make_camera(s)
    svc = SimpleNamespace(settings=s, camera=cam, camera_running=lambda: False, camera_frames=0)
    w = CheckScreen(svc, TaskRunner(), "en")
    qtbot.addWidget(w)
    ok, text = w._probe_camera()
    assert ok is True and "delivers pictures" in text


def test_an_image_folder_as_the_camera_delivers_its_barcode_through_the_scan_path(qtbot, tmp_path):
    import cv2

    from ui.bridge import DeviceBridge
    from ui.demo_video import barcode_image
    from ui.services import make_camera

    folder = tmp_path / "camera"
    folder.mkdir()
    img = cv2.copyMakeBorder(barcode_image("6900000000014"), 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
    cv2.imwrite(str(folder / "item.png"), img)
    s = Settings()
    s.devices.camera.kind, s.devices.camera.device = "files", str(folder)
    cam, autostart = make_camera(s)
    assert autostart  # outside the demo a configured camera runs from the start
    bridge = DeviceBridge()
    got = []
    bridge.scan.connect(got.append)  # the signal the main window's on_scan listens to
    try:
        cam.start(bridge.on_scan, lambda st: None)
        qtbot.waitUntil(lambda: bool(got), timeout=10000)
    finally:
        cam.stop()
        bridge.deleteLater()
    assert got[0].text == "6900000000014" and str(got[0].source).lower().endswith("camera")


def test_two_items_in_the_camera_s_view_are_said_over_its_picture(qtbot, tmp_path):
    """With codes of two different items in view the camera sends nothing and its status says why, but the station
    threw the camera's statuses away: both outlines drawn, no count, not a word. The preview now says it over the
    picture, and stops saying it once one item is left."""
    import cv2
    import zxingcpp

    from app.config import CameraSettings
    from hardware.camera import CameraScanner
    from tests.test_camera import bench, label
    from ui.bridge import DeviceBridge
    from ui.camera_view import CameraView
    from ui.services import Services

    two = bench((label("4006381333931", zxingcpp.BarcodeFormat.EAN13, 3), (0.3, 0.5)),
                (label("6901234567892", zxingcpp.BarcodeFormat.EAN13, 3), (0.72, 0.5)))
    d = tmp_path / "shown"
    d.mkdir()
    cv2.imwrite(str(d / "000.png"), two)
    svc = Services(settings=Settings(), core=None, station=None, camera=CameraScanner.from_settings(
        CameraSettings(kind="files", device=str(d)), frames_per_image=400))
    svc._bridge = bridge = DeviceBridge()
    view = CameraView(svc)
    qtbot.addWidget(view)
    view.resize(320, 240)
    view.show()
    try:
        svc.start_camera()
        # the status and the frames come by separate signals: the note may be set before the first frame is painted
        qtbot.waitUntil(lambda: view.note == "Two codes in view: show one at a time" and view.frames_shown > 0,
                        timeout=20000)
        view.grab()  # painted with the note over the picture
    finally:
        svc.camera.stop()
        view.detach()
        bridge.deleteLater()
    assert svc.camera_status_sinks == []
    view.show_status(SimpleNamespace(detail=None))  # ready again: the note goes
    assert view.note == ""
