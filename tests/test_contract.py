"""The contract file and the reference server agree, and fuzzing the server from the file finds no 500s."""

from __future__ import annotations

import yaml
from conftest import ROOT

SPEC_PATH = ROOT / "resources" / "openapi.yaml"
KEY_SCHEMAS = ["PickList", "PickLineM", "BarcodeM", "LotRuleM", "ShipToM", "EventBatch", "WireEvent", "BatchReply",
               "EventResult", "OrderStatus", "OperatorM", "Product", "ProductPage", "PickListPage", "ClaimRequest",
               "ServerTime", "Stats"]


def _spec():
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def test_file_is_openapi_31_with_backend_mapping():
    spec = _spec()
    assert spec["openapi"].startswith("3.1")
    desc = spec["info"]["description"]
    for backend in ("Odoo", "ERPNext", "Shopify", "ShipStation"):
        assert backend in desc
    assert all(p.startswith("/api/v1/") for p in spec["paths"])


def test_generated_schema_agrees_with_contract_file():
    from sync.oms_server.export_openapi import generated_schema

    gen, spec = generated_schema(), _spec()
    assert {p: sorted(m) for p, m in gen["paths"].items()} == {p: sorted(m) for p, m in spec["paths"].items()}
    for name in KEY_SCHEMAS:
        assert gen["components"]["schemas"][name] == spec["components"]["schemas"][name], name
    for p, methods in gen["paths"].items():
        for m, op in methods.items():
            assert op.get("parameters", []) == spec["paths"][p][m].get("parameters", []), (p, m)
            assert op.get("responses") == spec["paths"][p][m].get("responses"), (p, m)


def test_contract_requires_every_required_path():
    paths = _spec()["paths"]
    for p, m in [("/api/v1/time", "get"), ("/api/v1/picklists", "get"), ("/api/v1/picklists/{picklist_id}", "get"),
                 ("/api/v1/picklists/{picklist_id}/claim", "post"), ("/api/v1/picklists/{picklist_id}/release", "post"),
                 ("/api/v1/events/batch", "post"), ("/api/v1/orders/{order_id}/status", "get"),
                 ("/api/v1/operators", "get"), ("/api/v1/products", "get"), ("/api/v1/images/{name}", "get"),
                 ("/api/v1/_stats", "get")]:
        assert m in paths[p], (p, m)


def test_schemathesis_fuzzing_finds_no_server_errors(tmp_path):
    """Every operation of the contract file, fuzzed against the reference server on loopback: no 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    from sync.oms_server import serve_in_thread

    srv = serve_in_thread(tmp_path / "fuzz.sqlite3", seed="demo")
    failures: list[str] = []
    try:
        schema = schemathesis.openapi.from_dict(_spec())
        ops = [op.ok() for op in schema.get_all_operations()]
        assert len(ops) >= 11

        def fuzz(operation):
            @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(operation.as_strategy())
            def run(case):
                resp = case.call(base_url=srv.url + "", timeout=10)
                if resp.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {resp.status_code}")

            run()

        for op in ops:
            fuzz(op)
    finally:
        srv.stop()
    assert failures == []
