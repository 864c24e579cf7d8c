"""Huey consumers: the one embedded in `make run`'s server, and `flask jobs-worker`'s."""

from __future__ import annotations

import logging

from flask import Flask
from huey.consumer import Consumer

from webapp.jobs import queue

log = logging.getLogger(__name__)


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer in threads of the web server's process: the server keeps its signals."""

    def _set_signal_handlers(self) -> None:
        pass


def start_embedded(app: Flask) -> EmbeddedConsumer:
    """Start the scheduler and one worker thread (a pass every minute, the first at once)."""
    consumer = EmbeddedConsumer(queue(app), workers=1, worker_type="thread", periodic=True)
    consumer.start()
    log.info("embedded job queue started (%s)", app.config["JOBS_URL"])
    return consumer


def stop_embedded(consumer: EmbeddedConsumer) -> None:
    """Stop taking tasks; a pass under way finishes (or, cut short, rolls back)."""
    consumer.stop(graceful=True)


def run_worker(app: Flask, workers: int = 1, periodic: bool = True) -> None:
    """Run a consumer in the foreground until SIGINT/SIGTERM (`flask jobs-worker`)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"
    )
    logging.getLogger("spiff").setLevel(logging.WARNING)  # a line per task state otherwise
    Consumer(queue(app), workers=workers, worker_type="thread", periodic=periodic).run()
