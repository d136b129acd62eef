"""OMS aggregation endpoint for all stations: GET /api/v1/stats?from=&to=&station_id=&operator_id=&tz=.

Include in the reference OMS server with `app.include_router(make_router(rows_fn, tz=..., sla=...))`, where
rows_fn(start_ms, end_ms) returns the received events as stats rows
(station_id, operator_id, ts_utc_ms, type, kind, order_id, extra[, n]) — see app/stats.py. With
`errors_fn(start_ms, end_ms, station_id, operator_id)` the reply also carries `latest_errors`: every station's
newest errors as `app.stats.error_entry` dicts (the supervisor screen's latest-errors table), newest first.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Query

from app.config import SlaSettings
from app.stats import compute, day_bounds_ms


def make_router(rows_fn: Callable[[int, int], list[tuple]], *, tz: str = "Asia/Shanghai",
                sla: SlaSettings | None = None,
                errors_fn: Callable[[int, int, str | None, str | None], list[dict]] | None = None) -> APIRouter:
    r = APIRouter()

    @r.get("/api/v1/stats")
    def stats(date_from: str = Query(..., alias="from"), date_to: str = Query(..., alias="to"),
              station_id: str | None = None, operator_id: str | None = None,
              tz_name: str | None = Query(None, alias="tz", max_length=64)) -> dict:
        """The figures of [from, to] as days and hours of `tz` (the asking station's warehouse zone; the OMS's own
        when not given): a station set to another zone than the OMS's read other days and hours for "all stations"
        than for itself."""
        import re
        from zoneinfo import ZoneInfo

        zone = tz
        if tz_name:
            try:
                ZoneInfo(tz_name)
            except (ValueError, KeyError, OSError):  # (ZoneInfoNotFoundError is a KeyError)
                raise HTTPException(422, f"tz: unknown time zone {tz_name[:64]!r}") from None
            zone = tz_name

        ok = all(re.fullmatch(r"(19[7-9][0-9]|2[0-9]{3})-[0-9]{2}-[0-9]{2}", d) for d in (date_from, date_to))
        try:  # dates near year 1 or 9999 overflow the epoch arithmetic: refused (422), never a 500
            a, b = day_bounds_ms(date_from, date_to, zone) if ok else (0, -1)
        except (ValueError, OverflowError) as e:
            raise HTTPException(422, f"from/to must be YYYY-MM-DD between 1970 and 2999: {e}") from None
        if not ok or b <= a:
            raise HTTPException(422, "from/to must be YYYY-MM-DD between 1970 and 2999, from <= to")
        reply = compute(rows_fn(a, b), tz=zone, start=a, end=b, sla=sla or SlaSettings(),
                        station=station_id, operator=operator_id).to_dict()
        if errors_fn is not None:
            reply["latest_errors"] = errors_fn(a, b, station_id, operator_id)
        return reply

    return r
