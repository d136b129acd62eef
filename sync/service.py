"""SyncService: the background pick-list poller and outbox worker, health, claims, order intercept."""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from app.events import EventType
from app.i18n import Msg
from app.messages import status_word
from app.operators import Operator, Role
from app.picklist import PickList
from app.store import causes, now_ms
from sync.cache import PickListCache, ProductCache
from sync.client import (
    BatchRefused,
    MalformedReply,
    OmsAuthError,
    OmsBusy,
    OmsClient,
    OmsError,
    OmsUnreachable,
)
from sync.images import ImageCache
from sync.outage import OutageLog
from sync.outbox import IN_FLIGHT, drain, queue_stats
from sync.quarantine import (
    GuardedClient,
    PoisonEvents,
    isolate_refused_batch,
    plausible_offset,
    plausible_server_time,
    quarantine,
    quarantined_events,
)

log = logging.getLogger(__name__)

KV_SINCE = "sync.picklists.since"
KV_PROD_SINCE = "sync.products.since"
KV_HEALTH = "sync.health"
KV_OFFSET = "sync.clock_offset_ms"
KV_PRINTED_OFFLINE = "sync.printed_offline"
# Longest pause between two outbox attempts while the OMS is unreachable. A failed attempt costs one
# 200-event read and a refused connection (or a connect timeout), so a short cap costs little, and an
# idle station's queue starts draining within seconds of the OMS coming back (it waited up to 60 s).
OUTBOX_RETRY_MAX_S = 3.0
# an OMS that answers 429/5xx (OmsBusy) is asked again after up to this long, or its Retry-After (up to BUSY_RETRY_AFTER_MAX_S)
OUTBOX_BUSY_MAX_S = 60.0
BUSY_RETRY_AFTER_MAX_S = 300.0
OFFSET_WRITE_MIN_MS = 20  # the clock offset is stored again when it moved by this much
# The pick-list mark is the OMS's time at its answer less this: a change stamped just before the answer and committed
# after it (a write waiting for the OMS's lock) is still listed next time. Read again, an unchanged order is skipped.
PICKLIST_OVERLAP_MS = 10_000
MARK_WRITE_MIN_MS = 60_000  # an unchanged poll stores the pick-list mark again when it moved by this much
FUTURE_STAMP_MS = 300_000  # an order stamped this far ahead of the OMS's own time is logged (its clock jumped?)
MAX_PAGES = 10_000  # pages in one pull (500 pick lists each): more is an OMS paging in circles
# claimed_by of an order another station holds when the OMS's answer does not name it (orders/{id}/status)
ANOTHER_STATION = "(another station)"
# the stop status of an order done at the OMS that this station did not finish (app.messages.STATUS_WORDS)
PACKED_ELSEWHERE = "packed_elsewhere"


class _MarkAhead(Exception):
    """The OMS's time is before the pick-list mark: changes made since its clock went back are stamped before it."""

    def __init__(self, since: int, server_ms: int) -> None:
        super().__init__(since, server_ms)
        self.since, self.server_ms = since, server_ms


def _stamp_ms(updated_at: str) -> int | None:
    """An order's updated_at as an instant in UTC ms: milliseconds, or ISO-8601 with its offset ("+08:00", "Z"). None
    for anything else, a time without a zone too: mixing UTC and UTC+8 stamps is how 1,500 orders fell out of
    "today" (docs/sync.md). Only for the log: the station's mark is the OMS's time, not a stamp."""
    if updated_at.isdigit():
        return int(updated_at)
    try:
        t = datetime.fromisoformat(updated_at)
    except ValueError:
        return None
    return None if t.tzinfo is None else int(t.astimezone(UTC).timestamp() * 1000)


@dataclass(frozen=True)
class SyncHealth:
    online: bool
    last_success_ms: int | None
    queue_depth: int
    oldest_pending_age_s: float | None
    consecutive_failures: int
    last_error: str | None
    clock_offset_ms: int | None
    rejected_count: int
    consecutive_successes: int = 0
    avg_duration_ms: float | None = None
    last_run_ms: int | None = None
    # the newest events taken out of the queue for good: [{seq, id, type, order_id, reason, source, ...}]
    quarantined: tuple[dict, ...] = ()
    # seconds since the last success: by the monotonic clock once this process has synced, so a wall clock stepped
    # back or forward leaves it true ("OFFLINE for 0 s" an hour into an outage after NTP set the clock back an hour);
    # before that (another process, a station just started) from last_success_ms and the wall clock
    since_success_s: float | None = None
    # the outbox stopped by the station's own database (damaged, full, read-only), not by the network: it says so
    # instead of "OFFLINE" (a damaged page held 3,000 events back under "OFFLINE — working from cache", the network
    # was fine); None once a drain goes through again
    station_error: str | None = None
    # the last failure was the OMS refusing this station's token (401) or its station id (403): offline until an
    # administrator issues a new token (the client reads it again at the next refusal), not until the network is back
    token_refused: bool = False
    # the outbox's last drain failed (its events wait) though the OMS answers the polls: "ONLINE, last sync 0 s ago"
    # read as all well while the events did not go (a 503 or a proxy's body limit on the batch alone)
    sending_failed: bool = False
    # the last failure was the OMS answering 429 or a 5xx (OmsBusy): up and throttling or failing, not a cut network
    # (both read "OFFLINE for 2 min"; the station waits longer for a busy OMS, and nobody need look at the cables)
    oms_busy: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_NOTHING = ""


@dataclass(frozen=True)
class ClaimResult:
    ok: bool
    provisional: bool
    message: Msg  # what the packer reads, rendered by the screen: `text(language)`

    def text(self, language: str | None = "en") -> str:
        return self.message.text(language)


@dataclass(frozen=True)
class Shippable:
    ok: bool
    status: str
    reason: str | None
    offline: bool
    message: Msg = Msg(_NOTHING)  # nothing to say when the order simply ships
    # the order's pick list as the OMS has it now (online), else as last polled: its address and carrier go on the
    # label, not those of when the order was opened. None: not known (no such cached list either).
    picklist: PickList | None = None

    def text(self, language: str | None = "en") -> str:
        return self.message.text(language)


def _in_station_database(exc: BaseException | None) -> bool:
    """Did this failure come from the station's own SQLite database (a sqlite3 error anywhere in its chain,
    SQLAlchemy's wrapper included)?"""
    return any(isinstance(e, sqlite3.Error) for e in causes(exc))


def health_from_store(store, *, online: bool | None = None, h: dict | None = None,
                      since_success_s: float | None = None) -> SyncHealth:
    """Health readable from another process (`packstation sync-status`): the stored record, at most
    `SyncService.HEALTH_WRITE_EVERY_S` behind when nothing but successes happened. The service passes its own
    record (`h`), which is never behind; the queue is counted from the store either way."""
    if h is None:
        h = store.get_kv(KV_HEALTH, {}) or {}
    n, oldest, rej = queue_stats(store)
    last = h.get("last_success_ms")
    if since_success_s is None and isinstance(last, int | float):
        since_success_s = max(0.0, (now_ms() - last) / 1000)
    up = bool(h.get("online", False)) if online is None else online
    return SyncHealth(
        online=up,
        last_success_ms=h.get("last_success_ms"), queue_depth=n,
        oldest_pending_age_s=None if oldest is None else max(0.0, (now_ms() - oldest) / 1000),
        consecutive_failures=int(h.get("consecutive_failures", 0)), last_error=h.get("last_error"),
        clock_offset_ms=store.get_kv(KV_OFFSET), rejected_count=rej,
        consecutive_successes=int(h.get("consecutive_successes", 0)), avg_duration_ms=h.get("avg_duration_ms"),
        last_run_ms=h.get("last_run_ms"), quarantined=tuple(quarantined_events(store, limit=5)) if rej else (),
        since_success_s=since_success_s, station_error=h.get("station_error"),
        token_refused=bool(h.get("token_refused", False)) and not up,
        sending_failed=bool(h.get("sending_failed", False)) and n > 0,
        oms_busy=bool(h.get("oms_busy", False)) and not up)


class OutboxPace:
    """How long the outbox sits out after a failed drain. A network outage (refused, timed out): 1, 2, then every
    OUTBOX_RETRY_MAX_S, so a station drains within seconds of the network's return. An OMS that answers 429 or 5xx
    (OmsBusy) is up and throttling or failing: 3 s doubling to OUTBOX_BUSY_MAX_S with jitter (half fixed, half
    random, so 300 stations do not come back at once), at least its Retry-After (up to BUSY_RETRY_AFTER_MAX_S). The
    outbox went on every 1-3 s (with the client's own retries about 1.4 requests a second per station) at an OMS
    answering "429 Too Many Requests" without a Retry-After (FIELD.md: polling that drew 429s lost orders until the
    client backed off)."""

    def __init__(self, rnd: random.Random | None = None) -> None:
        self._rnd = rnd or random.Random()
        self.ok()

    def ok(self) -> None:
        self._net, self._busy = 1.0, OUTBOX_RETRY_MAX_S

    def failed(self, e: BaseException) -> tuple[float, bool]:
        """(seconds to wait, busy): a busy OMS's wait is not cut short by events appended meanwhile (every scan
        woke the outbox), only by `sync_now` or a stop."""
        if isinstance(e, OmsBusy):
            step = self._busy
            self._busy = min(self._busy * 2, OUTBOX_BUSY_MAX_S)
            wait = step / 2 + self._rnd.uniform(0, step / 2)
            if e.retry_after_s is not None:
                wait = max(wait, min(e.retry_after_s, BUSY_RETRY_AFTER_MAX_S))
            return wait, True
        wait, self._net = self._net, min(self._net * 2, OUTBOX_RETRY_MAX_S)
        return wait, False


class SyncService:
    def __init__(self, core, settings=None, *, client: OmsClient | None = None) -> None:
        self.core = core
        self.settings = settings or core.settings
        self.store = core.store
        self.station_id = self.settings.station.id
        self.client = client or OmsClient.from_settings(self.settings)
        self.cache = PickListCache(self.store, self.station_id)
        self.products = ProductCache(self.store)
        self.images = ImageCache(self.store, self.settings.data_dir)
        self._listeners: list[Callable[[str, dict], None]] = []
        self._operators_known = False  # this station has operators (a new one learns them at its first pull)
        self._stop = threading.Event()
        self._wake_out = threading.Event()
        self._wake_pull = threading.Event()
        self._threads: list[threading.Thread] = []
        self._hlock = threading.Lock()
        h = self.store.get_kv(KV_HEALTH, {}) or {}
        self._online = False
        self._last_success_ms = h.get("last_success_ms")
        self._last_success_mono: float | None = None  # time.monotonic() at the last success seen by this process
        self._fails = 0
        self._succ = 0
        self._last_error: str | None = h.get("last_error")
        self._station_error: str | None = None  # the outbox's last failure in the station's own database
        self._refused = bool(h.get("token_refused", False))
        self._busy = bool(h.get("oms_busy", False))
        self._sending_failed = bool(h.get("sending_failed", False))
        self._durations: list[float] = []
        self._last_run_ms: int | None = None
        self._health: dict = h  # the record as it is now; stored at once when the state changes, else now and then
        self._health_stored: tuple | None = None  # (online, failures, last error) of the record last stored
        self._health_stored_at = float("-inf")
        self._health_writer = threading.Lock()  # one store of the record at a time, the newest one last
        self._images_incomplete = True  # check the open pick lists' images once after start
        self._out_asked = False  # sync_now(): send at once, also to an OMS that answered 429/5xx
        self._pull_asked = False  # sync_now(): poll at once (the pull thread is also woken for wanted pictures)
        self._newly_held: list[str] = []  # orders worked here that the pull in progress found held (why: asked)
        self._send_pool: ThreadPoolExecutor | None = None  # the outbox's HTTP senders, kept for the service
        self._fresh_since: float | None = None  # when the first event not yet drained was appended (monotonic)
        # an outage said once per worker, not at every attempt (sync.outage)
        self._outbox_said, self._pull_said = OutageLog(log, "outbox"), OutageLog(log, "pick-list pull")
        core.events.subscribe(self._event_appended)

    def _event_appended(self, _event) -> None:
        if self._fresh_since is None:
            self._fresh_since = time.monotonic()
        self._wake_out.set()

    # -- listeners ---------------------------------------------------------------------------------
    def add_listener(self, fn: Callable[[str, dict], None]) -> None:
        self._listeners.append(fn)

    def _notify(self, kind: str, data: dict) -> None:
        for fn in list(self._listeners):
            try:
                fn(kind, data)
            except Exception:
                log.exception("sync listener failed for %s", kind)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        for name, fn in (("sync-outbox", self._outbox_loop), ("sync-pull", self._pull_loop)):
            t = threading.Thread(target=fn, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake_out.set()
        self._wake_pull.set()
        for t in self._threads:
            t.join(timeout)
        self._threads = []
        if self._health_stored is not None:  # what the last drain or poll found, for sync-status after the stop
            self._store_health(force=True)
        if self._send_pool is not None:
            self._send_pool.shutdown(wait=False)
            self._send_pool = None
        self.client.close()

    def warm_up(self) -> None:
        """Load what the first exchange with the OMS needs (HTTP session, contract models), e.g. on a worker
        thread once the login screen shows, so the first sync does not pay for it."""
        self.client.warm_up()

    def sync_now(self) -> None:
        self._fresh_since = None  # now: no wait for more events
        self._out_asked = True  # also ends the wait for an OMS that answered 429/5xx
        self._wake_out.set()
        self._pull_asked = True
        self._wake_pull.set()

    def _want_pictures(self, order_id: str) -> None:
        """The pictures of an order just claimed here, downloaded before any other (a station started moments
        ago may still be fetching the others), without waiting for the next poll and without polling early."""
        pl = self.cache.get(order_id)
        urls = [ln.image_url for ln in pl.lines if ln.image_url] if pl else []
        if urls:  # the pull thread skips those already cached (one look each, there)
            self.images.want(urls)
            self._wake_pull.set()

    # -- health ------------------------------------------------------------------------------------
    def _record(self, ok: bool, t0: float, err: OmsError | str | None = None, *, outbox: bool = False) -> None:
        """A drain (`outbox`), poll or claim went through (`ok`) or failed with `err` (an OmsAuthError: the token
        refused)."""
        refused = isinstance(err, OmsAuthError)
        busy = isinstance(err, OmsBusy)
        err = None if err is None else str(err)
        with self._hlock:
            if outbox:
                self._sending_failed = not ok
            self._last_run_ms = now_ms()
            self._durations = (self._durations + [(time.monotonic() - t0) * 1000])[-50:]
            if ok:
                if not self._online:  # the OMS is back: the outbox need not sit out its back-off
                    self._wake_out.set()
                self._online, self._succ, self._fails = True, self._succ + 1, 0
                self._last_success_ms = now_ms()
                self._last_success_mono = time.monotonic()
            else:
                self._online, self._fails, self._succ = False, self._fails + 1, 0
                self._last_error = err
            self._refused, self._busy = refused, busy
            self._health = {"online": self._online, "last_success_ms": self._last_success_ms,
                            "consecutive_failures": self._fails, "consecutive_successes": self._succ,
                            "last_error": self._last_error, "last_run_ms": self._last_run_ms,
                            "token_refused": self._refused, "sending_failed": self._sending_failed,
                            "oms_busy": self._busy,
                            "avg_duration_ms": round(sum(self._durations) / len(self._durations), 1),
                            "station_error": self._station_error}
        self._store_health()
        self._notify("health", self.health().to_dict())

    def _record_station_error(self, err: str | None) -> None:
        """The outbox failed in the station's own database (`err`), or went through again (None). The OMS's state is
        not touched: the network may be fine."""
        with self._hlock:
            if err == self._station_error:
                return
            self._station_error = err
            self._health = {**self._health, "station_error": err}
        self._store_health(force=True)  # (fails as well on a broken database: logged there)
        self._notify("health", self.health().to_dict())

    HEALTH_WRITE_EVERY_S = 10.0

    def _store_health(self, force: bool = False) -> None:
        """The record for other processes (`packstation sync-status`), committed when the state changed (online
        or not, a failure, its error) and otherwise at most every HEALTH_WRITE_EVERY_S: the outbox records every
        drain (after each scan, while a station works), and a durable commit each time for "last success a
        moment later" was one fsync per scan more on the store's one write lock."""
        with self._health_writer:  # the outbox and the pull thread both record: the newest record is stored last
            with self._hlock:
                h = dict(self._health)
                state = (h.get("online"), h.get("consecutive_failures"), h.get("last_error"))
                if not force and state == self._health_stored and \
                        time.monotonic() - self._health_stored_at < self.HEALTH_WRITE_EVERY_S:
                    return
                self._health_stored, self._health_stored_at = state, time.monotonic()
            try:
                self.store.set_kv(KV_HEALTH, h)
            except Exception:
                log.exception("could not record sync health")

    def health(self) -> SyncHealth:
        with self._hlock:
            h, mono = self._health, self._last_success_mono
        return health_from_store(self.store, online=self._online, h=h,
                                 since_success_s=None if mono is None else time.monotonic() - mono)

    # -- workers -----------------------------------------------------------------------------------
    def _outbox_loop(self) -> None:
        pace = OutboxPace()
        while not self._stop.is_set():
            wait, busy = 30.0, False
            t0 = time.monotonic()
            try:
                # inside the try: a damaged page under the outbox's index ended the worker thread here, for good
                n, _, _ = queue_stats(self.store)
                if n:
                    self._linger()
                    t0 = time.monotonic()
                    self.outbox_once()
                    self._outbox_said.ok()
                    self._record(True, t0, outbox=True)
                    self._record_station_error(None)
                    pace.ok()
                    wait = 0.0 if queue_stats(self.store)[0] else 30.0
            except OmsError as e:
                self._outbox_said.failed(e)
                self._record(False, t0, e, outbox=True)
                wait, busy = pace.failed(e)
            except Exception as e:  # a bug must not kill the worker thread
                log.exception("outbox worker error")
                said = f"{type(e).__name__}: {(str(getattr(e, 'orig', None) or e).splitlines() or [''])[0][:160]}"
                if _in_station_database(e):  # not the network's: the OMS's state stays as the pull finds it
                    self._record_station_error(said)
                else:
                    self._record(False, t0, said, outbox=True)
                wait, busy = pace.failed(e)
            self._sit_out(wait, busy)

    def _sit_out(self, wait: float, busy: bool) -> None:
        """The outbox's wait: cut short by an appended event, `sync_now` or a stop; while the OMS is busy (429/5xx)
        only by `sync_now` or a stop."""
        end = time.monotonic() + wait
        while wait > 0 and not self._stop.is_set():
            self._wake_out.wait(max(0.0, end - time.monotonic()))
            self._wake_out.clear()
            if not busy or self._out_asked or time.monotonic() >= end:
                break
        self._wake_out.clear()
        self._out_asked = False

    OUTBOX_LINGER_S = 1.0

    def _linger(self) -> None:
        """Events just appended wait until OUTBOX_LINGER_S after the first of them for those that follow (a scan,
        the step it completes, a gift confirmation): one batch, one request and one commit of their sent marks
        instead of one each (in the soak, 5–6 scans a second, the outbox thread's fsyncs 6.3 → 1.6 a second; its
        requests to the OMS fewer alike). A backlog (an outage, a restart) goes at once; a stop during the wait cuts it short, the batch still
        sent."""
        since = self._fresh_since
        if since is not None:
            self._stop.wait(max(0.0, since + self.OUTBOX_LINGER_S - time.monotonic()))
        self._fresh_since = None

    def outbox_once(self) -> int:
        """Drain the outbox. An event that can never be sent (refused by the station's own contract
        check, or by the OMS for good) is quarantined with its reason and the drain goes on."""
        guarded = GuardedClient(self.client)
        size = self.settings.oms.batch_size
        sent = 0
        for _ in range(self.MAX_QUARANTINE_ROUNDS):
            offset = self.store.get_kv(KV_OFFSET)
            if offset is not None and not plausible_offset(offset):
                log.warning("stored clock offset %r is not plausible: dropped", offset)
                self.store.set_kv(KV_OFFSET, None)
                offset = None
            try:
                if self._send_pool is None:
                    self._send_pool = ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="outbox-send")
                res = drain(guarded, self.store, self.station_id, batch_size=size, clock_offset_ms=offset,
                            pool=self._send_pool)
            except PoisonEvents as e:
                quarantine(self.store, e.items, source="station")
                self._quarantined([ev for ev, _ in e.items])
                continue
            except BatchRefused as e:
                n = isolate_refused_batch(guarded, self.store, self.station_id, size, offset, e)
                if n:
                    self._quarantined([])
                continue
            sent += res.sent
            if res.rejected:
                self._notify("events_rejected", {"events": res.rejected})
            return sent
        return sent

    MAX_QUARANTINE_ROUNDS = 100  # each round sends or quarantines something; the loop comes back later

    def _quarantined(self, events: list[dict]) -> None:
        self._notify("events_rejected", {"events": [{"seq": e["seq"], "id": e["id"], "type": e["type"]}
                                                    for e in events]})

    def _pull_loop(self) -> None:
        while not self._stop.is_set():
            t0 = time.monotonic()
            try:
                self.pull_once()
                self._pull_said.ok()
                self._record(True, t0)
            except OmsError as e:
                self._pull_said.failed(e)
                self._record(False, t0, e)
            except Exception as e:
                log.exception("pick-list poller error")
                self._record(False, t0, f"{type(e).__name__}: {e}")
            interval = self.settings.oms.poll_interval_s if self._online else min(
                self.settings.oms.poll_interval_s, 5.0 * (2 ** min(self._fails, 4)))
            next_poll = time.monotonic() + interval
            while not self._stop.is_set():
                woken = self._wake_pull.wait(max(0.0, next_poll - time.monotonic()))
                self._wake_pull.clear()
                if not woken or self._pull_asked:
                    self._pull_asked = False
                    break
                if self.images.has_wanted():  # an order's pictures: fetched now, the poll keeps its time
                    try:
                        self.images.fetch_missing(self.client, ())
                        self._images_incomplete = self._images_incomplete or self.images.last_failures > 0
                    except Exception:
                        log.exception("picture download failed")

    def pull_once(self) -> int:
        """One poll: the OMS's time, then pick lists, products, operators and offline claims, then missing images.
        One part's own failure (a malformed reply, one this station cannot store) must not hold back the parts after
        it at every poll: each runs, and the first such failure is raised at the end (the poll is recorded as failed,
        said). An OMS that cannot be talked to (unreachable, the token refused) stops the poll at once."""
        failures: list[Exception] = []

        def run(part: Callable[[], Any]) -> Any:
            try:
                return part()
            except OmsUnreachable:  # the next part would fail the same way
                raise
            except OmsError as e:  # what the OMS said is logged where it is found: no traceback at every poll
                log.error("%s failed, the rest of the poll goes on: %s", part.__name__, e)
                failures.append(e)
            except Exception as e:
                log.exception("%s failed, the rest of the poll goes on", part.__name__)
                failures.append(e)
            return None

        run(self.estimate_clock_offset)
        n = run(self.pull_picklists) or 0
        for part in (self.pull_products, self.pull_operators, self.reconcile_claims):
            run(part)
        if n or self._images_incomplete:  # an unchanged poll parses and checks nothing
            urls = self.cache.open_image_urls()
            self.images.fetch_missing(self.client, urls)
            self._images_incomplete = self.images.last_failures > 0
        if failures:
            raise failures[0]
        return n

    def estimate_clock_offset(self) -> None:
        """The offset to the OMS's clock from its /time reply. A reply that is no plausible time (a float, a 404 from
        an OMS or a proxy without /time, a year like 1970) keeps the last estimate, with a warning: it aborted the
        whole poll, and no pick list nor cancellation came while /time was broken."""
        from sync.outbox import estimate_offset

        t0 = now_ms()
        try:
            _, srv, t1 = self.client.server_time()
        except MalformedReply as e:  # logged and counted by the client
            log.warning("OMS /time reply not usable (%s): clock offset estimate kept", e)
            return
        if not plausible_server_time(srv):  # one absurd reply must not poison every batch until the next pull
            log.warning("OMS /time answered %r ms, not a plausible time: clock offset estimate kept", srv)
            return
        off = estimate_offset(t0, srv, t1)
        old = self.store.get_kv(KV_OFFSET)
        if not isinstance(old, int) or abs(off - old) >= OFFSET_WRITE_MIN_MS:  # a commit (fsync) only on news
            self.store.set_kv(KV_OFFSET, off)

    def _malformed(self, msg: str) -> MalformedReply:
        self.client.counters.inc("malformed")
        log.error("malformed OMS reply: %s", msg)
        return MalformedReply(msg)

    def _next_cursor(self, what: str, page: dict, seen: set[str], pages: int) -> str | None:
        """The page's next cursor, unless the OMS pages in circles: a cursor already followed in this pull (an OMS
        answering next_cursor "1:x" again and again kept the pull thread asking, 22 times a second, for ever) or more
        than MAX_PAGES pages. The pull ends as a malformed reply; the poll goes on, and so does the next one."""
        cursor = page["next_cursor"]
        if cursor is None:
            return None
        if cursor in seen:
            raise self._malformed(f"{what}: the OMS repeated the page cursor {cursor[:80]!r}: pull stopped")
        if pages >= MAX_PAGES:
            raise self._malformed(f"{what}: more than {MAX_PAGES} pages: pull stopped")
        seen.add(cursor)
        return cursor

    def pull_picklists(self) -> int:
        """Pick lists changed since the mark, or all this station may work (the first pull). The mark is the OMS's
        own time when it answered the pull's first page, less PICKLIST_OVERLAP_MS, never an order's stamp: one
        order stamped a year ahead by an OMS clock jump set the mark there, and no later change (a cancellation)
        was ever listed again; stamps written as ISO-8601 with +08:00 never made a mark, so every poll was a full
        pull, which leaves cancelled orders out. A mark ahead of the OMS's clock (its clock went back, or an older
        station left it) is found at the next poll and the pull is made again in full."""
        since = self.store.get_kv(KV_SINCE)
        if since is not None and not plausible_server_time(since):
            log.warning("pick-list mark %r is not a time: pulling in full", since)
            since = None
        try:
            return self._pull_picklists(since)
        except _MarkAhead as e:
            log.warning("pick-list mark %d is %.1f s ahead of the OMS's clock (%d; its clock went back?): pulling "
                        "in full, and asking about each order open here that the OMS no longer lists",
                        e.since, (e.since - e.server_ms) / 1000, e.server_ms)
            return self._pull_picklists(None)

    def _pull_picklists(self, since: int | None) -> int:
        self._newly_held = []
        cursor, seen, pages = None, set(), 0
        total, started = 0, None
        changed: list[str] = []
        listed: set[str] = set()
        while True:
            page, _ = self.client.list_picklists(self.station_id, updated_since=since, cursor=cursor, limit=500)
            pages += 1
            if page is None:  # 304: asked with If-None-Match, which this pull does not send
                break
            srv = page["server_time_ms"]
            if pages == 1:  # the OMS's time at its first answer: every change after it comes in this pull or the next
                if plausible_server_time(srv):
                    started = srv
                    if since is not None and srv < since:
                        raise _MarkAhead(since, srv)  # nothing applied yet
                else:  # the mark stays where it was: what changed since is asked for again (re-reading is harmless)
                    log.warning("pick-list page says the OMS's time is %r, not a plausible time: mark kept", srv)
            items = page["items"]
            listed.update(p.id for p, _, _ in items)
            ids = self._apply_picklists(items, started)
            total += len(ids)
            changed += ids
            cursor = self._next_cursor("picklists", page, seen, pages)
            if cursor is None:
                break
        if changed:  # with why the OMS held an order worked here (the listing has no reason: it is asked)
            held = {oid: why for oid in self._newly_held if oid in changed
                    and (why := self._oms_reason(oid, "held")) is not None}
            self._notify("picklists_changed", {"ids": changed, **({"oms_reasons": held} if held else {})})
        self._newly_held = []
        if since is None and started is not None:
            self._settle_unlisted(listed)  # raises when an order could not be asked about: no mark then
        if started is not None:
            mark = max(0, started - PICKLIST_OVERLAP_MS)
            # a commit (an fsync on the store's one write lock) only on news, or when the mark fell a minute behind:
            # an unchanged poll every few seconds wrote it each time; the orders of the wider window are read again
            # and skipped (`_apply_picklists`)
            if changed or since is None or mark < since or mark - since >= MARK_WRITE_MIN_MS:
                self.store.set_kv(KV_SINCE, mark)
        return total

    def _apply_picklists(self, items: list, server_ms: int | None) -> list[str]:
        """One page of pick lists into the cache, with what their changes mean here (cancelled, claim lost, packed
        here too). An order the cache holds as the OMS sends it again (read again in the mark's overlap) is not news
        and is not written again: what the station did to it meanwhile (finished it) stands. -> the ids applied."""
        if not items:
            return []
        before = self.cache.rows([p.id for p, _, _ in items])
        provisional = set(self.cache.provisional())  # offline claims, by their own index
        written = set(self.cache.upsert([(p, cb) for p, _, cb in items],
                                        known={k: r["server_updated_at"] for k, r in before.items()}))
        fresh = [(p, raw, cb) for p, raw, cb in items if p.id in written]
        for p, _, _ in fresh:
            ahead = None if server_ms is None else _stamp_ms(p.updated_at)
            if ahead is not None and ahead - server_ms > FUTURE_STAMP_MS:  # said: the OMS's clock may have jumped
                log.warning("order %s is stamped %s, %.0f s ahead of the OMS's own clock (a clock jump at the OMS?)",
                            p.id, p.updated_at, (ahead - server_ms) / 1000)
        for p, _, cb in fresh:  # an offline claim survives a refresh until reconcile_claims settles it
            if p.id in provisional and cb is None and p.status == "open":
                self.cache.mark_claimed(p.id, self.station_id, provisional=True)
        for p, _, cb in fresh:
            old = before.get(p.id)
            if old and p.status == "held" and old["status"] != "held" and self.core.events.events(order_id=p.id,
                                                                                                    limit=1):
                self._newly_held.append(p.id)  # worked here: the poll's notice says why (pull_picklists)
            if old and p.status == "cancelled" and old["status"] != "cancelled":
                self._order_cancelled(p.id, old)
            elif old and p.status == "done" and old["status"] not in ("done", "cancelled") \
                    and old["claimed_by"] == self.station_id and not self._finished_here(p.id):
                self._packed_elsewhere(p.id, old)
            elif old and old["claimed_by"] == self.station_id and cb and cb != self.station_id:
                if old["status"] == "done":  # packed here already (claimed offline)
                    self._packed_here_too(p.id, cb)
                    continue
                self.cache.set_status(p.id, p.status, claimed_by=cb)
                self._notify("claim_lost", {"order_id": p.id, "claimed_by": cb,
                                            "message": Msg("Order {order} was given to another station.",
                                                           order=p.id)})
        return [p.id for p, _, _ in fresh]

    def _settle_unlisted(self, listed: set[str]) -> None:
        """After a full pull: each order this station could still work that the OMS no longer lists is asked about
        (`orders/{id}/status`). A full listing leaves out what was cancelled, finished or claimed elsewhere, and an
        incremental pull after it only lists later changes: without this, a cancellation made before it was never
        heard of. An order that could not be asked about raises (after the others), so the next poll asks again."""
        failed: OmsError | None = None
        for pid in sorted(set(self.cache.settled_open_ids()) - listed):
            try:
                d = self.client.order_status(pid)
            except OmsUnreachable:
                raise
            except OmsError as e:
                failed = failed or e
                continue
            row = self.cache.row(pid)
            st = d["status"] if d else None
            if d is None:
                log.warning("order %s is open here but unknown to the OMS", pid)
            if row is None or st in (None, "open"):  # listed again when it changes (or skipped as malformed)
                continue
            mine = row["claimed_by"] == self.station_id
            log.info("order %s is %s at the OMS and not in its full listing for this station", pid, st)
            if st == "cancelled":
                self._order_cancelled(pid, row, d.get("reason") or "")
            elif mine and st != "done":  # its pick list may have been skipped as malformed: nothing to tell
                log.warning("order %s, claimed here, is %s at the OMS but not listed for this station: left as it is",
                            pid, st)
            else:  # finished, or held or worked by another station: out of this station's queue
                self.cache.set_status(pid, st, claimed_by=row["claimed_by"] if st == "done" else ANOTHER_STATION)
                if mine:
                    self._notify("claim_lost", {"order_id": pid, "claimed_by": None, "message": Msg(
                        "Order {order} was given to another station.", order=pid)})
        if failed is not None:
            raise failed

    def _packed_here_too(self, order_id: str, station: str) -> None:
        """An order this station packed (claimed provisionally, offline) that the OMS had given to another station
        meanwhile: two parcels may ship. Flagged for review and said at once (a chaos run found it packed silently,
        the OMS marking it done under the other station's claim)."""
        why = f"packed at {self.station_id} while the OMS had given it to {station}: two parcels may ship"
        self.cache.set_review_flag(order_id, why)
        log.warning("order %s %s", order_id, why)
        self._notify("packed_elsewhere_too", {"order_id": order_id, "claimed_by": station, "message": Msg(
            "Order {order} was packed here offline, but the OMS had given it to station {station}: tell a supervisor, "
            "two parcels may ship.", order=order_id, station=station)})

    def _intercepted(self, order_id: str, status: str, reason: str, operator_id: str | None = None,
                     oms_reason: str | None = None) -> None:
        """The stop of an order recorded (`order_intercepted`): its status at the OMS, or why it stops here; kind the
        status, as the floor records a stop. `operator_id`: who was stopped (the packer whose F9 asked); `oms_reason`:
        the OMS's own words, said on the STOP (app.workflow.OrderSession.stop_reason)."""
        extra = {"oms_reason": oms_reason} if oms_reason else {}
        self.core.events.append(EventType.ORDER_INTERCEPTED,
                                {"order_id": order_id, "status": status, "reason": reason, **extra},
                                order_id=order_id, operator_id=operator_id, kind=status)

    def _packed_elsewhere(self, order_id: str, old: dict) -> None:
        """An order this station holds went done at the OMS without this station finishing it: another station,
        offline when this one claimed it, packed it and its events came in. Said (`packed_elsewhere`: the screen
        stops the order with what to put back); the cache's "done" was written and the packer went on to pack a
        second parcel. Its stop is recorded here (`order_intercepted`, as the label check records one) and the
        cache keeps it as it was, held by another station: an order its packer left open at a logout comes back
        stopped at their login with what to put back (as "done" it never came back, their picks left in the tote
        unsaid), and no queue lists it."""
        log.warning("order %s, claimed here, was packed at another station (done at the OMS)", order_id)
        if self.core.events.events(order_id=order_id, limit=1):  # worked here: its stop goes with its events
            self._intercepted(order_id, PACKED_ELSEWHERE, "packed at another station")
        self.cache.set_status(order_id, old["status"], claimed_by=ANOTHER_STATION)
        self._notify("packed_elsewhere", {"order_id": order_id, "message": Msg(
            "Order {order} was already packed at another station. Stop and put items back.", order=order_id)})

    def _order_cancelled(self, order_id: str, old: dict, reason: str | None = None) -> None:
        """A cancellation the OMS listed: the cache says so and the station hears it (`order_cancelled`), with why
        (`oms_reason`: the OMS's words; the listing has none, so the OMS is asked, as the label check asks it). The
        poll's cancellation stopped the order as "cancelled by the OMS" and the packer was never told why, while the
        one F9's check heard said it."""
        printed = order_id in (self.store.get_kv(KV_PRINTED_OFFLINE, []) or [])
        if printed:
            self.cache.set_review_flag(order_id, "cancelled by the OMS after its label was printed offline")
        self.cache.set_status(order_id, "cancelled")
        if reason is None and self.core.events.events(order_id=order_id, limit=1):  # worked here: worth the question
            reason = self._oms_reason(order_id, "cancelled")
        self._notify("order_cancelled", {"order_id": order_id, "printed_offline": printed,
                                         **({"oms_reason": reason} if reason else {}),
                                         "message": Msg("Order {order} was cancelled. Stop and put items back.",
                                                        order=order_id)})

    def _oms_reason(self, order_id: str, status: str) -> str | None:
        """Why the OMS cancelled or held an order (`status`; `orders/{id}/status`), or None when it gives no reason or
        cannot say now (logged): the stop goes on without it."""
        try:
            d = self.client.order_status(order_id, timeout=self.settings.oms.intercept_timeout_s)
        except OmsError as e:
            log.info("why order %s is %s not asked: %s", order_id, status, e)
            return None
        reason = d.get("reason") if d and d.get("status") == status else None
        return " ".join(reason.split())[:200] or None if isinstance(reason, str) else None  # one line on the STOP

    def pull_products(self) -> int:
        """Incremental by the OMS's own clock: next time ask for what changed since this pull started
        (minus a second of overlap; re-reading a product is harmless). A mark ahead of the OMS's clock (taken while its
        clock had jumped ahead: every later change is stamped before it and was never listed again) pulls in full, as
        for pick lists; a page whose time is not a plausible time leaves the mark where it was."""
        since = self.store.get_kv(KV_PROD_SINCE)
        if since is not None and not plausible_server_time(since):
            since = None
        cursor, n, started, seen, pages = None, 0, None, set(), 0
        while True:
            page, _ = self.client.list_products(updated_since=since, cursor=cursor)
            pages += 1
            if page is None:
                break
            if pages == 1:
                srv = page["server_time_ms"]
                if since is not None and plausible_server_time(srv) and srv < since:
                    log.warning("product mark %d is %.1f s ahead of the OMS's clock (%d; its clock went back?): "
                                "pulling the products in full", since, (since - srv) / 1000, srv)
                    self.store.set_kv(KV_PROD_SINCE, None)
                    return self.pull_products()
                started = srv if plausible_server_time(srv) else None
            self.products.upsert(page["items"])
            n += len(page["items"])
            cursor = self._next_cursor("products", page, seen, pages)
            if cursor is None:
                break
        if started and n:  # nothing changed: the old mark still asks for everything since
            self.store.set_kv(KV_PROD_SINCE, max(0, started - 1000))
            self._notify("products_changed", {"count": n})  # the station rebuilds its product index
        return n

    def pull_operators(self) -> int:
        ops, complete = self.client.operators()
        first = bool(ops) and not self._operators_known and not self.core.operators.known()
        changed = self.core.operators.upsert_many_hashed([
            (Operator(id=o["id"], badge=o["badge"], name=o["name"], role=Role(o["role"]),
                      active=bool(o.get("active", True)), source="oms"), o["pin_hash"]) for o in ops],
            complete=complete)
        self._operators_known = self._operators_known or bool(ops)  # known once: no read of the table per poll
        # a new station's first operators: a login tried before them goes through now; later changes: the operator
        # logged in may have been withdrawn (the controller logs them out)
        if first or changed:
            self._notify("operators_changed", {"count": len(ops), "changed": changed})
        return len(ops)

    def reconcile_claims(self) -> None:
        """Offline claims confirmed, or settled as lost or cancelled. One the OMS answers malformed stays provisional
        and the others are settled (then the failure is raised); an unreachable OMS ends it."""
        failed: OmsError | None = None
        for pid in self.cache.provisional():
            try:
                ok, d = self.client.claim(pid, self.station_id, provisional=True)
            except OmsUnreachable:
                raise
            except OmsError as e:
                failed = failed or e
                continue
            if ok:
                self.cache.mark_claimed(pid, self.station_id, provisional=False)
                self._notify("claim_confirmed", {"order_id": pid})
            elif d.get("status") == "cancelled":
                self.cache.set_status(pid, "cancelled")
                reason = self._oms_reason(pid, "cancelled")  # said on the STOP of the order worked on the claim
                self._notify("order_cancelled", {"order_id": pid, "printed_offline": False,
                                                 **({"oms_reason": reason} if reason else {}),
                                                 "message": Msg("Order {order} was cancelled.", order=pid)})
            else:
                self.cache.set_status(pid, d.get("status") or "claimed", claimed_by=d.get("claimed_by"))
                self._notify("claim_lost", {"order_id": pid, "claimed_by": d.get("claimed_by"),
                                            "message": Msg("Order {order} was given to another station.", order=pid)})
        if failed is not None:
            raise failed

    # -- station actions ---------------------------------------------------------------------------
    def claim(self, order_id: str, operator_id: str | None = None) -> ClaimResult:
        if self.cache.row(order_id) is None:
            return ClaimResult(False, False, Msg("Order {order} is not in the local list.", order=order_id))
        t0 = time.monotonic()
        try:
            ok, d = self.client.claim(order_id, self.station_id, claimed_at_ms=now_ms(),
                                      timeout=(self.settings.oms.connect_timeout_s,
                                               self.settings.oms.intercept_timeout_s))
        except (OmsUnreachable, MalformedReply) as e:  # the token refused too: the floor works on, as offline
            log.info("claim %s offline (%s): provisional", order_id, e)
            # said at once: the status bar read ONLINE beside "OMS offline: claimed provisionally" until the next
            # poll or send failed too (1-3 s)
            self._record(False, t0, e)
            self.cache.mark_claimed(order_id, self.station_id, provisional=True)
            self.core.events.append(EventType.PICKLIST_CLAIMED, {"order_id": order_id, "provisional": True},
                                    operator_id=operator_id, order_id=order_id)
            if isinstance(e, OmsAuthError):
                return ClaimResult(True, True, Msg("The OMS refuses this station's token: claimed provisionally. Tell "
                                                   "a supervisor: the station needs a new token."))
            return ClaimResult(True, True, Msg("OMS offline: claimed provisionally, will be confirmed later."))
        if not ok:
            who = d.get("claimed_by")
            st = d.get("status")
            if st in ("cancelled", "held", "done") and not who:
                self.cache.set_status(order_id, st)
            if who and who != self.station_id:  # out of this station's queue, as the next poll would take it
                self.cache.set_status(order_id, st if st in ("claimed", "in_progress", "held") else "claimed",
                                      claimed_by=who)
                return ClaimResult(False, False, Msg("Order {order} is already taken by station {station}.",
                                                     order=order_id, station=who))
            return ClaimResult(False, False, Msg("Order {order} cannot be worked (status: {status}).", order=order_id,
                                                 status=st))
        self.cache.mark_claimed(order_id, self.station_id, provisional=False)
        self.core.events.append(EventType.PICKLIST_CLAIMED, {"order_id": order_id, "provisional": False},
                                operator_id=operator_id, order_id=order_id)
        self._want_pictures(order_id)
        return ClaimResult(True, False, Msg("Order {order} claimed.", order=order_id))

    def check_shippable(self, order_id: str, operator_id: str | None = None) -> Shippable:
        """Asked at F9 before the label: may this order ship? A stop is recorded here (`order_intercepted`), under
        `operator_id`, the packer whose F9 asked (it went to the OMS with no operator)."""
        try:
            d = self.client.order_status(order_id, timeout=self.settings.oms.intercept_timeout_s)
        except OmsError as e:
            log.info("order intercept for %s offline: %s", order_id, e)
            printed = list(self.store.get_kv(KV_PRINTED_OFFLINE, []) or [])
            if order_id not in printed:
                self.store.set_kv(KV_PRINTED_OFFLINE, (printed + [order_id])[-5000:])
            return Shippable(True, "unknown", None, True,
                             Msg("OMS offline: label allowed; the order will be checked later."),
                             self._cached(order_id))
        if d is None:
            return Shippable(False, "unknown", "not_found", False,
                             Msg("Order {order} is unknown to the OMS.", order=order_id))
        st, reason = d["status"], d.get("reason")
        if st == "done" and not self._finished_here(order_id):
            # packed at another station (offline when this one claimed it, its events in since): a label here is a
            # second parcel. "done" read as "still ships" printed it
            log.warning("order %s is done at the OMS but was not finished here: packed at another station, stopped",
                        order_id)
            self._intercepted(order_id, PACKED_ELSEWHERE, "packed at another station", operator_id)
            return Shippable(False, PACKED_ELSEWHERE, "packed at another station", False, Msg(
                "STOP: order {order} was already packed at another station. Do not ship a second parcel.",
                order=order_id))
        if st in ("cancelled", "held"):
            self.cache.set_status(order_id, st, claimed_by=self.station_id)
            self._intercepted(order_id, st, reason or "", operator_id, oms_reason=reason)
            if reason:
                msg = Msg("STOP: order {order} is {status}: {reason}. Do not ship.", order=order_id,
                          status=status_word(st), reason=reason)
            else:
                msg = Msg("STOP: order {order} is {status}. Do not ship.", order=order_id, status=status_word(st))
            return Shippable(False, st, reason, False, msg)
        try:
            current, holder = self.client.get_picklist_held(order_id, timeout=self.settings.oms.intercept_timeout_s)
        except OmsError as e:  # it ships: the label goes out with the address and carrier last polled
            log.info("pick list %s not fetched before its label: %s", order_id, e)
            current, holder = None, None
        if holder and holder != self.station_id:
            # claimed here offline, given to another station meanwhile, and the poll has not settled the claim yet:
            # "claimed" read as "still ships" printed the label of a parcel the other station packs too
            log.warning("order %s is held by station %s at the OMS: stopped here before its label", order_id, holder)
            self.cache.set_status(order_id, st, claimed_by=holder)
            self._intercepted(order_id, "claimed_elsewhere", f"claimed by {holder}", operator_id)
            return Shippable(False, "claimed_elsewhere", f"claimed by {holder}", False, Msg(
                "STOP: order {order} was given to another station ({station}). Do not ship it from here.",
                order=order_id, station=holder))
        return Shippable(True, st, reason, False, picklist=current or self._cached(order_id))

    def _finished_here(self, order_id: str) -> bool:
        """This station finished the order (its `order_completed` is in the event log): "done" at the OMS is then
        this station's own parcel, not another station's."""
        return bool(self.core.events.events(order_id=order_id, types=[EventType.ORDER_COMPLETED], limit=1))

    def _cached(self, order_id: str) -> PickList | None:
        try:
            return self.cache.get(order_id)
        except Exception:  # the label goes out as the order was opened
            log.exception("cached pick list %s not readable", order_id)
            return None
