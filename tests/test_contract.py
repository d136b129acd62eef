"""One contract: the pydantic models of sync/contract.py validate on both sides, the contract file is generated
from them, and fuzzing the server from the file (positive, negative and stateful, bounded) finds no 5xx."""

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


def test_server_and_client_validate_with_the_same_models():
    import inspect

    from sync import client, contract
    from sync.oms_server import app as server

    for name in ("EventBatch", "ClaimRequest", "ReleaseRequest", "ClaimReply", "BatchReply", "PickListPage",
                 "OperatorList", "Stats", "ServerTime", "OrderStatus"):
        assert getattr(server, name) is getattr(contract, name), name
    src = inspect.getsource(client)
    for name in ("ServerTime", "PageEnvelope", "PickList", "Product", "ClaimReply", "ErrorReply", "OrderStatus",
                 "BatchReply", "OperatorM"):
        assert f"c.{name}" in src, name  # the client's validation is the contract's, not hand-written checks


def test_client_validation_is_strict_where_the_server_is_lenient():
    import pytest

    from sync.contract import BatchReply, ContractError, ServerTime, parse_reply

    assert parse_reply(ServerTime, {"server_time_ms": 5}, "t").server_time_ms == 5
    for bad in ({"server_time_ms": "5"}, {"server_time_ms": True}, {"server_time_ms": 5.5}, {}, [], None):
        with pytest.raises(ContractError, match="server_time_ms|body|valid"):
            parse_reply(ServerTime, bad, "t")
    with pytest.raises(ContractError, match="results.0.status"):
        parse_reply(BatchReply, {"results": [{"id": "x", "status": "maybe"}], "server_time_ms": 1}, "b")


def _fuzz_target(tmp_path):
    from sync.oms_server import serve_in_thread

    srv = serve_in_thread(tmp_path / "fuzz.sqlite3", seed="demo")
    return srv, {"Authorization": f"Bearer {srv.issue_token('FUZZ')}"}


def test_schemathesis_fuzzing_finds_no_server_errors(tmp_path):
    """Every operation of the contract file, fuzzed against the reference server on loopback with a station's
    token, with data that fits the contract and data that does not (negative): no 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode

    srv, auth = _fuzz_target(tmp_path)
    failures: list[str] = []
    try:
        schema = schemathesis.openapi.from_dict(_spec())
        ops = [op.ok() for op in schema.get_all_operations()]
        assert len(ops) >= 12

        def fuzz(operation, mode):
            @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(operation.as_strategy(generation_mode=mode))
            def run(case):
                for headers in (auth, None):
                    resp = case.call(base_url=srv.url, headers=headers, timeout=10)
                    if resp.status_code >= 500:
                        failures.append(f"{mode} {case.method} {case.formatted_path}: {resp.status_code}")
                    # a request the HTTP parser refuses (raw bytes outside ASCII in its target, a control character
                    # in a header) is answered 400 before any route or token check: nothing served, so no 401 either
                    unparsed = resp.status_code == 400 and resp.text == "Invalid HTTP request received."
                    if headers is None and resp.status_code != 401 and not unparsed:  # the case and answer, to find it
                        failures.append(f"no token, {case.method} {case.formatted_path}: {resp.status_code} "
                                        f"{resp.text[:200]!r}; headers {case.headers!r}, query {case.query!r}, "
                                        f"body {str(case.body)[:200]!r}")

            run()

        for op in ops:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz(op, mode)
    finally:
        srv.stop()
    assert failures == []


def test_schemathesis_stateful_sequences_find_no_server_errors(tmp_path):
    """Sequences that follow the contract's links (list -> claim -> release / status), bounded. Derandomized: with
    random sequences a run now and then never reached a claim (12 sequences; seen once in a full suite run), and
    the check that the links were followed failed on chance, not on the server."""
    import schemathesis
    from hypothesis import HealthCheck, settings

    srv, auth = _fuzz_target(tmp_path)
    seen: list[tuple[str, str, int]] = []
    try:
        schema = schemathesis.openapi.from_dict(_spec())
        Machine = schema.as_state_machine()

        class Station(Machine):
            def get_call_kwargs(self, case):
                return {"base_url": srv.url, "headers": auth, "timeout": 10}

            def validate_response(self, response, case, additional_checks=None, **kwargs):
                seen.append((case.method, case.path, response.status_code))
                assert response.status_code < 500, (case.method, case.formatted_path, response.status_code)

        Station.run(settings=settings(max_examples=20, stateful_step_count=5, deadline=None, database=None,
                                      derandomize=True, suppress_health_check=list(HealthCheck)))
    finally:
        srv.stop()
    assert seen and all(code < 500 for _, _, code in seen)
    assert any(p.endswith("/claim") for _, p, _ in seen)  # the links were followed
