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


FIRST_DAY = date(2000, 1, 1)  # no warehouse log here is older: earlier days are a typing slip
DAYS_AHEAD = 366  # the last day a report may ask for: a year after the warehouse's today


class BadDays(ValueError):
    """A report's days that are no range of figures (a date not written YYYY-MM-DD, before FIRST_DAY, more than a year
    ahead, or the first after the last); `msg` says which, as a message (app.i18n) for the reader's language."""

    def __init__(self, msg) -> None:
        super().__init__(str(msg))
        self.msg = msg


def checked_days(d_from: str, d_to: str, tz: str, today: date | None = None) -> tuple[date, date]:
    """The first and last day of a report, or BadDays: 9999-12-31 overflowed the day bounds (OverflowError), 0001-01-01
    failed in the zone's arithmetic (ValueError "year 0"), and a first day after the last gave a report of zeros."""
    from app.i18n import Msg

    days = []
    for text in (d_from, d_to):
        try:
            days.append(date.fromisoformat(text))
        except (TypeError, ValueError):
            raise BadDays(Msg("{date} is not a date: write it as YYYY-MM-DD", date=str(text)[:40])) from None
    last = (today or warehouse_today(tz)) + timedelta(days=DAYS_AHEAD)
    for d in days:
        if not FIRST_DAY <= d <= last:
            raise BadDays(Msg("{date} is outside the days a report takes ({first} to {last})", date=str(d),
                              first=str(FIRST_DAY), last=str(last)))
    if days[0] > days[1]:
        raise BadDays(Msg("the first day ({first}) is after the last ({last})", first=str(days[0]),
                          last=str(days[1])))
    return days[0], days[1]
