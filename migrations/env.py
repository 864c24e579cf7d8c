"""Alembic environment: migrations run on the app's connection (or the configured URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import webapp.models  # noqa: F401 - registers every table on the metadata
from webapp.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run against the connection handed over by webapp.cli, or connect to sqlalchemy.url."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
