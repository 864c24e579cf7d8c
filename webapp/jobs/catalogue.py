"""Which packages' periodic jobs the worker runs (beside timers and round intakes).

Services cannot import the edge, so their jobs are registered here, from the edge:

    registry.register("deliver_outbox", outbox.deliver_outbox)
    registry.register("daily_digest", digests.send_digests, every=timedelta(hours=1))
"""

from __future__ import annotations

from datetime import timedelta

from webapp import export_jobs, notification_jobs
from webapp.jobs import registry
from webapp.services import process_map_summary
from webapp.services.documents import step_papers


def register_jobs() -> None:
    """Register the periodic jobs of the application's packages (idempotent)."""
    # Notifications: the outbox on every pass (rows claimed under a lease), reminders and
    # overdue notices every few minutes, digests and the Office's summary once a day.
    registry.register("deliver_outbox", notification_jobs.deliver_outbox)
    registry.register(
        "deadline_notices", notification_jobs.deadline_notices, every=timedelta(minutes=5)
    )
    registry.register("daily_notices", notification_jobs.daily_notices, every=timedelta(hours=1))
    # The PDFs of the papers steps kept as DOCX (LibreOffice, a few per pass).
    registry.register("kept_paper_pdfs", step_papers.make_kept_pdfs)
    # The tracking list's workbooks too long to make while the user waits (and their expiry).
    registry.register("tracking_exports", export_jobs.build_exports)
    # The process map's median times: its summary of recent visits, rebuilt every few minutes.
    registry.register(
        "process_map_summary",
        process_map_summary.refresh,
        every=process_map_summary.REFRESH_EVERY,
    )
