"""Write resources/openapi.yaml from the reference server (`python -m sync.oms_server.export_openapi`).

The contract file is the product; its schemas are the pydantic models of sync/contract.py, which the
reference server and the station's client both validate with. The test tests/test_contract.py fails when
the file and the code drift apart. Links (list -> claim -> release/status) let stateful fuzzing follow
the station's real sequence of calls.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def generated_schema() -> dict:
    from sync.oms_server.app import create_app

    with tempfile.TemporaryDirectory() as d:
        app = create_app(Path(d) / "schema.sqlite3")
        spec = app.openapi()
        app.state.engine.dispose()
    spec["openapi"] = "3.1.0"
    spec["security"] = [{"HTTPBearer": []}]  # every operation: a station's own token, no anonymous access
    _add_links(spec)
    return spec


def _op_id(spec: dict, path: str, method: str) -> str:
    return spec["paths"][f"/api/v1{path}"][method]["operationId"]


def _add_links(spec: dict) -> None:
    claim, release = _op_id(spec, "/picklists/{picklist_id}/claim", "post"), \
        _op_id(spec, "/picklists/{picklist_id}/release", "post")
    get_one, status = _op_id(spec, "/picklists/{picklist_id}", "get"), _op_id(spec, "/orders/{order_id}/status", "get")
    first = "$response.body#/items/0/id"
    spec["paths"]["/api/v1/picklists"]["get"]["responses"]["200"]["links"] = {
        "ClaimFirst": {"operationId": claim, "parameters": {"picklist_id": first}},
        "GetFirst": {"operationId": get_one, "parameters": {"picklist_id": first}},
        "StatusOfFirst": {"operationId": status, "parameters": {"order_id": first}},
    }
    spec["paths"]["/api/v1/picklists/{picklist_id}/claim"]["post"]["responses"]["200"]["links"] = {
        "Release": {"operationId": release, "parameters": {"picklist_id": "$response.body#/id"}},
        "Status": {"operationId": status, "parameters": {"order_id": "$response.body#/id"}},
    }


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str)


def main() -> int:
    out = ROOT / "resources" / "openapi.yaml"
    out.write_text(yaml.dump(generated_schema(), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120),
                   encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
