"""The chair's form to close a council vote: the reason is required."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.forms import BaseForm
from webapp.services.council_closing import MAX_COMMENT


class CloseVoteForm(BaseForm):
    """Close the vote under way; the open ballots count as absences."""

    comment = TextAreaField(
        _l("Reason for closing the vote"),
        validators=[DataRequired(), Length(max=MAX_COMMENT)],
        description=_l(
            "For example: a member is on long leave or has left the council. It is written in "
            "the dossier's history."
        ),
    )
