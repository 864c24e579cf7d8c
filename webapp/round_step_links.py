"""Where a round's open step is done: its form on the round's page."""

from __future__ import annotations

from flask import url_for

from webapp.services.round_inbox import RoundStepRow

# The round page's form for each step of the shipped round diagram.
ANCHORS = {"compile_lists": "round-actions", "council_session": "conclusion-form"}


def round_step_url(row: RoundStepRow) -> str:
    """The round page, at the step's form (a signature: its award form's form)."""
    if row.role == "council_member":  # a member's ballot on the round's whole list
        return url_for("work.round_ballot", round_id=row.round_id)
    if row.step == "sign_submissions" and row.award_form:
        anchor = f"sign-{row.award_form}"
    else:
        anchor = ANCHORS.get(row.step, "round-actions")
    return url_for("rounds.show", round_id=row.round_id, _anchor=anchor)
