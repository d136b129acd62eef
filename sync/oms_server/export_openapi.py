"""Write resources/openapi.yaml from the reference server (`python -m sync.oms_server.export_openapi`).

The contract file is the product; this keeps it and the reference implementation in step. The test
tests/test_contract.py fails when they drift apart.
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
    spec.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    spec["security"] = [{"bearer": []}, {}]
    return spec


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
