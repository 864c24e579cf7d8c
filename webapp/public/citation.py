"""The short citation printed under an awardee: the words of an award decision, from public
facts only (the award form and the movement), never from the unit's achievement report."""

from __future__ import annotations

from flask_babel import gettext as _

from webapp.dossier_view import AWARD_FORM_LABELS
from webapp.services.recognition import PublicAwardee


def award_label(awardee: PublicAwardee) -> str:
    """The award form's name."""
    return str(AWARD_FORM_LABELS.get(awardee.award_form, awardee.award_form))


def citation(awardee: PublicAwardee) -> str:
    """One sentence: what the award recognises."""
    if awardee.movement_name:
        return _(
            "Awarded the %(award)s for outstanding achievements in the emulation movement "
            "“%(movement)s”.",
            award=award_label(awardee),
            movement=awardee.movement_name,
        )
    return _(
        "Awarded the %(award)s for outstanding achievements in their work.",
        award=award_label(awardee),
    )
