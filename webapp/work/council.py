"""The council's session pages, on a dossier or on a round's whole list: the secretary records
the meeting and who is present; the secretary and the chair follow who has voted (never what
anyone chose); a member casts their ballot on a round."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import BooleanField, DateField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional

from webapp.dossier_view import AWARD_FORM_LABELS
from webapp.field_messages import refusal_message
from webapp.forms import BaseForm
from webapp.request_db import db_session
from webapp.services import council_session
from webapp.services.errors import ConflictError, InvalidDataError, PermissionDeniedError
from webapp.services.rounds import round_council
from webapp.web_edge import page_actor
from webapp.work.views import bp


class MeetingForm(BaseForm):
    """The meeting: when, where (or online), and the members present."""

    meeting_date = DateField(_l("Meeting date"), validators=[DataRequired()])
    place = StringField(
        _l("Place"),
        validators=[Optional(), Length(max=council_session.MAX_PLACE)],
        description=_l("The meeting room, or leave empty for an online meeting."),
    )
    online = BooleanField(_l("Online meeting"))
    present = SelectMultipleField(
        _l("Members present"),
        choices=[],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        description=_l(
            "Members not ticked are absent: they send a written opinion on their ballot, "
            "which counts in the tally."
        ),
    )


def _refusal(exc: InvalidDataError) -> str:
    if exc.code == "paper_failed":
        return refusal_message(exc)
    if "place" in exc.fields:
        return _("Say where the council meets, or tick “Online meeting”.")
    if "present" in exc.fields:
        return _("Only the council's members can be recorded as present.")
    return _("The meeting date is not a valid date.")


@bp.get("/council")
@login_required
def council_votes() -> ResponseReturnValue:
    """The council votes under way that the secretary (or the chair) follows."""
    session, actor = db_session(), page_actor()
    votes = council_session.votes_under_way(session, actor)
    round_votes = round_council.votes_under_way(session, actor)
    return render_template("work/council_votes.html", votes=votes, round_votes=round_votes)


@bp.route("/council/<int:dossier_id>", methods=["GET", "POST"])
@login_required
def council_page(dossier_id: int) -> ResponseReturnValue:
    """The council's session on one dossier."""
    session, actor = db_session(), page_actor()
    view = council_session.session_view(session, actor, dossier_id)
    return _meeting_page(
        view,
        lambda **meeting: council_session.record_meeting(session, actor, dossier_id, **meeting),
        no_vote=_("No vote is under way on this dossier."),
        done_url=url_for("work.council_page", dossier_id=dossier_id),
        template="work/council_session.html",
    )


def _meeting_page(
    view: Any,
    record: Callable[..., Any],
    *,
    no_vote: str,
    done_url: str,
    template: str,
    **context: Any,
) -> ResponseReturnValue:
    """A council session's page (a dossier's or a round's): the secretary records the meeting
    and the attendance with `record`; everyone allowed follows who has voted."""
    session = db_session()
    council = view.council
    form = MeetingForm(request.form if request.method == "POST" else None)
    form.present.choices = list(view.members)
    status = 200
    if request.method == "POST" and not view.can_record:
        raise PermissionDeniedError("only the council's secretary records its session")
    if request.method == "POST":
        if form.validate():
            try:
                record(
                    meeting_date=form.meeting_date.data,
                    place=form.place.data,
                    online=form.online.data,
                    present=list(form.present.data or []),
                )
            except ConflictError:
                session.rollback()
                flash(no_vote, "danger")
                status = 409
            except InvalidDataError as exc:
                session.rollback()
                flash(_refusal(exc), "danger")
                status = 422
            else:
                session.commit()
                flash(_("The meeting and the attendance are recorded."), "success")
                return redirect(done_url)
        else:
            status = 422
    elif council is not None and council.meeting_date is not None:
        form.meeting_date.data = council.meeting_date
        form.place.data = council.place
        form.online.data = council.online
        form.present.data = [
            m for m, state in (council.attendance or {}).items() if state == "present"
        ]
    return render_template(template, view=view, council=council, form=form, **context), status


# --- a round's council: one session and one ballot per member on the round's whole list


@bp.route("/council/rounds/<int:round_id>", methods=["GET", "POST"])
@login_required
def round_council_page(round_id: int) -> ResponseReturnValue:
    """The council's session on a round: the secretary records the meeting and attendance;
    the secretary and the chair follow who has voted (never what anyone chose)."""
    session, actor = db_session(), page_actor()
    view = round_council.session_view(session, actor, round_id)
    return _meeting_page(
        view,
        lambda **meeting: round_council.record_meeting(session, actor, round_id, **meeting),
        no_vote=_("No vote is under way on this round."),
        done_url=url_for("work.round_council_page", round_id=round_id),
        template="work/council_round_session.html",
        items=round_council.list_items(session, round_id),
        form_labels=AWARD_FORM_LABELS,
    )


@bp.route("/council/rounds/<int:round_id>/ballot", methods=["GET", "POST"])
@login_required
def round_ballot(round_id: int) -> ResponseReturnValue:
    """A council member's ballot on the round's whole list: agree or disagree per nominee."""
    session = db_session()
    actor = page_actor()
    ballot = round_council.ballot_for(session, actor, round_id)
    form = BaseForm(request.form if request.method == "POST" else None)
    keys = [str(i.nominee_id) for items in ballot.lists.values() for i in items]
    chosen = {k: request.form.get(f"vote-{k}") for k in keys} if request.method == "POST" else {}
    missing: set[str] = set()
    status = 200
    if request.method == "POST":
        if not form.validate():
            flash(_("The form expired. Please submit it again."), "danger")
            status = 422
        else:
            comment = (request.form.get("comment") or "").strip() or None
            try:
                round_council.cast_ballot(
                    session,
                    actor,
                    round_id,
                    {"votes": {k: v for k, v in chosen.items() if v}, "comment": comment},
                )
            except InvalidDataError as exc:
                session.rollback()
                missing = {
                    name.split(".", 1)[1] for name in exc.fields if name.startswith("votes.")
                } or {k for k, v in chosen.items() if not v}
                flash(_("Give your opinion on every nominee of every list."), "danger")
                status = 422
            else:
                session.commit()
                flash(_("Your ballot is cast."), "success")
                return redirect(url_for("work.inbox"))
    return render_template(
        "work/council_round_ballot.html",
        ballot=ballot,
        form=form,
        chosen=chosen,
        missing=missing,
        form_labels=AWARD_FORM_LABELS,
    ), status
