"""The durable print spool: every job is a `print_jobs` row (written through `Store.write()`) before
a byte goes to a printer, and nothing leaves the spool silently.

States: queued -> sending -> sent -> done, or
  held    the printer was not ready before sending (paper out, cover open, offline, no answer):
          nothing was sent; the job resumes by itself when the printer is ready again (status is
          polled on a timer) or at once with `retry_held()`.
  failed  sending broke or the printer did not confirm afterwards (powered off mid-job, paper ran
          out during the job, connection lost, station crashed while sending): the label may be
          incomplete, so it is never resent blindly; it is offered for reprint (`reprint_offers()`),
          and a reprint is an explicit audited `reprint` event naming who and why.
  sent    every byte was handed to the printer connection; waiting for the printer to confirm.
  unconfirmed  the station stopped after the job was sent in full (state `sent` at the restart).
          Such a job has almost always printed in full, so it is NOT offered for reprint: after the
          restart the printer is asked for its status, and the job's message (an app.i18n Msg) says what is
          known ("printer ready, no fault: it most likely printed, look for it before reprinting", or
          the fault it reports); `reprint_advice()` gives that to the screen before a reprint.

Every fault appends a `printer_fault` event and reaches the UI through `on_update(job_dict)` (job
changes) and `on_status(printer_name, PrinterStatus)` (health changes). Both run on the spool's
worker thread: keep them cheap (ui/ re-emits them as Qt signals). The worker thread does all printer
I/O: the caller's thread only writes rows.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import uuid_utils
from sqlalchemy import delete, insert, select, update

from app import schema
from app.events import EventType
from app.i18n import N_, Msg
from app.picklist import PickLine, PickList
from app.store import now_ms
from hardware.devices import NO_DETAIL
from hardware.printing.connections import NullPrinter, Printer, PrintError
from hardware.printing.status import PrinterStatus, make_status

log = logging.getLogger(__name__)

JobCallback = Callable[[dict[str, Any]], None]
StatusCallback = Callable[[str, PrinterStatus], None]
T = schema.print_jobs
CUTS_KEY = "print.cuts_before."  # kv: the printer's cut counter read just before a job was sent
# A printed job's bytes are kept this long for a reprint (F12), then deleted: every order left its label and its slip
# (a PDF with its fonts embedded, ~55 KB: three quarters of what an order adds to the station's database) in the
# spool for ever, 20 GB a year at 1,000 orders a day, until the disk was full and no scan could be recorded. The
# events say what was printed, when and by whom (the OMS has them); only jobs `done` go, never one still to print,
# held, failed or unconfirmed. Days counted back from the newest job's time when the clock is ahead of it (a station
# clock a year ahead would otherwise empty the spool).
DONE_JOBS_KEPT_DAYS = 30
PRUNE_BATCH = 20  # jobs deleted a transaction: each holds the store's write lock a few ms, between two scans
PRUNE_EVERY_S = 6 * 3600.0

MSG = {  # what a job's message says (app.i18n ids, translated in devices.po)
    "crashed": N_("The station stopped before all of this job reached the printer: it is probably incomplete. "
                  "Check the printout and reprint it"),
    "checking": N_("The station stopped just after sending this job in full: asking the printer"),
    "sent_ok": N_("The station stopped just after sending this job in full; the printer is ready and reports no "
                  "fault, so it most likely printed. Look for it at the printer before reprinting"),
    "sent_fault": N_("The station stopped just after sending this job in full, and the printer now reports: "
                     "{detail}. The printout may be incomplete: check it and reprint if needed"),
    "cut_seen": N_("The station stopped during this job; the printer's cut counter shows the label was cut, "
                   "so it printed in full. No reprint needed"),
    "cut_missing": N_("The station stopped during this job and the printer's cut counter shows it was never cut: "
                      "the label is incomplete or missing. Reprint it"),
    "sent_unknown": N_("The station stopped just after sending this job in full; the printer cannot tell whether "
                       "it printed ({detail}). Look for it at the printer before reprinting"),
    "lost": N_("The printer stopped answering during the job (powered off or unplugged?): check it and reprint "
               "({detail})"),
    "after": N_("The printer reported a problem right after the job: {detail}. Check the printout and reprint"),
    "no_printer": N_("No printer named {name} is configured"),
    "seen": N_("Sent in full just before the station stopped; found at the printer by the packer"),
}


class PrintSpool:
    def __init__(self, core, printers: Mapping[str, Printer], on_update: JobCallback | None = None,
                 on_status: StatusCallback | None = None, *, poll_interval_s: float = 15.0,
                 status_timeout_s: float = 1.0, send_timeout_s: float = 20.0,
                 image_for: Callable[[str], Path | None] | None = None) -> None:
        self.core = core
        self.store = core.store
        self.events = core.events
        self.printers = dict(printers)
        self.on_update = on_update
        self.on_status = on_status
        self.poll_interval_s = poll_interval_s
        self.status_timeout_s = status_timeout_s
        self.send_timeout_s = send_timeout_s
        self.image_for = image_for
        self._cond = threading.Condition()
        self._telling = threading.RLock()  # a job's write and its on_update, together (`_write`)
        self._stop = False
        self._poll_requested = True
        self._thread: threading.Thread | None = None
        self._status: dict[str, PrinterStatus] = {}
        self._fault_logged: dict[str, str] = {}
        self._to_verify: set[str] = set()

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Recover after a crash (jobs caught in `sending` become `failed`), then start the worker."""
        if self._thread is not None:
            return
        with self._write() as (c, told):
            sending = c.execute(select(T.c.job_id).where(T.c.state == "sending")).scalars().all()
            counted = {k.removeprefix(CUTS_KEY) for k in c.execute(select(schema.kv.c.key).where(
                schema.kv.c.key.in_([CUTS_KEY + j for j in sending]))).scalars()}
            rows = [j for j in sending if j not in counted]  # no counter: cut off mid-send, incomplete
            c.execute(update(T).where(T.c.job_id.in_(counted)).values(state="sent"))  # the printer can tell
            c.execute(update(T).where(T.c.job_id.in_(rows)).values(
                state="failed", last_error=_err("crashed", Msg(MSG["crashed"])), updated_at_ms=now_ms()))
            sent = c.execute(select(T.c.job_id).where(T.c.state == "sent")).scalars().all()
            c.execute(update(T).where(T.c.job_id.in_(sent)).values(
                state="unconfirmed", last_error=_err("checking", Msg(MSG["checking"])), updated_at_ms=now_ms()))
            told += rows + sent
        for jid in rows:
            log.warning("print job %s was being sent when the station stopped: marked failed", jid)
        for jid in sent:
            log.warning("print job %s was sent in full just before the station stopped: asking the printer", jid)
        self._to_verify = set(sent)
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="print-spool", daemon=True)
        self._thread.start()
        from hardware.printing.slip import warm_up_later

        warm_up_later()  # the first slip of a shift costs what any slip costs

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        for p in self.printers.values():
            p.close()

    # -- submitting ----------------------------------------------------------------------------------
    def _badge(self, operator_id: str | None) -> str:
        """The packer as the paperwork names them: by badge, what a person on the floor recognises (the log and
        the job keep the id; "OP-K1" was printed). An id the directory does not know is printed as it is."""
        if not operator_id:
            return ""
        try:
            op = self.core.operators.by_id(operator_id)
        except Exception:  # the paperwork must not fail on a name
            log.exception("operator %s not looked up for the paperwork", operator_id)
            return operator_id
        return op.badge if op is not None else operator_id

    @property
    def prints_slips(self) -> bool:
        """A slip printer is configured (`none:` is none): a station without one submits no slip, and its label
        alone completes an order's Label step (floor.controller waits for both when there is one)."""
        p = self.printers.get("slip_printer")
        return p is not None and not isinstance(p, NullPrinter)

    @staticmethod
    def new_job_id() -> str:
        """A job id to submit a job under (`job_id=`), known before the job is queued: the floor records its order's
        `paperwork` event naming its jobs first, so that their `label_printed` cannot come before it."""
        return str(uuid_utils.uuid7())

    def submit_label(self, picklist: PickList, operator_id: str | None, job_id: str | None = None) -> str:
        from hardware.printing.label import build_label

        name = "label_printer"
        p = self._printer(name)
        data = build_label(picklist, p.settings, station=self.core.settings.station.id,
                           operator=self._badge(operator_id), tz=self.core.settings.station.warehouse_tz)
        return self._insert(order_id=picklist.id, kind="label", printer=name, content_type="escpos",
                            payload=data, operator_id=operator_id, job_id=job_id)

    def submit_slip(self, picklist: PickList, operator_id: str | None,
                    images: Callable[[str], Path | None] | Mapping[str, Path] | None = None,
                    missing: Sequence[PickLine] = (), job_id: str | None = None) -> str:
        from hardware.printing.slip import build_slip_pdf, pdf_to_escpos

        name = "slip_printer"
        p = self._printer(name)
        image_for = images if callable(images) else (
            (lambda u: images.get(u)) if isinstance(images, Mapping) else self.image_for)  # type: ignore[union-attr]
        page = _uri_option(p.uri, "page", "80mm")
        pdf = build_slip_pdf(picklist, image_for, page=page, station=self.core.settings.station.id,
                             operator=self._badge(operator_id), tz=self.core.settings.station.warehouse_tz,
                             missing=missing)
        if p.accepts_pdf:
            payload, ctype = pdf, "pdf"
        else:
            payload, ctype = pdf_to_escpos(pdf, p.settings), "escpos"
        return self._insert(order_id=picklist.id, kind="slip", printer=name, content_type=ctype,
                            payload=payload, operator_id=operator_id, job_id=job_id)

    def submit_raw(self, printer: str, kind: str, payload: bytes, content_type: str = "escpos",
                   operator_id: str | None = None, order_id: str | None = None) -> str:
        """A prepared job (e.g. `print-test`)."""
        self._printer(printer)
        return self._insert(order_id=order_id, kind=kind, printer=printer, content_type=content_type,
                            payload=payload, operator_id=operator_id)

    def reprint(self, job_id: str, operator_id: str, reason: str) -> str:
        """Queue a copy of a done or failed job: an explicit, audited `reprint` event (who, why)."""
        reason = (reason or "").strip()
        if not reason:
            raise ValueError("a reprint needs a reason")
        if not operator_id:
            raise ValueError("a reprint needs the operator")
        orig = self._row(job_id)
        if orig is None:
            raise KeyError(job_id)
        if orig["state"] in ("queued", "sending", "sent", "held"):
            raise ValueError(f"job {job_id} is still {orig['state']}: it prints when the printer is ready")
        # the copy and its audit event commit together: no reprint without its who-and-why
        with self._write() as (c, told):
            new_id = self._insert(order_id=orig["order_id"], kind=orig["kind"], printer=orig["printer"],
                                  content_type=orig["content_type"], payload=orig["payload"],
                                  operator_id=operator_id, reprint_of=job_id, conn=c)
            self.events.append(EventType.REPRINT, {"order_id": orig["order_id"], "job_id": new_id,
                                                   "reprint_of": job_id, "reason": reason},
                               operator_id=operator_id, order_id=orig["order_id"], conn=c)
            told.append(new_id)
        self._wake()
        return new_id

    def confirm_seen(self, job_id: str, operator_id: str) -> bool:
        """A job sent in full just before the station stopped (`unconfirmed`) that the operator found at the printer:
        done, its `label_printed`/`slip_printed` event naming them (the printer could not tell). -> whether it was
        unconfirmed (anything else is left as it is)."""
        if not operator_id:
            raise ValueError("confirming a printout needs the operator")
        row = self._row(job_id)
        if row is None or row["state"] != "unconfirmed":
            return False
        return self._done(job_id, {**row, "operator_id": operator_id}, _err("seen", Msg(MSG["seen"])),
                          only_from="unconfirmed")

    def retry_held(self) -> int:
        """Send held jobs again now (each is checked against the printer's status first)."""
        with self._write() as (c, told):
            ids = c.execute(select(T.c.job_id).where(T.c.state == "held")).scalars().all()
            if ids:
                c.execute(update(T).where(T.c.job_id.in_(ids)).values(state="queued", updated_at_ms=now_ms()))
            told += ids
        self._wake()
        return len(ids)

    def cancel(self, job_id: str, reason: str) -> None:
        """Take a queued or held job out of the queue (state failed, with the reason)."""
        row = self._row(job_id)
        if row is None or row["state"] not in ("queued", "held"):
            return
        self._set(job_id, state="failed", last_error=_err("cancelled", Msg("Cancelled: {reason}", reason=reason)))

    # -- reading -------------------------------------------------------------------------------------
    def jobs(self, state: str | None = None, order_id: str | None = None) -> list[dict[str, Any]]:
        q = select(T).order_by(T.c.id)
        if state:
            q = q.where(T.c.state == state)
        if order_id:
            q = q.where(T.c.order_id == order_id)
        with self.store.read() as c:
            rows = c.execute(q).mappings().all()
            reprinted = set(c.execute(select(T.c.reprint_of).where(T.c.reprint_of.is_not(None))).scalars())
        return [_job_dict(r, r["job_id"] in reprinted) for r in rows]

    def has_label(self, order_id: str) -> bool:
        """Whether the order has a label job (one point read: no payloads, no reprint list)."""
        with self.store.read() as c:
            return c.execute(select(T.c.id).where(T.c.order_id == order_id, T.c.kind == "label").limit(1)).first() \
                is not None

    def last_label_order_id(self) -> str | None:
        """The order of the newest label job (a reprint's included), or None."""
        with self.store.read() as c:
            return c.execute(select(T.c.order_id).where(T.c.kind == "label", T.c.order_id.is_not(None))
                             .order_by(T.c.id.desc()).limit(1)).scalar()

    def job(self, job_id: str) -> dict[str, Any] | None:
        with self.store.read() as c:
            r = c.execute(select(T).where(T.c.job_id == job_id)).mappings().first()
            if r is None:
                return None
            reprinted = c.execute(select(T.c.id).where(T.c.reprint_of == job_id).limit(1)).first() is not None
        return _job_dict(r, reprinted)

    def reprint_offers(self) -> list[dict[str, Any]]:
        """Failed jobs not yet reprinted: what the UI offers the operator to reprint. Jobs sent in full
        just before a crash (`unconfirmed`) are not offered: they have almost always printed."""
        return [j for j in self.jobs(state="failed") if not j["reprinted"]]

    def unconfirmed(self) -> list[dict[str, Any]]:
        """Jobs sent in full just before the station stopped, with what the printer told since."""
        return [j for j in self.jobs(state="unconfirmed") if not j["reprinted"]]

    def reprint_advice(self, job_id: str) -> dict[str, Any]:
        """What is known about a job, to show the packer before a reprint: state, whether it most likely
        printed already, and a "message" (an app.i18n Msg: the screen renders it with .text(language))."""
        j = self.job(job_id)
        if j is None:
            raise KeyError(job_id)
        likely = j["state"] == "done" or j["error_state"] in ("sent_ok", "sent_unknown", "checking")
        msg = j["message"] or (Msg("This job printed and the printer confirmed it") if j["state"] == "done"
                               else NO_DETAIL)
        if j["reprinted"]:
            msg = Msg("Already reprinted once. {message}", message=msg)
        return {"job_id": job_id, "state": j["state"], "error_state": j["error_state"], "likely_printed": likely,
                "reprinted": j["reprinted"], "message": msg}

    def printer_status(self, name: str) -> PrinterStatus | None:
        return self._status.get(name)

    def check_now(self) -> None:
        """Ask the worker to poll every printer's status now."""
        with self._cond:
            self._poll_requested = True
            self._cond.notify_all()

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until no job is queued or sending (tests, print-test)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.store.read() as c:
                n = c.execute(select(T.c.id).where(T.c.state.in_(("queued", "sending", "sent"))).limit(1)).first()
            if n is None:
                return True
            time.sleep(0.02)
        return False

    # -- internals -----------------------------------------------------------------------------------
    def _printer(self, name: str) -> Printer:
        if name not in self.printers:
            raise PrintError("not_configured", Msg(MSG["no_printer"], name=name))
        return self.printers[name]

    def _insert(self, *, order_id, kind, printer, content_type, payload, operator_id, reprint_of=None,
                wake: bool = True, conn=None, job_id: str | None = None) -> str:
        jid = job_id or self.new_job_id()
        t = now_ms()
        row = insert(T).values(job_id=jid, order_id=order_id, kind=kind, printer=printer,
                               content_type=content_type, payload=payload, state="queued", attempts=0,
                               operator_id=operator_id, reprint_of=reprint_of, created_at_ms=t, updated_at_ms=t)
        if conn is not None:  # the caller commits (and notifies)
            conn.execute(row)
            return jid
        with self._write() as (c, told):
            c.execute(row)
            told.append(jid)
        if wake:
            self._wake()
        return jid

    def _row(self, job_id: str) -> dict[str, Any] | None:
        with self.store.read() as c:
            r = c.execute(select(T).where(T.c.job_id == job_id)).mappings().first()
        return dict(r) if r else None

    def _set(self, job_id: str, only_from: str | None = None, **values) -> None:
        """A job's new state; with `only_from`, only if it is still in that state (the worker's check of a job sent
        before a crash must not undo the packer's "found it" made meanwhile)."""
        values["updated_at_ms"] = now_ms()
        with self._write() as (c, told):
            q = update(T).where(T.c.job_id == job_id).values(**values)
            if c.execute(q.where(T.c.state == only_from) if only_from else q).rowcount:
                told.append(job_id)

    @contextlib.contextmanager
    def _write(self) -> Iterator[tuple[Any, list[str]]]:
        """A write to the jobs table, and the jobs the caller adds to the list told (`on_update`) once it commits — the
        commit and the telling under one lock, so that each update carries the state its write made and they reach
        the screen in the order they were committed. Told after the store's lock was let go, a submitter read its
        new job back once the worker had taken it: "queued" was never told and "sending" twice (a clean-clone test
        run, 2026-12-07), and two threads' updates could cross (an older state told after a newer one)."""
        told: list[str] = []
        with self._telling:
            with self.store.write() as c:
                yield c, told
            for jid in told:
                self._notify(jid)

    def _notify(self, job_id: str) -> None:
        if not self.on_update:
            return
        j = self.job(job_id)
        if j is None:
            return
        try:
            self.on_update(j)
        except Exception:
            log.exception("print spool on_update callback failed")

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _next_job(self) -> dict[str, Any] | None:
        with self.store.read() as c:
            r = c.execute(select(T).where(T.c.state == "queued").order_by(T.c.id).limit(1)).mappings().first()
        return dict(r) if r else None

    WORKER_ERROR_REMIND_S = 600.0
    WORKER_RETRY_S = 1.0  # a round that failed is tried again after this long

    def _worker_failed(self, exc: Exception, streak: list) -> None:
        """A worker error, with its traceback the first time; the same error again (a full disk fails every round, a
        second apart) a line every WORKER_ERROR_REMIND_S, not a traceback a second into the log."""
        said, now = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}", time.monotonic()
        if not streak or streak[0] != said:
            log.exception("print spool worker error")
            streak[:] = [said, now, now, 1]
            return
        streak[3] += 1
        if now - streak[2] >= self.WORKER_ERROR_REMIND_S:
            streak[2] = now
            log.error("print spool worker still failing after %d s, %d rounds: %s", now - streak[1], streak[3], said)

    @staticmethod
    def _worker_ok(streak: list) -> None:
        if streak:
            log.info("print spool works again after %d rounds failed (%s)", streak[3], streak[0])
            streak.clear()

    def _run(self) -> None:
        next_poll = 0.0
        next_prune = 0.0  # the first idle moment after the start, then every PRUNE_EVERY_S
        streak: list = []  # [error, since, said at, rounds] while the worker fails round after round
        while True:
            with self._cond:
                if self._stop:
                    return
            try:
                if self._to_verify:
                    self._verify_unconfirmed()
                    continue
                job = self._next_job()
                if job is not None:
                    self._process(job)
                    self._worker_ok(streak)
                    continue
                now = time.monotonic()
                if self._poll_requested or now >= next_poll:
                    self._poll_requested = False
                    self._poll()
                    self._worker_ok(streak)
                    next_poll = time.monotonic() + self.poll_interval_s
                    continue
                if now >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_S
                    try:
                        if self.prune_done():
                            next_prune = 0.0  # more may wait: the next round (after any job to print) goes on
                    except Exception:  # printing goes on; tried again at the next PRUNE_EVERY_S
                        log.warning("print spool: printed jobs older than %d days not deleted this time",
                                    DONE_JOBS_KEPT_DAYS, exc_info=True)
                    continue
                with self._cond:
                    if not self._stop and not self._poll_requested and self._next_job() is None:
                        self._cond.wait(timeout=max(0.01, next_poll - time.monotonic()))
            except Exception as exc:  # the worker must survive anything (a DB hiccup, a driver bug)
                self._worker_failed(exc, streak)
                with self._cond:
                    self._cond.wait(timeout=self.WORKER_RETRY_S)

    def prune_done(self, *, limit: int = PRUNE_BATCH) -> int:
        """Delete up to `limit` of the oldest printed (`done`) jobs older than DONE_JOBS_KEPT_DAYS; -> how many.
        The candidates are the oldest done jobs by id (the state index, in id order): their times lie after the
        payload in a row, so a query on the time alone would read every kept job's bytes."""
        with self.store.read() as c:
            newest = c.execute(select(T.c.created_at_ms).order_by(T.c.id.desc()).limit(1)).scalar()
            if newest is None:
                return 0
            cutoff = min(now_ms(), newest) - int(DONE_JOBS_KEPT_DAYS * 86_400_000)
            old = [r.id for r in c.execute(select(T.c.id, T.c.updated_at_ms).where(T.c.state == "done")
                                           .order_by(T.c.id).limit(limit)) if r.updated_at_ms < cutoff]
        if not old:
            return 0
        with self.store.write() as c:
            gone = c.execute(delete(T).where(T.c.id.in_(old), T.c.state == "done")).rowcount
        log.debug("print spool: %d printed job(s) older than %d days deleted", gone, DONE_JOBS_KEPT_DAYS)
        return gone

    def _verify_unconfirmed(self) -> None:
        """After a restart: ask each printer that had a job sent in full just before the crash what it
        can tell. A printer that is ready with no fault has printed such a job in all but rare cases."""
        ids, self._to_verify = sorted(self._to_verify), set()
        for jid in ids:
            row = self._row(jid)
            if row is None or row["state"] != "unconfirmed":
                continue
            p = self.printers.get(row["printer"])
            before = self.store.get_kv(CUTS_KEY + jid)
            now = p.cut_count(self.status_timeout_s) if p is not None and before is not None else None
            if now is not None and now > before:  # its final cut happened: printed in full
                self._done(jid, row, _err("cut_seen", Msg(MSG["cut_seen"])), only_from="unconfirmed")
                log.info("print job %s: the printer's cut counter moved (%s -> %s): printed", jid, before, now)
                continue
            if now is not None:
                self._set(jid, "unconfirmed", state="failed", last_error=_err("cut_missing", Msg(MSG["cut_missing"])))
                log.info("print job %s: the printer's cut counter did not move (%s): not printed", jid, now)
                continue
            st = self._check(row["printer"], p, job_id=None) if p is not None else make_status("not_configured")
            if st.state in ("ready", "paper_near_end"):
                key, state = "sent_ok", "unconfirmed"
            elif st.state in ("paper_out", "cover_open", "error"):
                key, state = "sent_fault", "failed"  # the printer says something went wrong: offer the reprint
            else:
                key, state = "sent_unknown", "unconfirmed"
            self._set(jid, "unconfirmed", state=state, last_error=_err(key, Msg(MSG[key], detail=st.detail)))
            log.info("print job %s sent before the crash: printer %s says %s -> %s", jid, row["printer"],
                     st.state, key)

    def _poll(self) -> None:
        for name, p in self.printers.items():
            st = self._check(name, p, job_id=None)
            if st.ok:
                self._resume_held(name)

    def _resume_held(self, printer: str) -> None:
        with self._write() as (c, told):
            ids = c.execute(select(T.c.job_id).where(T.c.state == "held", T.c.printer == printer)).scalars().all()
            if ids:
                c.execute(update(T).where(T.c.job_id.in_(ids)).values(state="queued", updated_at_ms=now_ms()))
            told += ids
        for jid in ids:
            log.info("printer %s ready again: job %s resumed", printer, jid)

    def _check(self, name: str, p: Printer, job_id: str | None, quiet: bool = False) -> PrinterStatus:
        try:
            st = p.status(self.status_timeout_s)
        except Exception as exc:  # a driver bug is a fault, not a crash
            log.exception("status of %s failed", name)
            st = make_status("offline", extra=str(exc))
        self._record_status(name, st, job_id, log_fault=not (quiet and not st.ok))
        return st

    def _record_status(self, name: str, st: PrinterStatus, job_id: str | None, log_fault: bool = True) -> None:
        prev = self._status.get(name)
        self._status[name] = st
        if prev is None or prev.state != st.state or prev.detail != st.detail:
            if not st.ok or st.warning:
                log.warning("printer %s: %s", name, st.en)
            if self.on_status:
                try:
                    self.on_status(name, st)
                except Exception:
                    log.exception("print spool on_status callback failed")
        bad = not st.ok or st.state == "paper_near_end"
        if bad and log_fault and (self._fault_logged.get(name) != st.state or job_id is not None):
            self._fault(name, st.state, st.en, job_id)
        if not bad:
            self._fault_logged.pop(name, None)

    def _fault(self, printer: str, state: str, detail: str, job_id: str | None, order_id: str | None = None,
               conn=None) -> None:
        """Append a printer_fault event (in the caller's transaction with `conn`: with the job row it explains)."""
        self._fault_logged[printer] = state
        payload = {"printer": printer, "state": state, "detail": detail, "job_id": job_id}
        if conn is not None:
            self.events.append(EventType.PRINTER_FAULT, payload, order_id=order_id, kind=state, conn=conn)
            return
        try:
            self.events.append(EventType.PRINTER_FAULT, payload, order_id=order_id, kind=state)
        except Exception:
            log.exception("could not record printer_fault event")

    def _set_with_fault(self, job_id: str, printer: str, fault_state: str, detail: str, order_id: str | None,
                        **values) -> None:
        """A job's new state and the printer_fault event that explains it, in one transaction."""
        values["updated_at_ms"] = now_ms()
        with self._write() as (c, told):
            c.execute(update(T).where(T.c.job_id == job_id).values(**values))
            self._fault(printer, fault_state, detail, job_id, order_id, conn=c)
            told.append(job_id)

    def _process(self, job: dict[str, Any]) -> None:
        jid, name = job["job_id"], job["printer"]
        p = self.printers.get(name)
        if p is None:
            self._set(jid, state="held", last_error=_err("not_configured", Msg(MSG["no_printer"], name=name)))
            return
        st = self._check(name, p, job_id=None, quiet=True)
        if not st.ok:
            # hold this job and every job queued behind it for the same printer: order is kept, and
            # a silent printer costs one status timeout, not one per job
            err = _err(st.state, st.detail)
            with self._write() as (c, told):
                ids = c.execute(select(T.c.job_id).where(T.c.state == "queued", T.c.printer == name)
                                .order_by(T.c.id)).scalars().all()
                c.execute(update(T).where(T.c.job_id.in_(ids)).values(state="held", last_error=err,
                                                                        updated_at_ms=now_ms()))
                if self._fault_logged.get(name) != st.state:  # one event per incident: the poll may have seen it
                    self._fault(name, st.state, st.en, jid, job["order_id"], conn=c)
                told += ids
            return
        answered_before = p.answers_status
        cuts = p.cut_count(self.status_timeout_s) if p.counts_cuts else None
        with self._write() as (c, told):
            c.execute(update(T).where(T.c.job_id == jid).values(state="sending", attempts=job["attempts"] + 1,
                                                                updated_at_ms=now_ms()))
            if cuts is not None:  # after a crash, a higher count says this job's final cut happened
                self.store.set_kv(CUTS_KEY + jid, cuts, conn=c)
            told.append(jid)
        try:
            p.send(job["payload"], job["content_type"], job_name=f"{job['kind']}-{job['order_id'] or jid}",
                   timeout_s=self.send_timeout_s)
        except PrintError as exc:
            log.warning("print job %s to %s failed: %s", jid, name, exc.en)  # expected: one line
            self._set_with_fault(jid, name, exc.state, exc.en, job["order_id"], state="failed",
                                 last_error=_err(exc.state, exc.message))
            self._check(name, p, job_id=None)
            return
        except Exception as exc:
            log.exception("print job %s to %s failed", jid, name)
            self._set_with_fault(jid, name, "error", str(exc), job["order_id"], state="failed",
                                 last_error=_err("error", Msg("Printing failed: {error}", error=str(exc))))
            return
        # every byte is with the printer now: a crash from here on leaves a job that most likely printed
        self._set(jid, state="sent")
        # a printer answers DLE EOT only once the job has drained into its buffer: allow for the
        # print time of big raster jobs (~100 kB/s on an 80 mm printer) before calling it lost
        confirm_s = min(30.0, max(self.status_timeout_s, 1.5) + len(job["payload"]) / 50_000)
        after = p.after_job(confirm_s)
        self._record_status(name, after, None)
        if after.state in ("no_answer", "offline") and answered_before:
            lost = Msg(MSG["lost"], detail=after.detail)
            self._set_with_fault(jid, name, after.state, lost.en, job["order_id"], state="failed",
                                 last_error=_err(after.state, lost))
            return
        if after.state in ("paper_out", "cover_open", "error"):
            self._set_with_fault(jid, name, after.state, after.en, job["order_id"], state="failed",
                                 last_error=_err(after.state, Msg(MSG["after"], detail=after.detail)))
            return
        # the job row and the event that tells the OMS commit together: a crash cannot leave a done
        # label the OMS never hears of (nor an event for a label still marked sending)
        self._done(jid, job, None)

    def _done(self, jid: str, job: dict[str, Any], last_error: str | None, only_from: str | None = None) -> bool:
        """The job done, and its printed event, in one transaction; with `only_from`, only if it is still in that
        state. -> whether it was done now."""
        ev = {"label": EventType.LABEL_PRINTED, "slip": EventType.SLIP_PRINTED}.get(job["kind"])
        with self._write() as (c, told):
            q = update(T).where(T.c.job_id == jid)
            if not c.execute((q.where(T.c.state == only_from) if only_from else q).values(
                    state="done", last_error=last_error, updated_at_ms=now_ms())).rowcount:
                return False
            c.execute(delete(schema.kv).where(schema.kv.c.key == CUTS_KEY + jid))
            if ev:
                self.events.append(ev, {"order_id": job["order_id"], "job_id": jid},
                                   operator_id=job["operator_id"], order_id=job["order_id"], conn=c)
            told.append(jid)
        return True


def _err(state: str, message: Msg) -> str:
    """The persisted `last_error`: the state and the message (Msg.to_dict(): id and parameters, no language)."""
    return json.dumps({"state": state, "message": message.to_dict()}, ensure_ascii=False)


def read_error(err: str | None) -> tuple[str | None, Msg | None]:
    """(error state, message) from a `last_error` column. Rows of the previous release ({"state", "en", "zh"})
    still read: their message is the English text (Msg.from_dict falls back to it)."""
    if not err:
        return None, None
    try:
        e = json.loads(err)
    except (ValueError, TypeError):
        return None, Msg(str(err))
    if not isinstance(e, dict):
        return None, Msg(str(err))
    state = e.get("state") if isinstance(e.get("state"), str) else None
    return state, Msg.from_dict(e["message"] if "message" in e else e)


def _job_dict(r: Mapping[str, Any], reprinted: bool) -> dict[str, Any]:
    """A job as callers see it: the row without its payload, plus size, reprinted, error_state, and "message"
    (an app.i18n Msg, or None: render it with .text(language)); last_error is the message in English (logs)."""
    d = {k: v for k, v in r.items() if k != "payload"}
    d["size"] = len(r["payload"] or b"")
    d["reprinted"] = reprinted
    d["error_state"], d["message"] = read_error(r["last_error"])
    d["last_error"] = d["message"].en if d["message"] else None
    return d


def _uri_option(uri: str, key: str, default: str) -> str:
    _, _, q = uri.partition("?")
    return parse_qs(q).get(key, [default])[-1]
