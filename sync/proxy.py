"""FaultProxy: a loopback TCP proxy that can pass, refuse, drop, reset, delay or answer HTTP errors.

Modes: "pass", "down" (refuse: the listener is closed), "drop" (accept, swallow, never answer),
"reset" (accept then RST), "delay" (pass after `delay_s`), "http500", "http503", "http429"
(answer that status with `Retry-After: retry_after_s`), "flaky" (each connection picks one of the
fault modes or pass at random, seeded). Used by the fault tests and the demo's "cut the network".
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time

MODES = ("pass", "down", "drop", "reset", "delay", "http500", "http503", "http429", "flaky")


class FaultProxy:
    def __init__(self, target_port: int, *, target_host: str = "127.0.0.1", port: int = 0, mode: str = "pass",
                 delay_s: float = 0.5, retry_after_s: int = 1, seed: int = 0,
                 flaky_weights: dict[str, float] | None = None) -> None:
        self.target = (target_host, target_port)
        self.mode = mode
        self.delay_s = delay_s
        self.retry_after_s = retry_after_s
        self._rnd = random.Random(seed)
        self.flaky_weights = flaky_weights or {"pass": 0.6, "drop": 0.05, "reset": 0.1, "delay": 0.05,
                                               "http500": 0.07, "http503": 0.07, "http429": 0.06}
        self._req_port = port
        self.port = 0
        self._lsock: socket.socket | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self.counts: dict[str, int] = {}
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._listen()
        return self

    def _listen(self) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port or self._req_port))
        s.listen(128)
        s.settimeout(0.2)
        self.port = s.getsockname()[1]
        self._lsock = s
        self._thread = threading.Thread(target=self._accept_loop, args=(s,), daemon=True, name="fault-proxy")
        self._thread.start()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
        with self._lock:
            old, self.mode = self.mode, mode
        if mode == "down" and old != "down":
            self._close_listener()
            self._kill_conns()
        elif old == "down" and mode != "down":
            self._listen()
        elif mode != "pass":
            self._kill_conns()

    def _close_listener(self) -> None:
        s, self._lsock = self._lsock, None
        if s:
            s.close()
        if self._thread:
            self._thread.join(2)

    def _kill_conns(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.close()
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()
        self._close_listener()
        self._kill_conns()

    def _accept_loop(self, ls: socket.socket) -> None:
        while not self._stop.is_set() and self._lsock is ls:
            try:
                c, _ = ls.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(c,), daemon=True).start()

    def _pick(self) -> str:
        mode = self.mode
        if mode == "flaky":
            with self._lock:
                ks = list(self.flaky_weights)
                mode = self._rnd.choices(ks, [self.flaky_weights[k] for k in ks])[0]
        self.counts[mode] = self.counts.get(mode, 0) + 1
        return mode

    def _handle(self, c: socket.socket) -> None:
        mode = self._pick()
        with self._lock:
            self._conns.add(c)
        try:
            if mode == "reset":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
                return
            if mode == "drop":
                c.settimeout(0.5)
                while not self._stop.is_set() and self.mode != "pass":
                    try:
                        if not c.recv(65536):
                            return
                    except TimeoutError:
                        continue
                    except OSError:
                        return
                return
            if mode.startswith("http"):
                code = int(mode[4:])
                c.settimeout(2)
                try:
                    c.recv(65536)
                except OSError:
                    pass
                text = {500: "Internal Server Error", 503: "Service Unavailable", 429: "Too Many Requests"}[code]
                body = b'{"error":"injected fault"}'
                hdr = (f"HTTP/1.1 {code} {text}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                       f"Connection: close\r\n")
                if code in (429, 503):
                    hdr += f"Retry-After: {self.retry_after_s}\r\n"
                c.sendall(hdr.encode() + b"\r\n" + body)
                return
            if mode == "delay":
                time.sleep(self.delay_s)
            self._pipe(c)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(c)
            try:
                c.close()
            except OSError:
                pass

    def _pipe(self, c: socket.socket) -> None:
        u = socket.create_connection(self.target, timeout=5)
        with self._lock:
            self._conns.add(u)
        u.settimeout(None)
        c.settimeout(None)

        def pump(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        t = threading.Thread(target=pump, args=(u, c), daemon=True)
        t.start()
        pump(c, u)
        t.join(10)
        with self._lock:
            self._conns.discard(u)
        u.close()
