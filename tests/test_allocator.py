"""glibc's allocator tuned for a process that runs all shift (`app.heap.tune_allocator`): with glibc's defaults,
freeing one large mapped block raised the size above which blocks are mapped, so later large blocks (a picture, a
query's rows) came from the heap and their memory stayed with the process when freed. The soak measured the
station's RSS growing 21.9 MB/h while the memory in use did not grow. Each case runs in a fresh process: the
allocator is set once, before threads."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator")

PROBE = r"""
import ctypes, json, sys
from app import heap

libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
tuned = heap.tune_allocator() if sys.argv[1] == "tuned" else None
libc.free(libc.malloc(4 << 20))  # one large block mapped and freed: glibc's default raises its threshold to 4 MB
before = heap.malloc_info()["mapped"]
blocks = [libc.malloc(512 << 10) for _ in range(8)]  # then eight pictures' worth of 512 KiB
mapped = heap.malloc_info()["mapped"] - before
for b in blocks:
    libc.free(b)
print(json.dumps({"tuned": tuned, "mapped": mapped, "after_free": heap.malloc_info()["mapped"] - before}))
"""


def probe(mode: str, **env) -> dict:
    import os

    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60,
                         env={**{k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUN"))},
                              **env}, check=True)
    return json.loads(out.stdout)


def test_large_blocks_stay_mapped_and_go_back_when_freed_once_tuned():
    default = probe("default")
    assert default["mapped"] == 0  # the default: after one 4 MB block, 512 KiB blocks come from the heap
    tuned = probe("tuned")
    assert tuned["tuned"] is True
    assert tuned["mapped"] >= 8 * (512 << 10) and tuned["after_free"] <= 0  # mapped, and given back when freed


def test_a_sites_own_allocator_settings_stand():
    assert probe("tuned", MALLOC_ARENA_MAX="4")["tuned"] is False
    assert probe("tuned", GLIBC_TUNABLES="glibc.malloc.arena_max=4")["tuned"] is False
