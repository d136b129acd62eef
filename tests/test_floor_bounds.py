"""What a long shift must not pile up (the soak's findings, scripts/soak.py --trace): orders worked through the
station controller leave no per-order state behind, and the queue, re-read after every finished order and on
every OMS poll, does not parse an unchanged pick list again. Counts, not timings."""

from __future__ import annotations

import pytest
from floor_kit import Floor, simple_order

from app.workflow import Step
from floor import Screen

N_ORDERS = 12


@pytest.fixture
def floor(settings):
    f = Floor(settings, [simple_order(2000 + i, (1,)) for i in range(N_ORDERS)])
    yield f
    f.close()


def counting_parses(cache) -> list[str]:
    """Every pick list the cache parses from its stored document (the real parser, counted)."""
    seen: list[str] = []
    real = cache._parse

    def parse(doc):
        seen.append(doc)
        return real(doc)

    cache._parse = parse
    return seen


def test_orders_through_the_controller_leave_no_state_behind(floor):
    floor.login()
    floor.ctl.key("Enter")
    listeners = len(floor.ctl._listeners)
    done = 0
    for i in range(N_ORDERS - 2):  # two stay in the queue
        floor.ctl.scan(f"SO-{2000 + i}")
        floor.to_step(Step.LABEL)
        floor.ctl.scan("@@PRINT")
        assert floor.ctl.screen == Screen.QUEUE and floor.ctl.session is None
        done += 1
    assert done == N_ORDERS - 2
    assert floor.station.sessions == {}  # no finished order kept open
    assert floor.ctl._jobs == {}  # print jobs forgotten once their label came out
    assert len(floor.ctl._listeners) == listeners  # nobody subscribes per order
    assert [p.id for p in floor.ctl.queue_items()] == [f"SO-{2000 + i}" for i in range(N_ORDERS - 2, N_ORDERS)]
    # the queue's parse memo holds exactly the open pick lists, not every list the shift has seen
    assert sorted(floor.cache._parsed) == [f"SO-{2000 + i}" for i in range(N_ORDERS - 2, N_ORDERS)]


def test_an_unchanged_queue_is_not_parsed_again(floor):
    parsed = counting_parses(floor.cache)
    first = floor.cache.open_picklists()
    assert len(first) == N_ORDERS and len(parsed) == N_ORDERS
    parsed.clear()
    again = floor.cache.open_picklists()
    assert parsed == [] and [p.id for p in again] == [p.id for p in first]
    assert all(a is b for a, b in zip(again, first, strict=True))
    # one order changes (claimed by this station: its stored document is rewritten): only it is parsed again
    floor.cache.set_status("SO-2003", "claimed", claimed_by=floor.settings.station.id)
    third = floor.cache.open_picklists()
    assert len(parsed) == 1 and '"SO-2003"' in parsed[0]
    assert next(p for p in third if p.id == "SO-2003").status == "claimed"
    # one order leaves the open set: it leaves the memo too
    floor.cache.set_status("SO-2004", "done")
    assert [p.id for p in floor.cache.open_picklists()] == [p.id for p in first if p.id != "SO-2004"]
    assert "SO-2004" not in floor.cache._parsed and len(parsed) == 1


def test_the_outbox_sends_every_drain_on_one_kept_thread(store):
    """A station drains after nearly every scan: the HTTP sender is one thread kept by the caller, not a new
    thread per drain."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from test_sync_client import Scripted

    from app.events import EventLog
    from sync.client import OmsClient
    from sync.outbox import drain, queue_stats

    srv = Scripted([])
    log = EventLog(store, "S1")
    client = OmsClient(srv.url, max_retries=0)
    senders: set[str] = set()
    real = client.send_batch

    def send_batch(*a, **kw):
        senders.add(threading.current_thread().name)
        return real(*a, **kw)

    client.send_batch = send_batch
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kept-sender")
    try:
        for i in range(4):
            ev = log.append("scan", {"i": i})
            srv.script.append((200, {}, {"results": [{"id": ev.id, "status": "accepted"}],
                                         "server_time_ms": 10**12 * 2}))
            assert drain(client, store, "S1", batch_size=10, pool=pool).sent == 1
        assert queue_stats(store)[0] == 0
        assert senders == {"kept-sender_0"}
    finally:
        pool.shutdown()
        client.close()
        srv.close()
