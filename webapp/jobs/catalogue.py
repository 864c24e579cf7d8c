"""Which packages' periodic jobs the worker runs (beside timers and round intakes).

Services cannot import the edge, so their jobs are registered here, from the edge:

    registry.register("deliver_outbox", outbox.deliver_outbox)
    registry.register("daily_digest", digests.send_digests, every=timedelta(hours=1))
"""

from __future__ import annotations

from webapp.jobs import registry  # noqa: F401 - the registrations below use it


def register_jobs() -> None:
    """Register the periodic jobs of the application's packages (idempotent)."""
