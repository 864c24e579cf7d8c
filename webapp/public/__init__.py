"""The public recognition pages (/vinh-danh): no login; the awardees the Office published, a page
per awardee and an Atom feed for the Department's portal. Nothing personal beyond name,
position and unit ever reaches these pages (services.recognition chooses the fields)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from webapp.public.citation import award_label, citation
from webapp.public.feed import atom_feed
from webapp.request_db import db_session
from webapp.services import recognition

bp = Blueprint("public", __name__)
bp.add_app_template_global(award_label, "award_label")
bp.add_app_template_global(citation, "citation")
# Five minutes: the portal polls the feed; a freshly published result shows soon enough.
MAX_AGE = 300


def _secret() -> str:
    return f"recognition:{current_app.config['SECRET_KEY']}"


def _cached(body: str | bytes, mimetype: str = "text/html") -> Response:
    """A response shared caches may keep for anonymous visitors (the navigation of a logged-in
    user must not be cached for others), answered 304 when the visitor's copy is current."""
    response = Response(body, mimetype=mimetype)
    if current_user.is_authenticated:
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Vary"] = "Cookie, Accept-Language"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/vinh-danh")
def index() -> ResponseReturnValue:
    """Every published awardee, newest first, with the movements to choose from."""
    session = db_session()
    awardees = recognition.published_awardees(session, _secret())
    movements = recognition.published_movements(session)
    page = render_template(
        "public/index.html", awardees=awardees, movements=movements, movement=None
    )
    return _cached(page)


@bp.get("/vinh-danh/<string:code>")
def movement(code: str) -> ResponseReturnValue:
    """The published awardees of one movement."""
    session = db_session()
    found = recognition.movement_named(session, code[:60])
    awardees = recognition.published_awardees(session, _secret(), movement_code=found.code)
    movements = recognition.published_movements(session)
    page = render_template(
        "public/index.html", awardees=awardees, movements=movements, movement=found
    )
    return _cached(page)


@bp.get("/vinh-danh/nguoi/<string:public_id>")
def awardee(public_id: str) -> ResponseReturnValue:
    """One published awardee: name, position, unit, award, decision and a short citation."""
    found = recognition.published_awardee(db_session(), public_id[:64], _secret())
    return _cached(render_template("public/awardee.html", awardee=found))


@bp.get("/vinh-danh/feed.atom")
def feed() -> ResponseReturnValue:
    """The published awardees as an Atom feed for the Department's portal."""
    awardees = recognition.published_awardees(db_session(), _secret())
    body = atom_feed(
        awardees,
        title=_("Commended collectives and individuals"),
        home_url=url_for("public.index", _external=True),
        self_url=url_for("public.feed", _external=True),
        entry_url=lambda a: url_for("public.awardee", public_id=a.public_id, _external=True),
    )
    return _cached(body, mimetype="application/atom+xml")
