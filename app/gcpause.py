"""`gc_paused()`: no cyclic garbage collection while a big structure that is kept is being built.

Building a 10,000-line order's index or reading the statistics snapshot allocates a few hundred
thousand objects that all stay alive; every collection those allocations trigger walks the whole heap
for nothing (it was half of the time spent). Collection resumes, as it was, when the block ends."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
