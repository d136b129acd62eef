"""OMS aggregation endpoint for all stations: GET /api/v1/stats?from=&to=&station_id=&operator_id=.

Include in the reference OMS server with `app.include_router(make_router(rows_fn, tz=..., sla=...))`, where
rows_fn(start_ms, end_ms) returns the received events as stats rows
(station_id, operator_id, ts_utc_ms, type, kind, order_id, extra[, n]) — see app/stats.py.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, HTTPException, Query

from app.config import SlaSettings
from app.stats import compute, day_bounds_ms


def make_router(rows_fn: Callable[[int, int], list[tuple]], *, tz: str = "Asia/Shanghai",
                sla: SlaSettings | None = None) -> APIRouter:
    r = APIRouter()

    @r.get("/api/v1/stats")
    def stats(date_from: str = Query(..., alias="from"), date_to: str = Query(..., alias="to"),
              station_id: str | None = None, operator_id: str | None = None) -> dict:
        try:
            a, b = day_bounds_ms(date_from, date_to, tz)
        except ValueError as e:
            raise HTTPException(422, f"from/to must be YYYY-MM-DD: {e}") from None
        return compute(rows_fn(a, b), tz=tz, start=a, end=b, sla=sla or SlaSettings(),
                       station=station_id, operator=operator_id).to_dict()

    return r
