"""The OMS HTTP client: timeouts, TLS verification, bearer token (0600 file or keyring, never logged),
retries with exponential backoff + full jitter honouring Retry-After, every reply validated."""

from __future__ import annotations

import logging
import random
import stat
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import requests

from app.picklist import PickList, PickListError

log = logging.getLogger(__name__)

API = "/api/v1"
RETRY_STATUSES = {429, 502, 503, 504}


class OmsError(Exception):
    """The OMS could not be reached or answered an error (message safe to show and log)."""


class OmsUnavailable(OmsError):
    """Network down, timeout, or 5xx/429 after retries: the station works offline."""


class MalformedReply(OmsError):
    """The OMS answered something that does not follow the contract."""


class BatchRefused(OmsError):
    """The OMS refused an event batch for good (HTTP 400/413/422): retrying it as it is cannot help."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"event batch refused: HTTP {status}")
        self.status = status
        self.body = body


class TokenFileError(OmsError):
    pass


def read_token(token_file: str, *, keyring_service: str = "packstation-oms") -> str | None:
    """Bearer token from a 0600 file, else the OS keyring if present, else None."""
    if token_file:
        p = Path(token_file).expanduser()
        try:
            st = p.stat()
        except OSError as e:
            raise TokenFileError(f"OMS token file {p} cannot be read: {e.strerror}") from None
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise TokenFileError(
                f"OMS token file {p} is readable by other users (mode {stat.S_IMODE(st.st_mode):o}); "
                f"run: chmod 600 {p}")
        tok = p.read_text(encoding="utf-8").strip()
        return tok or None
    try:
        import keyring  # optional
    except ImportError:
        return None
    try:
        return keyring.get_password(keyring_service, "token")
    except Exception:  # no backend on a kiosk: no token
        log.info("no OS keyring backend available; no OMS token")
        return None


def retry_after_s(resp: requests.Response | None) -> float | None:
    if resp is None:
        return None
    v = resp.headers.get("Retry-After")
    if not v:
        return None
    try:
        return max(0.0, float(v))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(v).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def backoff_s(attempt: int, base: float, cap: float, rnd: random.Random) -> float:
    """Full jitter: uniform(0, min(cap, base * 2**attempt))."""
    return rnd.uniform(0, min(cap, base * (2 ** attempt)))


@dataclass
class Counters:
    requests: int = 0
    failures: int = 0
    malformed: int = 0
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def inc(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


class OmsClient:
    def __init__(self, url: str, *, token: str | None = None, connect_timeout_s: float = 3.0,
                 read_timeout_s: float = 10.0, ca_bundle: str = "", max_retries: int = 3,
                 backoff_base_s: float = 0.2, backoff_cap_s: float = 30.0, seed: int | None = None) -> None:
        self.base = url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._rnd = random.Random(seed)
        self.s = requests.Session()
        self.s.verify = ca_bundle if ca_bundle else True  # verification is never switched off
        self.s.headers["User-Agent"] = "packstation-sync/1"
        self.s.headers["Accept"] = "application/json"
        if token:
            self.s.headers["Authorization"] = f"Bearer {token}"
        self.counters = Counters()
        self.last_rtt_ms: float | None = None

    @classmethod
    def from_settings(cls, settings, **kw) -> OmsClient:
        o = settings.oms
        return cls(o.url, token=read_token(o.token_file), connect_timeout_s=o.connect_timeout_s,
                   read_timeout_s=o.read_timeout_s, ca_bundle=o.ca_bundle, **kw)

    def __repr__(self) -> str:  # never the token
        return f"OmsClient({self.base!r})"

    def close(self) -> None:
        self.s.close()

    # -- transport ---------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, retries: int | None = None, timeout=None,
                expect=(200,), **kw) -> requests.Response:
        retries = self.max_retries if retries is None else retries
        url = self.base + path
        last: str = ""
        for attempt in range(retries + 1):
            self.counters.inc("requests")
            resp = None
            try:
                t0 = time.monotonic()
                resp = self.s.request(method, url, timeout=timeout or self.timeout, **kw)
                self.last_rtt_ms = (time.monotonic() - t0) * 1000
            except requests.exceptions.SSLError as e:
                self.counters.inc("failures")
                raise OmsUnavailable(f"TLS verification failed for {self.base}: {type(e).__name__}") from None
            except requests.RequestException as e:
                last = f"{type(e).__name__} talking to {self.base}{path}"
            else:
                if resp.status_code in expect or resp.status_code == 304:
                    return resp
                if resp.status_code in RETRY_STATUSES or resp.status_code >= 500:
                    last = f"HTTP {resp.status_code} from {path}"
                else:
                    return resp  # a definitive client-level answer (404, 409, 400...) for the caller
            if attempt < retries:
                self.counters.inc("retries")
                wait = backoff_s(attempt, self.backoff_base_s, self.backoff_cap_s, self._rnd)
                ra = retry_after_s(resp)
                if ra is not None:
                    wait = max(wait, min(ra, self.backoff_cap_s))
                log.info("OMS %s %s failed (%s); retry %d in %.2fs", method, path, last, attempt + 1, wait)
                time.sleep(wait)
        self.counters.inc("failures")
        raise OmsUnavailable(last)

    def _json(self, resp: requests.Response, what: str) -> Any:
        try:
            return resp.json()
        except ValueError:
            self._malformed(f"{what}: reply is not JSON (HTTP {resp.status_code})")

    def _malformed(self, msg: str):
        self.counters.inc("malformed")
        log.error("malformed OMS reply: %s", msg)
        raise MalformedReply(msg)

    def _int(self, d: Any, key: str, what: str) -> int:
        if not isinstance(d, dict) or not isinstance(d.get(key), int) or isinstance(d.get(key), bool):
            self._malformed(f"{what}: {key} missing or not an integer")
        return d[key]

    # -- calls -------------------------------------------------------------------------------------
    def server_time(self) -> tuple[int, int, int]:
        """(t0_ms, server_ms, t1_ms) with local UTC ms before/after: for the NTP-style midpoint."""
        t0 = time.time_ns() // 1_000_000
        r = self.request("GET", f"{API}/time")
        t1 = time.time_ns() // 1_000_000
        return t0, self._int(self._json(r, "time"), "server_time_ms", "time"), t1

    def _page(self, path: str, params: dict, etag: str | None, what: str):
        headers = {"If-None-Match": etag} if etag else {}
        r = self.request("GET", path, params=params, headers=headers)
        if r.status_code == 304:
            return None, etag
        d = self._json(r, what)
        if not isinstance(d, dict) or not isinstance(d.get("items"), list):
            self._malformed(f"{what}: items missing")
        nc = d.get("next_cursor")
        if nc is not None and not isinstance(nc, str):
            self._malformed(f"{what}: next_cursor not a string")
        self._int(d, "server_time_ms", what)
        return d, r.headers.get("ETag")

    def list_picklists(self, station_id: str, *, updated_since: int | None = None, cursor: str | None = None,
                       limit: int = 500, etag: str | None = None):
        """-> (page dict with items as (PickList, raw, claimed_by) | None if 304, etag). Bad items are skipped,
        logged and counted; they never stop the good ones."""
        params: dict[str, Any] = {"station_id": station_id, "limit": limit}
        if updated_since is not None:
            params["updated_since"] = updated_since
        if cursor:
            params["cursor"] = cursor
        d, et = self._page(f"{API}/picklists", params, etag, "picklists")
        if d is None:
            return None, et
        items = []
        for raw in d["items"]:
            try:
                pl = PickList.from_dict(raw)
            except PickListError as e:
                self.counters.inc("malformed")
                log.error("malformed pick list from OMS skipped: %s", e)
                continue
            cb = raw.get("claimed_by") if isinstance(raw, dict) else None
            items.append((pl, raw, cb if isinstance(cb, str) else None))
        return {"items": items, "next_cursor": d.get("next_cursor"), "server_time_ms": d["server_time_ms"]}, et

    def get_picklist(self, picklist_id: str) -> PickList | None:
        r = self.request("GET", f"{API}/picklists/{picklist_id}", expect=(200, 404))
        if r.status_code == 404:
            return None
        try:
            return PickList.from_dict(self._json(r, "picklist"))
        except PickListError as e:
            self._malformed(str(e))

    def list_products(self, *, updated_since: int | None = None, cursor: str | None = None,
                      etag: str | None = None, limit: int = 500):
        params: dict[str, Any] = {"limit": limit}
        if updated_since is not None:
            params["updated_since"] = updated_since
        if cursor:
            params["cursor"] = cursor
        d, et = self._page(f"{API}/products", params, etag, "products")
        if d is None:
            return None, et
        good = []
        for p in d["items"]:
            if not isinstance(p, dict) or not isinstance(p.get("sku"), str) or not isinstance(p.get("name"), str):
                self.counters.inc("malformed")
                log.error("malformed product from OMS skipped")
                continue
            bcs = p.get("barcodes", [])
            if not isinstance(bcs, list) or not all(isinstance(b, dict) and isinstance(b.get("code"), str)
                                                    for b in bcs):
                self.counters.inc("malformed")
                log.error("product %s: malformed barcodes, skipped", p["sku"])
                continue
            good.append(p)
        d["items"] = good
        return d, et

    def claim(self, picklist_id: str, station_id: str, *, provisional: bool = False,
              claimed_at_ms: int | None = None, timeout=None) -> tuple[bool, dict]:
        r = self.request("POST", f"{API}/picklists/{picklist_id}/claim", expect=(200, 404, 409), timeout=timeout,
                         json={"station_id": station_id, "provisional": provisional, "claimed_at_ms": claimed_at_ms},
                         retries=1)
        d = self._json(r, "claim")
        if not isinstance(d, dict):
            self._malformed("claim: not an object")
        return r.status_code == 200, d

    def release(self, picklist_id: str, station_id: str, reason: str = "") -> bool:
        r = self.request("POST", f"{API}/picklists/{picklist_id}/release", expect=(200, 404, 409),
                         json={"station_id": station_id, "reason": reason})
        return r.status_code == 200

    def order_status(self, order_id: str, *, timeout: float | None = None) -> dict | None:
        to = (min(self.timeout[0], timeout), timeout) if timeout else None
        r = self.request("GET", f"{API}/orders/{order_id}/status", expect=(200, 404), timeout=to,
                         retries=0 if timeout else None)
        if r.status_code == 404:
            return None
        d = self._json(r, "order status")
        if not isinstance(d, dict) or not isinstance(d.get("status"), str):
            self._malformed("order status: status missing")
        return d

    def send_batch(self, station_id: str, events: list[dict], clock_offset_ms: int | None) -> tuple[list[dict], int]:
        body = {"station_id": station_id, "sent_at_ms": time.time_ns() // 1_000_000,
                "clock_offset_ms": clock_offset_ms, "events": events}
        r = self.request("POST", f"{API}/events/batch", json=body, expect=(200,))
        if r.status_code in (400, 413, 422):
            raise BatchRefused(r.status_code, r.text[:2000])
        if r.status_code != 200:
            raise OmsError(f"event batch refused: HTTP {r.status_code}")
        d = self._json(r, "events batch")
        st = self._int(d, "server_time_ms", "events batch")
        res = d.get("results")
        if not isinstance(res, list) or not all(
                isinstance(x, dict) and isinstance(x.get("id"), str)
                and x.get("status") in ("accepted", "duplicate", "rejected") for x in res):
            self._malformed("events batch: results malformed")
        return res, st

    def operators(self) -> list[dict]:
        r = self.request("GET", f"{API}/operators")
        d = self._json(r, "operators")
        if not isinstance(d, dict) or not isinstance(d.get("items"), list):
            self._malformed("operators: items missing")
        out = []
        for o in d["items"]:
            if (isinstance(o, dict) and all(isinstance(o.get(k), str) for k in ("id", "badge", "name", "role",
                                                                                  "pin_hash"))
                    and o["role"] in ("picker", "packer", "supervisor") and o["pin_hash"].startswith("scrypt$")):
                out.append(o)
            else:
                self.counters.inc("malformed")
                log.error("malformed operator from OMS skipped")
        return out

    def image(self, url: str) -> tuple[bytes, str]:
        path = url if url.startswith("/") else "/" + url
        if url.startswith(("http://", "https://")):
            if not url.startswith(self.base):
                raise OmsError("image URL outside the OMS")
            path = url[len(self.base):]
        r = self.request("GET", path, expect=(200,))
        if r.status_code != 200:
            raise OmsError(f"image {url}: HTTP {r.status_code}")
        return r.content, r.headers.get("Content-Type", "application/octet-stream")

    def stats(self) -> dict:
        return self._json(self.request("GET", f"{API}/_stats"), "stats")


