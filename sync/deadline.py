"""A whole exchange with the OMS bounded in time, the reply's header included.

requests' read timeout is per socket read: an OMS, a proxy or a link that sends the reply's status line and headers
a byte at a time, each byte within the timeout, was never cut off — http.client reads header lines of up to 64 KB,
a hundred of them. F9's label check (given 1 s) then waited for hours, "Checking the order with the OMS…", the
packer at the parcel. The body is read against the deadline by `OmsClient.read_body`; this covers what comes
before it: the connection's request and its reply's header are watched, and a connection still in them at the
call's deadline has its socket shut down, so the blocked read returns and the call fails as any broken
connection does (retried within the call's time, then `OmsUnavailable`).

`within(deadline)` sets the deadline for the calls the current thread makes; `mount(session)` makes a requests
session's connections watched (a connection class of urllib3's, through requests' adapter)."""

from __future__ import annotations

import heapq
import itertools
import logging
import socket
import threading
import time
from contextlib import contextmanager

import requests.adapters
import urllib3.connection
import urllib3.connectionpool

log = logging.getLogger(__name__)
_local = threading.local()


class _Watchdog:
    """One daemon thread, started on first use, shutting down the sockets of connections still in their request or
    its reply's header at their deadline."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._heap: list[tuple[float, int, object]] = []
        self._armed: dict[int, float] = {}  # id(conn) -> its deadline while it is watched
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self.fired = 0  # connections cut off (for tests and logs)

    def arm(self, conn) -> None:
        deadline = getattr(_local, "deadline", None)
        if deadline is None:
            return
        with self._cv:
            self._armed[id(conn)] = deadline
            sooner = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (deadline, next(self._order), conn))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="oms-deadline", daemon=True)
                self._thread.start()
            if sooner:  # the thread waits for the heap's first deadline: woken only when that one moved (a wake-up
                self._cv.notify()  # per request cost the poll's requests a thread switch each)

    def disarm(self, conn) -> None:
        with self._cv:
            self._armed.pop(id(conn), None)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap:
                    self._cv.wait()
                deadline, _, conn = self._heap[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._cv.wait(left)
                    continue
                heapq.heappop(self._heap)
                if self._armed.get(id(conn)) != deadline:  # done with that exchange (or armed again, later)
                    continue
                del self._armed[id(conn)]
                self.fired += 1
            sock = getattr(conn, "sock", None)
            log.info("OMS exchange still in its request or reply header at its deadline: connection closed")
            try:
                if sock is not None:  # the blocked read returns: the call fails, retried in its time. (The plain
                    # socket's shutdown: an SSLSocket's own drops its SSL object under the thread reading with it.)
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


WATCHDOG = _Watchdog()


@contextmanager
def within(deadline: float):
    """Calls made by this thread in the block give up at `deadline` (monotonic), header included."""
    old = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = old


class _Watched:
    """Mixed into urllib3's connections: watched from connecting (a TLS handshake) until the reply's header is in."""

    def connect(self) -> None:
        WATCHDOG.arm(self)
        super().connect()  # type: ignore[misc]

    def request(self, *a, **kw) -> None:
        WATCHDOG.arm(self)
        try:
            super().request(*a, **kw)  # type: ignore[misc]
        except BaseException:
            WATCHDOG.disarm(self)
            raise

    def getresponse(self, *a, **kw):
        try:
            return super().getresponse(*a, **kw)  # type: ignore[misc]
        finally:
            WATCHDOG.disarm(self)


class _HTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *a, **kw) -> None:
        super().init_poolmanager(*a, **kw)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy, **kw):
        manager = super().proxy_manager_for(proxy, **kw)
        manager.pool_classes_by_scheme = _POOLS
        return manager


def mount(session: requests.Session) -> None:
    """The session's http and https connections watched against the calling thread's deadline (`within`)."""
    adapter = _Adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
