"""Alembic environment for the station store (run programmatically from app.store.migrate)."""

from alembic import context

from app.schema import metadata
from app.store import migration_engine

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:  # the alembic command line: same one-transaction engine as the station
        engine = migration_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)  # app.store.migrate: already inside its BEGIN IMMEDIATE transaction


def _run(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
    # transactional_ddl: SQLite's DDL is transactional; the whole upgrade commits or nothing does.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
