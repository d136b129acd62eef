"""The station process's long-lived heap and the cyclic garbage collector.

A station keeps a large heap for the whole shift: the modules, the window's widgets and, above all,
the product index (100,000 codes for 50,000 products). CPython's full collections walk every tracked
object alive; on that heap one took 90-250 ms, and it fell wherever allocations crossed the
threshold: in the middle of opening a large order, or on a scan. `settle()` moves everything alive at
that moment into the collector's permanent generation (`gc.freeze`), so later full collections walk
only what the shift allocates after it (orders, events), which is small.

Frozen objects are still freed by reference counting; only cyclic garbage alive at the freeze stays
(start-up leftovers, once). The process calls `settle()` once, when its long-lived indexes are built
(`Station.when_indexed`, set by the station's entry point); the reference OMS calls it once its app is
built, in one process or in each worker (`sync.commands`, `sync.oms_server.asgi`).
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def settle() -> None:
    """Freeze the heap alive now out of the collector's generations (once, after start-up)."""
    gc.freeze()
    log.info("heap settled: %d long-lived objects out of the garbage collector's generations",
             gc.get_freeze_count())
