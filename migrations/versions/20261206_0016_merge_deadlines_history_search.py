"""join the migrations written side by side from 0009

Revision ID: 0016
Revises: 0010_calendar_exceptions, 0010_job_schedule, 0010_letterheads, 0011_version_templates,
    0012_event_chain, 0012_notifications, 0014_search_index, 0015_round_timers
Create Date: 2026-12-06 09:15:00
"""

revision = "0016"
down_revision = (
    "0010_calendar_exceptions",
    "0010_job_schedule",
    "0010_letterheads",
    "0011_version_templates",
    "0012_event_chain",
    "0012_notifications",
    "0014_search_index",
    "0015_round_timers",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the eight were written side by side from 0009."""


def downgrade() -> None:
    """Nothing to change."""
