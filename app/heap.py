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

`tune_allocator()` sets glibc's allocator for a process that runs all shift (the station calls it before its
first thread, in `ui.shell.make_app`). By default glibc gives each thread that allocates its own arena (up to 8 per
core) and, once a large block it had mapped is freed, raises the size above which it maps blocks (up to 32 MB): the
freed memory of the station's threads (SQLite, Qt, pictures, the outbox) then stays in many arenas, in pieces the
next allocations do not fit. Measured with the soak (`scripts/soak.py`, which reports glibc's own figures): the
station's RSS grew 21.9 MB/h while the memory in use did not grow at all (-1.7 MB/h) and what glibc held grew 21.6.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import logging
import os
import platform

log = logging.getLogger(__name__)


def settle() -> None:
    """Freeze the heap alive now out of the collector's generations (once, after start-up)."""
    gc.freeze()
    log.info("heap settled: %d long-lived objects out of the garbage collector's generations",
             gc.get_freeze_count())


# mallopt(3) parameters (malloc.h)
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENA_MAX = 2  # arenas for all threads: the GUI thread's and the workers' freed memory reused, not kept per thread
MMAP_THRESHOLD = 256 * 1024  # blocks from here up are mapped and given back when freed (fixed: no dynamic raise)


@functools.cache
def tune_allocator() -> bool:
    """Set glibc's arena count and mapping threshold (once; before the process starts its threads). False where
    the C library is not glibc, or when the environment already sets either (MALLOC_ARENA_MAX,
    MALLOC_MMAP_THRESHOLD_, GLIBC_TUNABLES: a site's own choice stands)."""
    ok = False
    own = any(k in os.environ for k in ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_")) or \
        "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "")
    if not own and platform.libc_ver()[0] == "glibc":
        try:
            mallopt = ctypes.CDLL(None).mallopt
            mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
            ok = mallopt(M_ARENA_MAX, ARENA_MAX) == 1 and mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
        except (OSError, AttributeError):
            ok = False
        log.info("allocator: %s", f"{ARENA_MAX} arenas, blocks from {MMAP_THRESHOLD // 1024} KiB mapped" if ok
                 else "left as it is (mallopt refused)")
    return ok


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                                              "uordblks", "fordblks", "keepcost")]


def malloc_info() -> dict[str, int] | None:
    """glibc's own figures for its heap, over all arenas (mallinfo2(3), bytes; None elsewhere): `held` from the
    system (arenas and mapped blocks), `in_use` of it, `mapped` (blocks mapped on their own). RSS growing while
    `in_use` stays flat is freed memory the allocator keeps, not objects kept alive."""
    try:
        fn = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    mi = fn()
    return {"held": mi.arena + mi.hblkhd, "in_use": mi.uordblks + mi.hblkhd, "mapped": mi.hblkhd}
