"""The OMS HTTP client: timeouts, TLS verification, bearer token (0600 file or keyring, never logged, never
sent over plain http except to loopback), retries with exponential backoff + full jitter honouring Retry-After,
every reply validated against the shared contract (sync/contract.py)."""

from __future__ import annotations

import ipaddress
import logging
import os
import random
import stat
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app.events import strict_json
from app.operators import hash_is_acceptable
from app.picklist import PickList, PickListError
from sync.images import ImageRefused

if TYPE_CHECKING:
    import requests


class _Contract:
    """sync.contract on first use: `requests` and the contract's pydantic models took 0.2 s of every start-up,
    before the login screen, that never talks to the OMS (the window warms them up on a worker once shown)."""

    def __getattr__(self, name: str) -> Any:
        from sync import contract

        return getattr(contract, name)


c = _Contract()

log = logging.getLogger(__name__)

API = "/api/v1"
_JSON = {"Content-Type": "application/json"}
RETRY_STATUSES = {429, 502, 503, 504}
CHUNK_BYTES = 64 * 1024
# A product photo larger than this is refused, not read: the whole reply was read into memory on the sync thread, so
# an OMS (or a proxy) answering an image with gigabytes took the station's memory with it. A platform's photo is
# 0.1-5 MB.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# A JSON reply larger than this is refused, not read (MalformedReply, said and logged): an OMS or a proxy answering a
# poll with gigabytes at LAN speed filled the station's memory within the read deadline, and parsing it took several
# times more. A page of 500 ten-line pick lists is ~2 MB; a page over this is asked again with fewer items (`_page`).
MAX_REPLY_BYTES = 64 * 1024 * 1024
# A photo has this long to come whole (20 MB at 2 Mbit/s is 80 s): one trickled a byte at a time held the pull thread.
IMAGE_DEADLINE_S = 120.0


class OmsError(Exception):
    """The OMS could not be reached or answered an error (message safe to show and log)."""


class OmsUnreachable(OmsError):
    """This station cannot talk to the OMS at all (the network, the token, the transport): every request would fail the
    same way until that changes. A poll ends at the first one (`SyncService.pull_once`)."""


class OmsUnavailable(OmsUnreachable):
    """Network down, timeout, or 5xx/429 after retries: the station works offline."""


class OmsBusy(OmsUnavailable):
    """The OMS answered, with 429 or a 5xx after the retries: up, but throttling or failing, not cut off. Its
    `retry_after_s` is the last reply's Retry-After (None: it said none). The outbox waits longer for it than for a
    network outage (`sync.service.OutboxPace`): every 1-3 s per station is what a throttling OMS is asked not to do."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class MalformedReply(OmsError):
    """The OMS answered something that does not follow the contract."""


class ReplyTooSlow(OmsError):
    """The reply did not come whole by the request's deadline (an OMS or a link trickling it)."""


class ReplyTooBig(MalformedReply):
    """The reply was over `OmsClient.max_reply_bytes`; the rest of it was not read."""


class BatchRefused(OmsError):
    """The OMS refused an event batch for good (HTTP 400/413/422): retrying it as it is cannot help."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"event batch refused: HTTP {status}")
        self.status = status
        self.body = body


class TokenFileError(OmsUnreachable):
    pass


class InsecureTransport(OmsUnreachable):
    """A token would go over plain http to a machine other than this one."""


class OmsAuthError(OmsUnreachable):
    """The OMS refused this station's token (401) or the request (403)."""


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport(url: str, has_token: bool) -> None:
    """Refuse a bearer token over plain http unless the OMS is on this machine (127.0.0.0/8, ::1, localhost)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise OmsError(f"OMS URL must start with https:// (got {parts.scheme or 'no scheme'}://)")
    if has_token and parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise InsecureTransport(
            f"refusing to send the station token over plain http to {parts.hostname}: "
            f"use https:// for the OMS URL (plain http is only allowed to this machine, e.g. http://127.0.0.1)")


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
                 backoff_base_s: float = 0.2, backoff_cap_s: float = 30.0, seed: int | None = None,
                 token_source: str | None = None) -> None:
        check_transport(url, bool(token))
        self.base = url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._rnd = random.Random(seed)
        self._verify: str | bool = ca_bundle if ca_bundle else True  # verification is never switched off
        self._token = token
        # where the token was read (oms.token_file; "": the keyring), read again when the OMS refuses it: a token
        # rotated mid-shift (a new one issued into the file, the old one revoked) is used without a restart
        self._token_source = token_source
        self._session: requests.Session | None = None  # made on first use (importing requests costs 70 ms)
        self._session_lock = threading.Lock()
        self.counters = Counters()
        self.last_rtt_ms: float | None = None
        self.max_reply_bytes = MAX_REPLY_BYTES

    @classmethod
    def from_settings(cls, settings, **kw) -> OmsClient:
        o = settings.oms
        return cls(o.url, token=read_token(o.token_file), connect_timeout_s=o.connect_timeout_s,
                   read_timeout_s=o.read_timeout_s, ca_bundle=o.ca_bundle, token_source=o.token_file, **kw)

    def __repr__(self) -> str:  # never the token
        return f"OmsClient({self.base!r})"

    @property
    def s(self) -> requests.Session:
        """The HTTP session (keep-alive, TLS verification, bearer token), made on first use."""
        if self._session is None:
            with self._session_lock:
                if self._session is None:
                    import requests
                    from requests.utils import get_environ_proxies

                    from sync import deadline

                    s = requests.Session()
                    # What requests reads from the environment at every request (proxies, a CA bundle, ~/.netrc:
                    # 0.4 ms a request on a slow 2-core machine, merge_environment_settings alone) is
                    # read once here: HTTPS_PROXY/NO_PROXY for the OMS and REQUESTS_CA_BUNDLE as requests reads
                    # them; ~/.netrc never (it would replace the station's bearer token).
                    s.trust_env = False
                    # (the OMS's own proxy, or none when NO_PROXY names it: the session talks to the OMS alone)
                    s.proxies.update({k: v for k, v in get_environ_proxies(self.base).items() if k != "no"})
                    s.verify = self._verify if self._verify is not True else (
                        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True)
                    deadline.mount(s)  # the reply's header read against the call's deadline too
                    s.headers["User-Agent"] = "packstation-sync/1"
                    s.headers["Accept"] = "application/json"
                    if self._token:
                        s.headers["Authorization"] = f"Bearer {self._token}"
                    self._session = s
        return self._session

    def _token_rotated(self) -> bool:
        """At a 401: the token read again from where it came from; True when it is another one, used from now on.
        The administrator rotates a station's token by issuing a new one into its file and revoking the old one
        (docs/security.md): read once at the start, the old one went on being sent, every exchange refused, and the
        station worked offline until someone restarted it."""
        if self._token_source is None:
            return False
        try:
            tok = read_token(self._token_source)
        except TokenFileError as e:
            log.warning("OMS token not read again after HTTP 401: %s", e)
            return False
        if not tok or tok == self._token:
            return False
        check_transport(self.base, True)
        with self._session_lock:
            self._token = tok
            if self._session is not None:
                self._session.headers["Authorization"] = f"Bearer {tok}"
        log.info("the OMS refused the station's token; a new one was read from %s and is used from now on",
                 self._token_source or "the keyring")
        return True

    def warm_up(self) -> None:
        """Load now (any thread) what the first request would: the session and the contract's models."""
        self.s  # noqa: B018
        c.ContractError  # noqa: B018

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    # -- transport ---------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, retries: int | None = None, timeout=None,
                expect=(200,), stream: bool = False, _token_read: bool = False, **kw) -> requests.Response:
        """One exchange with the OMS, retried on a network failure, 429 and 5xx. Each attempt has to bring the
        whole reply within connect + read time: requests' read timeout is per socket read, and an OMS (or a link)
        trickling its reply a byte at a time was never cut off (F9's label check and the outbox waited for
        hours). A caller that gives `timeout` gets its answer or the failure within it, retries and their waits
        included. `stream`: the body is left for the caller to read (`read_body`)."""
        import requests
        from urllib3.exceptions import HTTPError as BodyError

        from sync.deadline import within

        retries = self.max_retries if retries is None else retries
        url = self.base + path
        to = timeout or self.timeout
        allowed_s = sum(to) if isinstance(to, tuple) else 2 * to  # connect + read (a single number is each)
        call_deadline = time.monotonic() + allowed_s if timeout else float("inf")
        last: str = ""
        busy: float | None | bool = False  # the last attempt's answer was a 429/5xx: its Retry-After (None: none)
        for attempt in range(retries + 1):
            self.counters.inc("requests")
            resp = None
            try:
                t0 = time.monotonic()
                with within(min(t0 + allowed_s, call_deadline)):  # the header too, not each socket read alone
                    resp = self.s.request(method, url, timeout=to, stream=True, **kw)
                if not stream:
                    resp._content = self.read_body(
                        resp, min(t0 + allowed_s, call_deadline), what=path,
                        read_s=to[1] if isinstance(to, tuple) else to, limit=self.max_reply_bytes,
                        too_big=ReplyTooBig(f"{path}: the reply is over {self.max_reply_bytes // 2**20} MB (HTTP "
                                            f"{resp.status_code}); the rest of it was not read"))
                    resp._content_consumed = True  # as requests marks a body it read itself
                self.last_rtt_ms = (time.monotonic() - t0) * 1000
            except requests.exceptions.SSLError as e:
                self.counters.inc("failures")
                raise OmsUnavailable(f"TLS verification failed for {self.base}: {type(e).__name__}") from None
            except ReplyTooSlow as e:
                last, busy = str(e), False
            except ReplyTooBig as e:  # the same reply again would be as big: no retry
                resp.close()
                self._malformed(str(e), e)
            except (requests.RequestException, BodyError, OSError) as e:  # urllib3's: a body cut off mid-way
                last, busy = f"{type(e).__name__} talking to {self.base}{path}", False
            else:
                if resp.status_code in expect or resp.status_code == 304:
                    return resp
                if resp.status_code == 401 and not _token_read and self._token_rotated():
                    resp.close()  # asked again at once with the new token (once: a token refused anew is said)
                    return self.request(method, path, retries=retries, timeout=timeout, expect=expect, stream=stream,
                                        _token_read=True, **kw)
                if resp.status_code in (401, 403):
                    self.counters.inc("failures")
                    raise OmsAuthError(self._auth_message(resp, path))
                if resp.status_code in RETRY_STATUSES or resp.status_code >= 500:
                    last, busy = f"HTTP {resp.status_code} from {path}", retry_after_s(resp)
                else:
                    return resp  # a definitive client-level answer (404, 409, 400...) for the caller
            if resp is not None:
                resp.close()  # a reply not read to its end: its connection is closed, not reused
            if attempt < retries:
                wait = backoff_s(attempt, self.backoff_base_s, self.backoff_cap_s, self._rnd)
                ra = retry_after_s(resp)
                if ra is not None:
                    wait = max(wait, min(ra, self.backoff_cap_s))
                if time.monotonic() + wait >= call_deadline:  # no time left for another try: fail now, not later
                    log.debug("OMS %s %s failed (%s); no retry within the call's %.1fs", method, path, last,
                              allowed_s)
                    break
                self.counters.inc("retries")
                log.debug("OMS %s %s failed (%s); retry %d in %.2fs", method, path, last, attempt + 1, wait)
                time.sleep(wait)
        self.counters.inc("failures")
        if busy is not False:
            raise OmsBusy(last, busy)
        raise OmsUnavailable(last)

    def read_body(self, resp: requests.Response, deadline: float, *, what: str, read_s: float | None = None,
                  limit: int | None = None, too_big: Exception | None = None) -> bytes:
        """The body of a streamed reply, read in pieces until `deadline` (monotonic): ReplyTooSlow after it. Each
        read waits at most `read_s` (the read timeout) and never past the deadline. Over `limit` bytes: `too_big`
        is raised, the rest not read."""
        raw = resp.raw
        read1 = getattr(raw, "read1", None)  # one socket read at most (urllib3 2); read(n) waits for all n bytes
        conn = getattr(raw, "connection", None)
        sock = getattr(conn, "sock", None)
        read_s = read_s or self.timeout[1]
        data = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReplyTooSlow(f"the reply from {what} did not come whole in time "
                                   f"({len(data)} bytes after the deadline)")
            if sock is not None:  # (urllib3 sets the socket's timeouts again when it reuses the connection)
                try:
                    sock.settimeout(max(0.01, min(read_s, left)))
                except OSError:
                    sock = None
            chunk = read1(CHUNK_BYTES, decode_content=True) if read1 else raw.read(CHUNK_BYTES, decode_content=True)
            if not chunk:
                return bytes(data)
            data += chunk
            if limit is not None and len(data) > limit:
                raise too_big or OmsError(f"the reply from {what} is over {limit} bytes")

    def _auth_message(self, resp: requests.Response, path: str) -> str:
        try:
            detail = resp.json().get("detail") or resp.json().get("error")
        except (ValueError, AttributeError, RecursionError):
            detail = None
        if resp.status_code == 401:
            return ("the OMS refused this station's token (HTTP 401): ask the OMS administrator for one "
                    "(`packstation oms-server token issue --station ID`) and set oms.token_file")
        return f"the OMS refused {path} (HTTP 403){': ' + str(detail)[:200] if detail else ''}"

    def _valid(self, model, data: Any, what: str):
        try:
            return c.parse_reply(model, data, what)
        except c.ContractError as e:
            self._malformed(str(e))

    def _json(self, resp: requests.Response, what: str) -> Any:
        try:
            return resp.json()
        except (ValueError, RecursionError):  # nested deeper than the parser goes ([[[[...: 200 KB) is not JSON either
            self._malformed(f"{what}: reply is not JSON (HTTP {resp.status_code})")

    def _malformed(self, msg: str, exc: MalformedReply | None = None):
        self.counters.inc("malformed")
        log.error("malformed OMS reply: %s", msg)
        raise exc or MalformedReply(msg)

    # -- calls -------------------------------------------------------------------------------------
    def server_time(self) -> tuple[int, int, int]:
        """(t0_ms, server_ms, t1_ms) with local UTC ms before/after: for the NTP-style midpoint."""
        t0 = time.time_ns() // 1_000_000
        r = self.request("GET", f"{API}/time")
        t1 = time.time_ns() // 1_000_000
        return t0, self._valid(c.ServerTime, self._json(r, "time"), "time").server_time_ms, t1

    def _page(self, path: str, params: dict, etag: str | None, what: str):
        """One page of a list. A page over `max_reply_bytes` is asked again with an eighth of the items, down to one
        (an OMS whose pick lists are large: a page of 500 was never read, and the station never got a pick list);
        one item over it is a MalformedReply."""
        headers = {"If-None-Match": etag} if etag else {}
        while True:
            try:
                r = self.request("GET", path, params=params, headers=headers)
                break
            except ReplyTooBig:
                if params.get("limit", 1) <= 1:
                    raise
                params = {**params, "limit": max(1, params["limit"] // 8)}
                log.warning("%s: asking again for %d items a page", what, params["limit"])
        if r.status_code == 304:
            return None, etag
        d = self._json(r, what)
        env = self._valid(c.PageEnvelope, d, what)
        return {"items": env.items, "next_cursor": env.next_cursor, "server_time_ms": env.server_time_ms}, \
            r.headers.get("ETag")

    def list_picklists(self, station_id: str, *, updated_since: int | None = None, cursor: str | None = None,
                       limit: int = 500, etag: str | None = None):
        """-> (page dict with items as (PickList, raw, claimed_by) | None if 304, etag). Bad items are skipped,
        logged and counted; they never stop the good ones."""
        params: dict[str, Any] = {"limit": limit}  # the OMS knows the station from its token
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
                c.parse_reply(c.PickList, raw, "pick list")
                pl = PickList.from_dict(raw)
            except (PickListError, c.ContractError) as e:
                self.counters.inc("malformed")
                log.error("malformed pick list from OMS skipped: %s", e)
                continue
            cb = raw.get("claimed_by") if isinstance(raw, dict) else None
            items.append((pl, raw, cb if isinstance(cb, str) else None))
        return {"items": items, "next_cursor": d.get("next_cursor"), "server_time_ms": d["server_time_ms"]}, et

    def get_picklist(self, picklist_id: str, *, timeout: float | None = None) -> PickList | None:
        """The OMS's pick list now (None: unknown to it). With `timeout`: one try, that long at most (the label
        waits for it)."""
        return self.get_picklist_held(picklist_id, timeout=timeout)[0]

    def get_picklist_held(self, picklist_id: str, *, timeout: float | None = None) -> tuple[PickList | None,
                                                                                         str | None]:
        """(the OMS's pick list now, the station that holds it there: None for nobody), as `get_picklist`."""
        to = (min(self.timeout[0], timeout), timeout) if timeout else None
        r = self.request("GET", f"{API}/picklists/{picklist_id}", expect=(200, 404), timeout=to,
                         retries=0 if timeout else None)
        if r.status_code == 404:
            return None, None
        d = self._json(r, "picklist")
        got = self._valid(c.PickList, d, "pick list")  # as a listed one: a lone surrogate is malformed (the label's text)
        try:
            return PickList.from_dict(d), got.claimed_by
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
            try:
                c.parse_reply(c.Product, p, "product")
            except c.ContractError as e:
                self.counters.inc("malformed")
                log.error("malformed product from OMS skipped: %s", e)
                continue
            good.append(p)
        d["items"] = good
        return d, et

    def claim(self, picklist_id: str, station_id: str, *, provisional: bool = False,
              claimed_at_ms: int | None = None, timeout=None) -> tuple[bool, dict]:
        """(True, reply) only for a 200 whose reply names this order, this station and a claimed status. A 200 that
        names this order and another station is that station's claim: (False, reply), as a 409 would say it (it was
        taken for a malformed reply, so for "OMS offline", and the order was claimed provisionally here)."""
        r = self.request("POST", f"{API}/picklists/{picklist_id}/claim", expect=(200, 404, 409), timeout=timeout,
                         json={"station_id": station_id, "provisional": provisional, "claimed_at_ms": claimed_at_ms},
                         retries=1)
        d = self._json(r, "claim")
        if r.status_code == 200:
            rep = self._valid(c.ClaimReply, d, "claim")
            if rep.id == picklist_id and rep.claimed_by and rep.claimed_by != station_id:
                return False, d
            if rep.id != picklist_id or rep.claimed_by != station_id or rep.status not in ("claimed", "in_progress"):
                self._malformed(f"claim: reply does not confirm {picklist_id} for {station_id}")
            return True, d
        self._valid(c.ErrorReply, d, "claim refusal")
        return False, d

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
        self._valid(c.OrderStatus, d, "order status")
        return d

    def send_batch(self, station_id: str, events: list[dict], clock_offset_ms: int | None) -> tuple[list[dict], int]:
        """POST one batch. The body is encoded here, once, as strict JSON (no NaN/Infinity, valid UTF-8,
        compact): ValueError (UnicodeEncodeError is one) for an event that can never be sent, before
        anything leaves (`GuardedClient` then names the event)."""
        body = strict_json({"station_id": station_id, "sent_at_ms": time.time_ns() // 1_000_000,
                            "clock_offset_ms": clock_offset_ms, "events": events})
        r = self.request("POST", f"{API}/events/batch", data=body, headers=_JSON, expect=(200,))
        if r.status_code in (400, 413, 422):
            raise BatchRefused(r.status_code, r.text[:2000])
        if r.status_code != 200:
            raise OmsError(f"event batch refused: HTTP {r.status_code}")
        try:  # decoded and validated in one pass (pydantic-core); a reply it refuses is read again to say why
            rep = c.BatchReply.model_validate_json(r.content, strict=True)
        except c.ValidationError:
            rep = self._valid(c.BatchReply, self._json(r, "events batch"), "events batch")
        if events and not {x.id for x in rep.results} & {e["id"] for e in events}:
            # taken for a partial answer, the batch was sent again at once, dozens of times a second, as a success
            self._malformed(f"events batch: the reply answers none of the {len(events)} events sent")
        # plain dicts built from the fields (a model_dump per result was half the reply's cost: 3.7 -> 2.0 us an event)
        return [{"id": x.id, "status": x.status, "reason": x.reason} for x in rep.results], rep.server_time_ms

    def operators(self) -> tuple[list[dict], bool]:
        """The OMS's operators, and whether that is its whole list (False when an entry was refused: an operator
        whose entry is malformed is still on the list, and must not be taken for one the OMS removed)."""
        r = self.request("GET", f"{API}/operators")
        d = self._json(r, "operators")
        env = self._valid(c.PageEnvelope, {"next_cursor": None, "server_time_ms": 0, **d}
                          if isinstance(d, dict) else d, "operators")
        out = []
        for o in env.items:
            try:
                c.parse_reply(c.OperatorM, o, "operator")
                if not hash_is_acceptable(o["pin_hash"]):  # parameters below the floor or above the ceiling
                    raise c.ContractError(f"operator {o['id']}: PIN hash parameters refused")
            except c.ContractError as e:
                self.counters.inc("malformed")
                log.error("malformed operator from OMS skipped: %s", e)
                continue
            out.append(o)
        return out, len(out) == len(env.items)

    def image(self, url: str) -> tuple[bytes, str]:
        path = url if url.startswith("/") else "/" + url
        if url.startswith(("http://", "https://")):
            if not url.startswith(self.base):
                raise OmsError("image URL outside the OMS")
            path = url[len(self.base):]
        t0 = time.monotonic()
        r = self.request("GET", path, expect=(200,), stream=True)
        with r:
            if r.status_code != 200:
                raise OmsError(f"image {url}: HTTP {r.status_code}")
            too_big = ImageRefused(f"image {url}: larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB, not cached")
            if int(r.headers.get("Content-Length") or 0) > MAX_IMAGE_BYTES:
                raise too_big
            from urllib3.exceptions import HTTPError as BodyError

            try:  # no length said, or a wrong one: read no further than the cap
                data = self.read_body(r, t0 + IMAGE_DEADLINE_S, what=f"image {url}", limit=MAX_IMAGE_BYTES,
                                      too_big=too_big)
            except (BodyError, OSError) as e:  # cut off mid-body
                raise OmsUnavailable(f"image {url}: {type(e).__name__} reading it") from None
            return data, r.headers.get("Content-Type", "application/octet-stream")

    def stats(self) -> dict:
        return self._json(self.request("GET", f"{API}/_stats"), "stats")


