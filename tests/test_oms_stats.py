from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync.oms_stats import make_router
from tests.test_stats import utc_ms


def test_stats_endpoint_all_stations_and_filter():
    rows = [("ST1", "op1", utc_ms(2026, 11, 16, 15, 59), "scan", "wrong_item", "SO1", None),
            ("ST2", "op2", utc_ms(2026, 11, 16, 16, 1), "scan", "wrong_item", "SO2", None)]
    app = FastAPI()
    app.include_router(make_router(lambda a, b: rows))
    c = TestClient(app)
    d = c.get("/api/v1/stats", params={"from": "2026-11-16", "to": "2026-11-17"}).json()
    assert d["by_station"] == {"ST1": 1, "ST2": 1} and d["by_day"] == {"2026-11-16": 1, "2026-11-17": 1}
    d = c.get("/api/v1/stats", params={"from": "2026-11-16", "to": "2026-11-17", "station_id": "ST2"}).json()
    assert d["by_type"] == {"wrong_item": 1}
    assert c.get("/api/v1/stats", params={"from": "x", "to": "y"}).status_code == 422
