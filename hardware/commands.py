"""Device sub-commands: `packstation decode FILE...` (the live camera's decoding pipeline on image files)."""

from __future__ import annotations

import json
import logging

log = logging.getLogger(__name__)


def register(sub) -> None:
    p = sub.add_parser("decode", help="decode barcodes in image files (one JSON line per image)",
                       description="Decode barcodes in image files with the same pipeline as the live camera. "
                                   'Prints one JSON line per image: {"file", "results": [{"text", "format", "gs1"}]}')
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--backend", choices=["zxing", "pyzbar"], default="zxing")
    p.set_defaults(func=_decode)


def _decode(args) -> int:
    from hardware.decode import decode_file

    rc = 0
    for f in args.files:
        try:
            results = [r.as_json() for r in decode_file(f, backend=args.backend)]
            line = {"file": f, "results": results}
        except Exception as exc:  # unreadable file: say so on that line, keep going
            log.warning("decode %s: %s", f, exc)
            line = {"file": f, "results": [], "error": str(exc)}
            rc = 1
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return rc
