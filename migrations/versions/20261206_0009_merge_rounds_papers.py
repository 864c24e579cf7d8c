"""join the migrations of ballots, rules, registers, filters and documents

Revision ID: 0009
Revises: 0005_ballots, 0005_rules, 0006_registers, 0007_movement_filters,
    0008_documents
Create Date: 2026-12-06 07:35:00
"""

revision = "0009"
down_revision = (
    "0005_ballots",
    "0005_rules",
    "0006_registers",
    "0007_movement_filters",
    "0008_documents",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the six were written side by side from 0004."""


def downgrade() -> None:
    """Nothing to change."""
