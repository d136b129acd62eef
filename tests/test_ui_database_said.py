"""A start that found the last run's write-ahead log deleted (its events after the last checkpoint gone: app.store,
`Store.begin_session`) says so on the station's screen, in red in the status bar, for the whole session: the log and
`packstation doctor` are read by a technician, the screen by the supervisor who calls one."""

from __future__ import annotations

import json
import sqlite3

from app.store import KV_SESSION, open_store, wal_path
from tests.test_ui_floor import station  # noqa: F401 (fixture)


def test_a_start_without_the_last_runs_log_says_events_were_lost_in_the_status_bar(qtbot, station, tmp_path):  # noqa: F811
    data = tmp_path / "station"
    data.mkdir()
    db = data / "station.sqlite3"
    open_store(db).close()
    con = sqlite3.connect(db)  # as a run killed mid-shift leaves it, its -wal then deleted by hand
    con.execute("UPDATE kv SET value = ? WHERE key = ?", (json.dumps({"open": True, "pid": 999_999_999}), KV_SESSION))
    con.commit()
    con.close()
    assert not wal_path(db).exists()
    win, svc = station(data_dir=data)
    from tests.layout import set_display

    set_display(win, (1024, 768))
    lab = win.status.labels["disk"]
    qtbot.waitUntil(lambda: lab.text().startswith("EVENTS LOST at start"), timeout=5000)
    assert lab.text().endswith("call a technician") and "#c62828" in lab.styleSheet()
    qtbot.waitUntil(lambda: lab.shown_text() == lab.text(), timeout=3000)  # whole at 1024x768 (it was cut)
    win.status.set_disk(10**6)  # the disk's free space, read every 30 s, does not hide it
    assert lab.text().startswith("EVENTS LOST at start")


def test_a_usual_start_says_nothing_of_the_database(qtbot, station, tmp_path):  # noqa: F811
    win, svc = station()
    qtbot.wait(200)
    assert not win.status.labels["disk"].text()
