"""Fault tests with real processes on loopback: a station SIGKILLed at >= 50 random points while appending
and syncing through a flaky proxy, the OMS (its own process) SIGKILLed and restarted 5 times on the way, and
two poison events in the log (a NaN payload an older release could write, and an event the OMS rejects);
at the end the OMS holds every other event exactly once, the poison is quarantined and the queue is empty."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
import requests
from conftest import ROOT

from sync.proxy import FaultProxy

STATION = r'''
import random, sys
from sqlalchemy import update
from app import schema
from app.config import Settings
from app.core import open_core
from sync.client import OmsClient, OmsError
from sync.outbox import queue_stats
from sync.service import SyncService

db, url, target, seed, token = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
s = Settings(); s.station.id = "ST-KILL"
from pathlib import Path
s.station.data_dir = str(Path(db).parent / "data")
core = open_core(s, db)
client = OmsClient(url, token=token, max_retries=2, backoff_base_s=0.01, backoff_cap_s=0.2, connect_timeout_s=0.3,
                   read_timeout_s=0.6, seed=seed)
svc = SyncService(core, s, client=client)
rnd = random.Random(seed)
print("ready", flush=True)

def poison(type_, **values):
    """A poison event, written in one transaction (a kill cannot leave a half-poisoned event)."""
    if core.events.events(types=[type_]):
        return
    with core.store.write() as c:
        ev = core.events.append(type_, {"order_id": "SO-1001"}, order_id="SO-1001", conn=c)
        c.execute(update(schema.events).where(schema.events.c.seq == ev.seq).values(**values))

while True:
    n = core.events.count()
    for i in range(min(rnd.randint(1, 25), target - n)):
        core.events.append("scan", {"n": n + i, "raw": "6900000000014"}, operator_id="OP-K1", order_id="SO-1001")
    n = core.events.count()
    if n >= target // 3 and n < target:  # what an older release could write: not JSON, never sendable
        poison("weight_recorded", payload='{"order_id":"SO-1001","grams":812,"expected_g":NaN}')
    if n >= 2 * target // 3 and n < target:  # the OMS rejects this one for good
        poison("carton_chosen", station_id="FORGED")
    s.oms.batch_size = rnd.choice([1, 7, 50, 200])
    try:
        svc.outbox_once()
    except OmsError:
        pass
    if core.events.count() >= target and queue_stats(core.store)[0] == 0:
        break
core.close()
print("done", flush=True)
'''

KILLS = 50
OMS_KILLS = 5
TARGET = 1500


class OmsProcess:
    """The reference OMS in its own process, on a fixed port so it can be killed and started again."""

    def __init__(self, db):
        import socket

        self.db = db
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            self.port = sk.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.p = None
        self.start()

    def start(self):
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.p = subprocess.Popen([sys.executable, "-m", "packstation", "oms-server", "--db", str(self.db), "--port",
                                   str(self.port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/api/v1/time", timeout=0.5)
                return
            except requests.RequestException:
                assert self.p.poll() is None, "the OMS process died at start"
                time.sleep(0.1)
        raise AssertionError("the OMS did not start")

    def issue_token(self, station_id: str) -> str:
        from sync.oms_server.app import issue_token, make_engine

        eng = make_engine(self.db)
        try:
            return issue_token(eng, station_id)
        finally:
            eng.dispose()

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait(10)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            self.p.wait(10)


@pytest.fixture
def oms(tmp_path):
    srv = OmsProcess(tmp_path / "oms.sqlite3")
    yield srv
    srv.stop()


def _spawn(db, url, seed, token):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", STATION, str(db), url, str(TARGET), str(seed), token], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_sigkill_and_flaky_network_lose_nothing_and_duplicate_nothing(tmp_path, oms):
    from sqlalchemy import select

    from app.store import open_store
    from sync.oms_server import models as m
    from sync.outbox import queue_stats

    db = tmp_path / "station.sqlite3"
    proxy = FaultProxy(oms.port, mode="flaky", seed=7, delay_s=0.3, retry_after_s=0).start()
    rnd = random.Random(1234)
    token = oms.issue_token("ST-KILL")
    kills = oms_kills = 0
    try:
        for i in range(KILLS):
            p = _spawn(db, proxy.url, i, token)
            try:
                line = p.stdout.readline()
                assert line.strip() == "ready", p.stderr.read()
                time.sleep(rnd.uniform(0.0, 0.35))
                if i % (KILLS // OMS_KILLS) == KILLS // OMS_KILLS // 2:
                    oms.kill()  # the OMS dies while the station is sending, and comes back
                    oms_kills += 1
                    time.sleep(rnd.uniform(0.0, 0.3))
                    oms.start()
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
                    kills += 1
            finally:
                p.wait(10)
        faults_seen = {k: v for k, v in proxy.counts.items() if k != "pass"}
        proxy.set_mode("pass")
        p = _spawn(db, proxy.url, 999, token)
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and "done" in out, err
    finally:
        proxy.stop()
    assert kills >= KILLS * 0.9 and oms_kills == OMS_KILLS
    assert len(faults_seen) >= 4, faults_seen  # the flaky proxy really dropped/reset/delayed/answered errors
    print("faults injected:", faults_seen)

    st = requests.get(oms.url + "/api/v1/_stats", headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
    store = open_store(db)
    try:
        assert queue_stats(store)[0] == 0  # drained
        from sync.quarantine import quarantined_events

        quarantined = {q["type"]: q for q in quarantined_events(store)}
        with store.read() as c:
            from app import schema

            local = list(c.execute(select(schema.events.c.id, schema.events.c.seq, schema.events.c.type)
                                   .order_by(schema.events.c.seq)))
    finally:
        store.close()
    assert [r.seq for r in local] == list(range(1, TARGET + 1))  # gap-free through every kill
    # the two poison events are quarantined with their reasons, and nothing else is
    assert set(quarantined) == {"weight_recorded", "carton_chosen"}, quarantined
    assert quarantined["weight_recorded"]["source"] == "station" and "NaN" in quarantined["weight_recorded"]["reason"]
    assert "station_id" in quarantined["carton_chosen"]["reason"]
    poison_ids = {q["id"] for q in quarantined.values()}
    good = sorted(r.id for r in local if r.id not in poison_ids)
    oms.stop()
    from sqlalchemy import create_engine

    eng = create_engine(f"sqlite:///{oms.db}")
    with eng.connect() as c:
        remote = list(c.execute(select(m.events.c.id, m.events.c.seq)))
    eng.dispose()
    assert sorted(r.id for r in remote) == good  # every other event, once: 0 lost, 0 duplicated
    assert st["events_unique"] == TARGET - 2 and st["per_station"]["ST-KILL"]["unique"] == TARGET - 2
    print("server stats:", st)
