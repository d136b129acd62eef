"""sync/ — the only code that talks to the OMS. Plain Python (threads + callbacks), no Qt.

- `resources/openapi.yaml`: the contract (OpenAPI 3.1, /api/v1), with the field mapping to Odoo,
  ERPNext, Shopify and ShipStation in its description. Regenerate with
  `python -m sync.oms_server.export_openapi`; tests/test_contract.py fails when server and file drift.
- `sync.oms_server`: reference OMS (FastAPI + uvicorn, own SQLite via SQLAlchemy). `serve_in_thread(db, port=0,
  seed="demo") -> handle(.url, .port, .stop())`; CLI `packstation oms-server --db PATH --port N [--seed demo]`.
- `sync.client.OmsClient`: requests Session, (connect, read) timeouts, TLS verify (optional CA bundle), bearer
  token from a 0600 file or keyring, retries with exponential backoff + full jitter honouring Retry-After, every
  reply validated (`MalformedReply`, `OmsUnavailable`, both `OmsError`).
- `sync.cache.PickListCache(store)`, `sync.cache.ProductCache(store)`, `sync.images.ImageCache(store, data_dir)`:
  readable offline, without a service.
- `sync.outbox.drain(client, store, station_id)`: the at-least-once sender (server de-dup => exactly-once).
- `sync.service.SyncService(core, settings)`: `start/stop/sync_now/health/add_listener/claim/check_shippable`,
  `.cache`, `.images`, `.products`. Listener kinds: health, picklists_changed, order_cancelled, claim_lost,
  events_rejected — called on a worker thread.
- `sync.proxy.FaultProxy(target_port, mode=...)`: loopback fault injection.

`check_shippable` records `order_intercepted` itself when it stops an order (callers must not append it again); an
order that ships comes with its pick list as the OMS has it now (`GET /picklists/{id}`; offline, the cached one), whose
address and carrier the label takes.
"""
