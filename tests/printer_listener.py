"""A real TCP listener on 127.0.0.1 acting as an ESC/POS network printer, for the printing tests.

It captures every job byte and answers DLE EOT n status queries according to `mode`:
online | near_end | paper_out | cover_open | no_reply | close (drops the connection on any query) |
garbage (answers a byte that is not a status reply). Extras: `stale` bytes sent after every reply
after each complete round of queries (a late
duplicate answer left in the socket), `power_off()` / `power_on()`, `power_off_after_bytes` (the printer dies
mid-job), `mode_after_job` (e.g. paper runs out while printing).
"""

from __future__ import annotations

import socket
import threading
import time

CUT_QUERY = b"\x1dg2\x00\xb2\x00"  # GS g 2: transmit the cumulative autocutter counter

REPLIES = {
    "online": {1: 0x16, 2: 0x12, 4: 0x12},
    "near_end": {1: 0x16, 2: 0x12, 4: 0x1E},
    "paper_out": {1: 0x1E, 2: 0x32, 4: 0x72},
    "cover_open": {1: 0x1E, 2: 0x16, 4: 0x12},
    "garbage": {1: 0x00, 2: 0x00, 4: 0x00},
}


class PrinterListener:
    def __init__(self, mode: str = "online") -> None:
        self.mode = mode
        self.stale = b""
        self.stale_sent = threading.Event()
        self.power_off_after_bytes: int | None = None
        self.mode_after_job: str | None = None
        self.jobs = bytearray()  # everything that was not a status query
        self.queries: list[int] = []
        self.counts_cuts = False  # answer GS g 2 with the number of cuts (GS V) received in jobs
        self.cuts = 0
        self.cut_queries = 0
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._srv: socket.socket | None = None
        self.port = 0
        self._stopped = False
        self.power_on()

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def power_on(self) -> None:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.port))
        srv.listen(4)
        srv.settimeout(0.2)
        self.port = srv.getsockname()[1]
        self._srv = srv
        self._stopped = False
        threading.Thread(target=self._accept, args=(srv,), daemon=True).start()

    def power_off(self) -> None:
        self._stopped = True
        srv, self._srv = self._srv, None
        if srv is not None:
            try:
                srv.shutdown(socket.SHUT_RDWR)  # stops listening now, even with accept() blocked
            except OSError:
                pass
            srv.close()
        with self._lock:
            for c in self._conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self._conns.clear()

    close = power_off

    def _accept(self, srv: socket.socket) -> None:
        while not self._stopped and self._srv is srv:
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(0.2)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # every reply leaves at once
        except OSError:  # powered off before this thread ran
            return
        pending = bytearray()
        while not self._stopped:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                conn.close()
                return
            pending += chunk
            cut_query = self.counts_cuts and pending.endswith(CUT_QUERY)
            if cut_query:
                del pending[-len(CUT_QUERY):]
                self.cut_queries += 1
            queries = []
            while len(pending) >= 3 and pending[-3:-1] == b"\x10\x04" and pending[-1] in (1, 2, 4):
                queries.insert(0, pending[-1])
                del pending[-3:]
            if pending:
                self._count_cuts(pending)
                with self._lock:
                    self.jobs += pending
                    n = len(self.jobs)
                pending.clear()
                if self.power_off_after_bytes is not None and n >= self.power_off_after_bytes:
                    self.power_off()
                    return
                if self.mode_after_job:
                    self.mode = self.mode_after_job
            if cut_query:  # answered after the data before it was processed, as a printer does
                try:
                    conn.sendall(b"_" + str(self.cuts).encode() + b"\x00")
                except OSError:
                    return
            for q in queries:
                self.queries.append(q)
                if self.mode == "no_reply":
                    continue
                if self.mode == "close":
                    conn.close()
                    return
                try:
                    conn.sendall(bytes((REPLIES[self.mode][q],)))
                    if self.stale and q == 4:  # after a full round: waits in the socket
                        conn.sendall(self.stale)
                        self.stale_sent.set()
                except OSError:
                    return

    def _count_cuts(self, data: bytearray) -> None:
        # a test job ends with GS V; the cut happens when the printer processes it (immediately here)
        if self.counts_cuts and self.power_off_after_bytes is None:
            self.cuts += data.count(b"\x1dV")

    def wait_jobs(self, nbytes: int = 1, timeout: float = 5.0) -> bytes:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.jobs) >= nbytes:
                    return bytes(self.jobs)
            time.sleep(0.01)
        return bytes(self.jobs)
