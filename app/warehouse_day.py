"""The warehouse day: dates and day boundaries in the warehouse's time zone, never the machine's (a kiosk image on
UTC is still in yesterday until 08:00 in a UTC+8 warehouse). One definition for the figures (`app.stats`, which
re-exports both) and for the scan path's date (`Station.today`), in a module light enough for the scan path to load."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def warehouse_today(tz: str) -> date:
    """The date in the warehouse zone now: "today" for the figures."""
    return datetime.now(ZoneInfo(tz)).date()


def day_bounds_ms(d_from: str, d_to: str, tz: str) -> tuple[int, int]:
    """[from 00:00, to+1 00:00) in the warehouse zone, as UTC ms."""
    z = ZoneInfo(tz)
    a = datetime.fromisoformat(d_from).replace(tzinfo=z)
    b = datetime.fromisoformat(d_to).replace(tzinfo=z) + timedelta(days=1)
    return int(a.timestamp() * 1000), int(b.timestamp() * 1000)
