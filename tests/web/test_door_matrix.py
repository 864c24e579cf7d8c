"""Every door of the application, opened by every kind of caller: the exact answer each gets.

The table DOORS names, for every route of Flask's URL map and every method but HEAD/OPTIONS,
the status each demo account and an anonymous visitor must get. A route missing from the table
fails (a new route cannot be added without deciding who may open it), and so does an entry whose
route no longer exists. Path parameters are real objects: a Bắc Ninh dossier started through the
API by canbo_ns and brought to its council vote, its work items, a file, the shipped version and
a draft, a user, a unit, a role, a form and a rule table. Nobody outside Bắc Ninh's reach
(vanphong_hn, and canbo_dn of the sibling division) learns that these objects exist: 404.

Pages are opened with a session login, the API with bearer tokens. State-changing page requests
are sent WITHOUT their CSRF token: the right person meets the CSRF refusal, anyone else is
refused before that or at the same point, nothing changes. API POSTs send the smallest body
(`{}`; `{"data": {}}` for complete): the right person gets the validation refusal. The few
authorised requests that do change something (claim, release, revoke a token) are undone or use
a throw-away token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import ApiClient, _empty_tables, actor_named
from tests.web.council import at_vote
from tests.web.diagrams import SHIPPED_BPMN
from tests.web.pages import login
from webapp.models import Dossier, OrgUnit, RoleAssignment, User
from webapp.request_db import database
from webapp.services.attachments import Upload, store_attachments

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
KEY = "award_nomination"

# Callers: at least one account per role, the sibling division's officer and the other
# department's office (both outside the dossier's reach), and an anonymous visitor (None).
ACCOUNTS = [
    "admin",
    "canbo_ns",
    "truongphong_ns",
    "canbo_dn",
    "vanphong",
    "giamdoc",
    "hoidong1",
    "hoidong2",
    "chuyenvien_bo",
    "botruong",
    "vanphong_hn",
]
CALLERS: list[str | None] = [*ACCOUNTS, None]
# Who sees the Bắc Ninh dossier (its unit is Phòng Quản lý ngân sách): the administrator, the
# division's people, the department's office, council and director, the Ministry above them.
HIDDEN = {"canbo_dn", "vanphong_hn"}
VISIBLE = set(ACCOUNTS) - HIDDEN
OFFICERS = {"canbo_ns", "canbo_dn"}
# The anonymous answer of a page behind the login: a redirect to the login page.
LOGIN = "login"

Expectation = dict[str | None, int | str]


# --- compact defaults ------------------------------------------------------------------------


def page_for_all(status: int = 200) -> Expectation:
    """A page every logged-in user opens; anonymous visitors are sent to log in."""
    return {**dict.fromkeys(ACCOUNTS, status), None: LOGIN}


def public(status: int = 200) -> Expectation:
    """Open to everyone, anonymous included."""
    return dict.fromkeys(CALLERS, status)


def admin_page(status: int = 200) -> Expectation:
    """An administration page: `status` for the administrator, 403 for others, login for
    anonymous visitors."""
    return {**dict.fromkeys(ACCOUNTS, 403), "admin": status, None: LOGIN}


def dossier_page(status: int = 200, **overrides: int) -> Expectation:
    """A page about the Bắc Ninh dossier: `status` where it is visible, 404 elsewhere."""
    expected: Expectation = {a: (status if a in VISIBLE else 404) for a in ACCOUNTS}
    expected[None] = LOGIN
    expected.update(overrides)
    return expected


def api_for_all(status: int = 200) -> Expectation:
    """An API call every token holder may make; 401 without a token."""
    return {**dict.fromkeys(ACCOUNTS, status), None: 401}


def api_admin(status: int) -> Expectation:
    """An administrators' API call: `status` for the administrator, 403 for others."""
    return {**dict.fromkeys(ACCOUNTS, 403), "admin": status, None: 401}


def api_dossier(status: int = 200, wrong_role: int = 403, **right: int) -> Expectation:
    """An API call on the Bắc Ninh dossier or its items: 404 outside its reach, `wrong_role` for
    those who see it without the right role, the `right` accounts' own statuses, 401 without a
    token. With no `right` account given, everyone who sees it gets `status`."""
    expected: Expectation = {}
    for account in ACCOUNTS:
        if account in HIDDEN:
            expected[account] = 404
        elif right:
            expected[account] = right.get(account, wrong_role)
        else:
            expected[account] = status
    expected[None] = 401
    return expected


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Door:
    """How to knock on a route and what each caller must get."""

    expect: Expectation
    # URL values (path parameters and query arguments) from the fixtures' objects.
    values: Callable[[World], dict[str, Any]] = lambda w: {}
    api: bool = False
    json: Any = None
    # Undo an authorised request that changed something: (account, world, api).
    undo: Callable[[str, World, ApiClient], None] | None = None


def _version(number: Callable[[World], int], **extra: Any) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"key": KEY, "number": number(w), **extra}


def _release_again(account: str, w: World, api: ApiClient) -> None:
    response = api.post(f"/api/v1/work-items/{w.ballot}/release", account)
    assert response.status_code == 200, response.json


def _claim_again(account: str, w: World, api: ApiClient) -> None:
    response = api.post(f"/api/v1/work-items/{w.claimed_ballot}/claim", account)
    assert response.status_code == 200, response.json


def _draft(w: World) -> int:
    return w.draft


def _shipped(w: World) -> int:
    return 1


_ROUNDS: dict[int, int] = {}


def _round(w: World) -> int:
    """A round of Bắc Ninh opened by its Office (once per world)."""
    if id(w) not in _ROUNDS:
        from datetime import timedelta

        from webapp.db import utcnow
        from webapp.services.rounds import lifecycle, movements

        assert w.api is not None
        with database(w.api.client.application).transaction() as session:
            office = actor_named(session, "vanphong")
            movement = movements.create_movement(
                session, office, {"code": f"DOOR-{id(w)}", "name": "Phong trào"}
            )
            deadline = (utcnow() + timedelta(days=3)).isoformat()
            opened = lifecycle.open_round(
                session,
                office,
                {
                    "name": "Tổng kết",
                    "movement_id": movement.id,
                    "kind": "tong_ket",
                    "award_forms": ["bk_btc"],
                    "intake_deadline": deadline,
                },
            )
            _ROUNDS[id(w)] = opened.id
    return _ROUNDS[id(w)]


def _ministry_round(w: World) -> int:
    """A Ministry round opened by the Ministry officer (once per world)."""
    key = -id(w)
    if key not in _ROUNDS:
        from webapp.services.rounds import ministry, movements

        assert w.api is not None
        with database(w.api.client.application).transaction() as session:
            officer = actor_named(session, "chuyenvien_bo")
            movement = movements.create_movement(
                session,
                actor_named(session, "vanphong"),
                {"code": f"DOOR-BO-{id(w)}", "name": "Phong trào"},
            )
            payload = {"name": "Đợt xét của Bộ", "movement_id": movement.id}
            opened = ministry.open_ministry_round(
                session, officer, {**payload, "intake_deadline": "2030-12-31"}
            )
            _ROUNDS[key] = opened.id
    return _ROUNDS[key]


def _closed_round(w: World) -> int:
    """A round of Bắc Ninh whose intake its Office has closed already (once per world)."""
    key = id(w) + 1
    if key not in _ROUNDS:
        from datetime import timedelta

        from webapp.db import utcnow
        from webapp.services.rounds import lifecycle, movements, steps

        assert w.api is not None
        with database(w.api.client.application).transaction() as session:
            office = actor_named(session, "vanphong")
            movement = movements.create_movement(
                session, office, {"code": f"DOOR-CLOSED-{id(w)}", "name": "Phong trào"}
            )
            deadline = (utcnow() + timedelta(days=3)).isoformat()
            opened = lifecycle.open_round(
                session,
                office,
                {
                    "name": "Sơ kết",
                    "movement_id": movement.id,
                    "kind": "so_ket",
                    "award_forms": ["bk_btc"],
                    "intake_deadline": deadline,
                },
            )
            steps.close_intake(session, office, opened.id)
            _ROUNDS[key] = opened.id
    return _ROUNDS[key]


def _round_movement(w: World) -> int:
    """The movement of the Bắc Ninh round."""
    from webapp.models import Round

    assert w.api is not None
    with database(w.api.client.application).transaction(write=False) as session:
        return session.get_one(Round, _round(w)).movement_id


# The API's round doors: the round of Bắc Ninh is read by whoever sees it (404 for Hà Nội).
API_ROUND: Expectation = {**dict.fromkeys(ACCOUNTS, 200), "vanphong_hn": 404, None: 401}
# The Office of either department and the administrator meet the validation refusal.
API_OFFICE: Expectation = {
    **dict.fromkeys(ACCOUNTS, 403),
    "admin": 422,
    "vanphong": 422,
    "vanphong_hn": 422,
    None: 401,
}


# The Office's report pages: the Office (either department's) and the administrator.
OFFICE_PAGE: Expectation = {
    **dict.fromkeys(ACCOUNTS, 403),
    "admin": 200,
    "vanphong": 200,
    "vanphong_hn": 200,
    None: LOGIN,
}

# The CSRF refusal differs with the kind of form: a bare button aborts with the 400 page; a form
# with fields is sent back with its messages (422); the people buttons redirect with a warning
# (302); the modeler's JSON calls answer 400 JSON.
DOORS: dict[tuple[str, str], Door] = {
    # --- login, language, health, static files
    ("auth.login", "GET"): Door({**dict.fromkeys(ACCOUNTS, 302), None: 200}),
    # No CSRF token: the form is refused (401 with the form again); logged-in users go home.
    ("auth.login", "POST"): Door({**dict.fromkeys(ACCOUNTS, 302), None: 401}),
    # Without the token the user stays logged in and lands on the login page, which sends them
    # home; the matrix goes on with the same session, which proves the logout did not happen.
    ("auth.logout", "POST"): Door(page_for_all(302)),
    ("auth.switch_language", "GET"): Door(public(302), lambda w: {"code": "vi"}),
    ("health.healthz", "GET"): Door(public(200)),
    ("health.readyz", "GET"): Door(public(200)),
    ("lookup.status_page", "GET"): Door(public(404), lambda w: {"ma": "KHONG-CO"}),
    ("public.index", "GET"): Door(public(200)),
    ("public.movement", "GET"): Door(public(404), lambda w: {"code": "KHONG-CO"}),
    ("public.awardee", "GET"): Door(public(404), lambda w: {"public_id": "khong-co"}),
    ("public.feed", "GET"): Door(public(200)),
    # --- the Office's reports: the Office (either department's) and the administrator
    ("reports.award_history_search", "GET"): Door(OFFICE_PAGE),
    ("reports.movement_report_page", "GET"): Door(OFFICE_PAGE),
    ("reports.movement_report_xlsx", "GET"): Door(OFFICE_PAGE),
    ("static", "GET"): Door(public(200), lambda w: {"filename": "app.css"}),
    ("vendor.asset", "GET"): Door(
        public(200), lambda w: {"filename": "bootstrap/dist/css/bootstrap.min.css"}
    ),
    # --- work
    ("work.home", "GET"): Door(page_for_all(302)),
    ("work.inbox", "GET"): Door(page_for_all(200)),
    # hoidong1's own ballot: only they may open its form; others who see the dossier get 403.
    ("work.item", "GET"): Door(dossier_page(403, hoidong1=200), lambda w: {"item_id": w.ballot}),
    ("work.item", "POST"): Door(dossier_page(403, hoidong1=422), lambda w: {"item_id": w.ballot}),
    # A bare button: the CSRF check comes first, for everyone (it reveals nothing).
    ("work.claim", "POST"): Door(page_for_all(400), lambda w: {"item_id": w.ballot}),
    ("numbers.take_submission_number", "POST"): Door(
        page_for_all(400), lambda w: {"item_id": w.ballot}
    ),
    ("work.release", "POST"): Door(page_for_all(400), lambda w: {"item_id": w.claimed_ballot}),
    ("work.council_votes", "GET"): Door(page_for_all(200)),
    ("work.council_page", "GET"): Door(
        dossier_page(403, admin=200, giamdoc=200, vanphong=200),
        lambda w: {"dossier_id": w.dossier},
    ),
    ("work.council_page", "POST"): Door(
        dossier_page(403, admin=422, vanphong=422), lambda w: {"dossier_id": w.dossier}
    ),
    # The round's council: the secretary and the chair open its session (the secretary alone
    # records it); a ballot is a member's only while the council votes (this round takes
    # proposals): nobody has one yet.
    ("work.round_council_page", "GET"): Door(
        {**page_for_all(403), "admin": 200, "vanphong": 200, "giamdoc": 200, "vanphong_hn": 404},
        lambda w: {"round_id": _round(w)},
    ),
    ("work.round_council_page", "POST"): Door(
        {**page_for_all(403), "admin": 422, "vanphong": 422, "vanphong_hn": 404},
        lambda w: {"round_id": _round(w)},
    ),
    ("work.round_ballot", "GET"): Door(
        {**page_for_all(403), "vanphong_hn": 404}, lambda w: {"round_id": _round(w)}
    ),
    ("work.round_ballot", "POST"): Door(
        {**page_for_all(403), "vanphong_hn": 404}, lambda w: {"round_id": _round(w)}
    ),
    # --- dossiers
    ("dossiers.tracking", "GET"): Door(page_for_all(200)),
    ("dossiers.tracking_csv", "GET"): Door(page_for_all(200)),
    ("dossiers.tracking_xlsx", "GET"): Door(page_for_all(200)),
    # Workbooks prepared by the job queue: each user's own; the POST meets the CSRF refusal,
    # and a file nobody of them asked for is not found.
    ("dossiers.new_export", "GET"): Door(page_for_all(200)),
    ("dossiers.request_export", "POST"): Door(page_for_all(400)),
    ("dossiers.exports", "GET"): Door(page_for_all(200)),
    ("dossiers.export_file", "GET"): Door(page_for_all(404), lambda w: {"export_id": 1}),
    ("dossiers.show", "GET"): Door(dossier_page(200), lambda w: {"dossier_id": w.dossier}),
    ("dossiers.diagram", "GET"): Door(dossier_page(200), lambda w: {"dossier_id": w.dossier}),
    ("dossiers.package", "GET"): Door(
        dossier_page(403, admin=200, vanphong=200, giamdoc=200, chuyenvien_bo=200),
        lambda w: {"dossier_id": w.dossier},
    ),
    ("dossiers.attachment", "GET"): Door(
        dossier_page(200), lambda w: {"attachment_id": w.attachment}
    ),
    # The chair's form without its token: the dossier page again with the refusal (422), to
    # whoever may see the dossier; the service (chair only) is never reached.
    ("dossiers.close_vote", "POST"): Door(dossier_page(422), lambda w: {"dossier_id": w.dossier}),
    ("dossiers.new", "GET"): Door(
        {**dict.fromkeys(ACCOUNTS, 403), **dict.fromkeys(OFFICERS, 200), None: LOGIN}
    ),
    ("dossiers.new", "POST"): Door(
        {**dict.fromkeys(ACCOUNTS, 403), **dict.fromkeys(OFFICERS, 422), None: LOGIN}
    ),
    # --- process map
    ("process_map.show", "GET"): Door(page_for_all(200)),
    ("process_map.data", "GET"): Door(page_for_all(200)),
    ("process_map.diagram", "GET"): Door(page_for_all(200)),
    ("process_map.dossiers", "GET"): Door(page_for_all(200), lambda w: {"step": "council_vote"}),
    # --- rounds: movements and rounds are listed to everyone; the Office (and the administrator)
    # creates them, so a POST without its token is 422 for them and 403 for anyone else. A
    # round of Bắc Ninh is seen by its department, the units below and the Ministry above; its
    # buttons without their token send the round's page back (422) to whoever sees it.
    ("rounds.movement_list", "GET"): Door(page_for_all(200)),
    ("rounds.movement_list", "POST"): Door(
        {
            **dict.fromkeys(ACCOUNTS, 403),
            "admin": 422,
            "vanphong": 422,
            "vanphong_hn": 422,
            None: LOGIN,
        }
    ),
    ("rounds.round_list", "GET"): Door(page_for_all(200)),
    ("rounds.round_list", "POST"): Door(
        {
            **dict.fromkeys(ACCOUNTS, 403),
            "admin": 422,
            "vanphong": 422,
            "vanphong_hn": 422,
            None: LOGIN,
        }
    ),
    ("rounds.show", "GET"): Door(
        {**page_for_all(200), "vanphong_hn": 404}, lambda w: {"round_id": _round(w)}
    ),
    ("rounds.diagram", "GET"): Door(
        {**page_for_all(200), "vanphong_hn": 404}, lambda w: {"round_id": _round(w)}
    ),
    ("rounds.close", "POST"): Door(
        {**page_for_all(422), "vanphong_hn": 404}, lambda w: {"round_id": _round(w)}
    ),
    ("rounds.compile_lists", "POST"): Door(
        {**page_for_all(422), "vanphong_hn": 404}, lambda w: {"round_id": _round(w)}
    ),
    ("rounds.conclusion", "POST"): Door(
        {**page_for_all(422), "vanphong_hn": 404}, lambda w: {"round_id": _round(w)}
    ),
    ("rounds.decide", "POST"): Door(
        {**page_for_all(422), "vanphong_hn": 404},
        lambda w: {"round_id": _round(w), "award_form": "bk_btc"},
    ),
    ("rounds.move_late", "POST"): Door(
        {**page_for_all(422), "vanphong_hn": 404},
        lambda w: {"round_id": _round(w), "dossier_id": w.dossier},
    ),
    ("rounds.sign", "POST"): Door(
        {**page_for_all(422), "vanphong_hn": 404},
        lambda w: {"round_id": _round(w), "award_form": "bk_btc"},
    ),
    ("rounds.resubmit", "POST"): Door(
        {**page_for_all(422), "vanphong_hn": 404}, lambda w: {"round_id": _round(w)}
    ),
    # A Ministry round is seen by everyone below the Ministry; its officer opens one.
    ("rounds.ministry_round_list", "GET"): Door(page_for_all(200)),
    ("rounds.ministry_round_list", "POST"): Door(
        {**dict.fromkeys(ACCOUNTS, 403), "admin": 422, "chuyenvien_bo": 422, None: LOGIN}
    ),
    ("rounds.ministry_round_show", "GET"): Door(
        page_for_all(200), lambda w: {"round_id": _ministry_round(w)}
    ),
    ("rounds.ministry_return", "POST"): Door(
        page_for_all(422),
        lambda w: {"round_id": _ministry_round(w), "department_round_id": _round(w)},
    ),
    ("rounds.ministry_close", "POST"): Door(
        page_for_all(422), lambda w: {"round_id": _ministry_round(w)}
    ),
    ("rounds.ministry_council", "POST"): Door(
        page_for_all(422), lambda w: {"round_id": _ministry_round(w)}
    ),
    ("rounds.ministry_decision", "POST"): Door(
        page_for_all(422), lambda w: {"round_id": _ministry_round(w)}
    ),
    # A paper of a round without compiled lists cannot be made yet: its page says so (422).
    ("rounds.paper", "GET"): Door(
        {**page_for_all(422), "vanphong_hn": 404},
        lambda w: {"round_id": _round(w), "kind": "minutes", "file_format": "docx"},
    ),
    ("rounds.keep", "POST"): Door(
        {**page_for_all(422), "vanphong_hn": 404},
        lambda w: {"round_id": _round(w), "kind": "minutes"},
    ),
    ("rounds.kept_file", "GET"): Door(
        page_for_all(404), lambda w: {"round_id": _round(w), "document_id": 999999}
    ),
    # The electronic dossier for the level above: the Office, the Director, the Ministry above.
    ("rounds.package", "GET"): Door(
        {
            **page_for_all(403),
            **dict.fromkeys(("admin", "vanphong", "giamdoc", "chuyenvien_bo"), 200),
            "vanphong_hn": 404,
        },
        lambda w: {"round_id": _round(w)},
    ),
    # --- administration: the home page listing the sections
    ("admin.home", "GET"): Door(admin_page(200)),
    # --- administration: processes
    ("admin.catalogue", "GET"): Door(admin_page(200)),
    ("admin.compare", "GET"): Door(admin_page(200), lambda w: {"key": KEY}),
    ("admin.compare_data", "GET"): Door(
        admin_page(200), lambda w: {"key": KEY, "a": 1, "b": w.draft}
    ),
    ("admin.moves", "GET"): Door(admin_page(200), lambda w: {"key": KEY}),
    ("admin.moves", "POST"): Door(admin_page(400), lambda w: {"key": KEY}),
    ("admin.move_undo", "POST"): Door(admin_page(400), lambda w: {"key": KEY, "batch": w.batch}),
    ("admin.version", "GET"): Door(admin_page(200), _version(_shipped)),
    ("admin.download_bpmn", "GET"): Door(admin_page(200), _version(_shipped)),
    ("admin.version_try", "GET"): Door(admin_page(200), _version(_draft)),
    ("admin.version_replay", "GET"): Door(admin_page(200), _version(_draft)),
    ("admin.version_copy", "POST"): Door(admin_page(400), _version(_shipped)),
    ("admin.version_deploy", "POST"): Door(admin_page(400), _version(_draft)),
    ("admin.version_delete", "POST"): Door(admin_page(400), _version(_draft)),
    ("admin.forms", "GET"): Door(admin_page(200), _version(_draft)),
    ("admin.forms", "POST"): Door(admin_page(400), _version(_draft)),
    ("admin.form_edit", "GET"): Door(admin_page(200), _version(_draft, name="check_dossier.json")),
    ("admin.form_edit", "POST"): Door(admin_page(400), _version(_draft, name="check_dossier.json")),
    ("admin.form_preview", "POST"): Door(
        admin_page(400), _version(_draft, name="check_dossier.json")
    ),
    ("admin.modeler", "GET"): Door(admin_page(200), _version(_draft)),
    ("admin.modeler_save", "POST"): Door(admin_page(400), _version(_draft)),
    ("admin.modeler_deploy", "POST"): Door(admin_page(400), _version(_draft)),
    ("admin.modeler_check_expression", "POST"): Door(admin_page(400), _version(_draft)),
    ("admin.modeler_upload", "POST"): Door(admin_page(400), _version(_draft)),
    ("admin.rules", "GET"): Door(admin_page(200), _version(_draft, name="award_rules.dmn")),
    ("admin.rules", "POST"): Door(admin_page(400), _version(_draft, name="award_rules.dmn")),
    # A version's paper templates: the list, upload/reset (without CSRF: 400), download, and a
    # preview that names no dossier or round (422).
    ("admin.paper_templates", "GET"): Door(admin_page(200), _version(_draft)),
    ("admin.paper_template_upload", "POST"): Door(
        admin_page(400), _version(_draft, kind="submission")
    ),
    ("admin.paper_template_reset", "POST"): Door(
        admin_page(400), _version(_draft, kind="submission")
    ),
    ("admin.paper_template_download", "GET"): Door(
        admin_page(200), _version(_draft, kind="submission")
    ),
    ("admin.paper_template_preview", "GET"): Door(admin_page(422), _version(_draft)),
    # --- administration: the security audit trail
    ("admin.audit", "GET"): Door(admin_page(200)),
    ("admin.history_check", "GET"): Door(admin_page(200)),
    ("admin.award_rules", "GET"): Door(admin_page(200)),
    ("admin.award_rules_basis", "POST"): Door(admin_page(400), lambda w: {"key": "repeat_periods"}),
    ("admin.award_rules_case", "POST"): Door(admin_page(400), lambda w: {"case_id": 1}),
    ("admin.award_rules_case_add", "POST"): Door(admin_page(400)),
    ("admin.award_rules_repeat", "POST"): Door(admin_page(400)),
    ("admin.award_rules_requirements", "POST"): Door(admin_page(400)),
    ("admin.registers", "GET"): Door(admin_page(200)),
    ("admin.registers_set_next", "POST"): Door(admin_page(400)),
    ("admin.registers_issue", "POST"): Door(admin_page(400)),
    ("admin.letterheads", "GET"): Door(admin_page(200)),
    ("admin.letterhead", "GET"): Door(admin_page(200), lambda w: {"unit_id": w.unit}),
    ("admin.letterhead_save", "POST"): Door(admin_page(400), lambda w: {"unit_id": w.unit}),
    ("admin.working_calendar", "GET"): Door(admin_page(200), lambda w: {"year": 2026}),
    ("admin.working_calendar_add", "POST"): Door(admin_page(400)),
    ("admin.working_calendar_remove", "POST"): Door(admin_page(400), lambda w: {"exception_id": 1}),
    # --- administration: people
    ("admin.roles", "GET"): Door(admin_page(200)),
    ("admin.roles", "POST"): Door(admin_page(422)),
    ("admin.role", "GET"): Door(admin_page(200), lambda w: {"code": "office"}),
    ("admin.role", "POST"): Door(admin_page(422), lambda w: {"code": "office"}),
    ("admin.units", "GET"): Door(admin_page(200)),
    ("admin.units", "POST"): Door(admin_page(422)),
    ("admin.unit", "GET"): Door(admin_page(200), lambda w: {"unit_id": w.unit}),
    ("admin.unit", "POST"): Door(admin_page(422), lambda w: {"unit_id": w.unit}),
    ("admin.unit_activate", "POST"): Door(admin_page(302), lambda w: {"unit_id": w.unit}),
    ("admin.unit_deactivate", "POST"): Door(admin_page(302), lambda w: {"unit_id": w.unit}),
    ("admin.unit_delete", "POST"): Door(admin_page(302), lambda w: {"unit_id": w.unit}),
    ("admin.users", "GET"): Door(admin_page(200)),
    ("admin.user_new", "GET"): Door(admin_page(200)),
    ("admin.user_new", "POST"): Door(admin_page(422)),
    ("admin.user", "GET"): Door(admin_page(200), lambda w: {"user_id": w.user}),
    ("admin.user", "POST"): Door(admin_page(422), lambda w: {"user_id": w.user}),
    ("admin.user_activate", "POST"): Door(admin_page(302), lambda w: {"user_id": w.user}),
    ("admin.user_deactivate", "POST"): Door(admin_page(302), lambda w: {"user_id": w.user}),
    ("admin.user_deactivate", "GET"): Door(admin_page(200), lambda w: {"user_id": w.user}),
    ("admin.user_delete", "POST"): Door(admin_page(302), lambda w: {"user_id": w.user}),
    ("admin.user_password", "POST"): Door(admin_page(422), lambda w: {"user_id": w.user}),
    ("admin.assignment_add", "POST"): Door(admin_page(422), lambda w: {"user_id": w.user}),
    ("admin.assignment_remove", "POST"): Door(
        admin_page(302), lambda w: {"user_id": w.user, "assignment_id": w.assignment}
    ),
    ("admin.assignment_remove", "GET"): Door(
        admin_page(200), lambda w: {"user_id": w.user, "assignment_id": w.assignment}
    ),
    # --- the API
    ("api.openapi_document", "GET"): Door(public(200), api=True),
    ("api.public_status", "GET"): Door(public(404), lambda w: {"code": "KHONG-CO"}, api=True),
    # Missing username and password: 422 for everyone (no token needed to ask for one).
    ("api.create_token", "POST"): Door(public(422), api=True, json={}),
    # Each account revokes a throw-away token of its own (see test_door).
    ("api.revoke_current_token", "DELETE"): Door(api_for_all(204), api=True),
    ("api.start_dossier", "POST"): Door(
        {**api_admin(403), **dict.fromkeys(OFFICERS, 422)}, api=True, json={}
    ),
    ("api.list_dossiers", "GET"): Door(api_for_all(200), api=True),
    ("api.get_dossier", "GET"): Door(
        api_dossier(200), lambda w: {"dossier_id": w.dossier}, api=True
    ),
    # The chair (and the administrator) get the missing comment; others who see it 403.
    ("api.close_vote", "POST"): Door(
        api_dossier(giamdoc=422, admin=422),
        lambda w: {"dossier_id": w.dossier},
        api=True,
        json={},
    ),
    ("api.list_processes", "GET"): Door(api_admin(200), api=True),
    # The body is neither XML nor multipart: 422 for the administrator.
    ("api.create_version", "POST"): Door(api_admin(422), lambda w: {"key": KEY}, api=True, json={}),
    ("api.download_bpmn", "GET"): Door(api_admin(200), _version(_shipped), api=True),
    # Version 1 is deployed already: 409 for the administrator (nothing changes).
    ("api.deploy", "POST"): Door(api_admin(409), _version(_shipped), api=True, json={}),
    ("api.my_work_items", "GET"): Door(api_for_all(200), api=True),
    ("api.get_work_item", "GET"): Door(api_dossier(200), lambda w: {"item_id": w.ballot}, api=True),
    ("api.claim", "POST"): Door(
        api_dossier(hoidong1=200),
        lambda w: {"item_id": w.ballot},
        api=True,
        json={},
        undo=_release_again,
    ),
    # hoidong2's ballot, claimed by hoidong2: only they may give it back.
    ("api.release", "POST"): Door(
        api_dossier(hoidong2=200),
        lambda w: {"item_id": w.claimed_ballot},
        api=True,
        json={},
        undo=_claim_again,
    ),
    ("api.complete", "POST"): Door(
        api_dossier(hoidong1=422),
        lambda w: {"item_id": w.ballot},
        api=True,
        json={"data": {}},
    ),
    # Movements are listed to everyone; the Office creates them (an empty body: 422).
    ("api.list_movements", "GET"): Door(api_for_all(200), api=True),
    ("api.create_movement", "POST"): Door(API_OFFICE, api=True, json={}),
    ("api.get_movement", "GET"): Door(
        api_for_all(200), lambda w: {"movement_id": _round_movement(w)}, api=True
    ),
    # Rounds: each sees those of its reach; the Office opens one (an empty body: 422).
    ("api.list_rounds", "GET"): Door(api_for_all(200), api=True),
    ("api.open_round", "POST"): Door(API_OFFICE, api=True, json={}),
    ("api.get_round", "GET"): Door(API_ROUND, lambda w: {"round_id": _round(w)}, api=True),
    ("api.round_history", "GET"): Door(API_ROUND, lambda w: {"round_id": _round(w)}, api=True),
    # A unit officer who sees the round joins it: an empty body is refused (422, award_form).
    ("api.join_round", "POST"): Door(
        {
            **API_ROUND,
            **dict.fromkeys(set(ACCOUNTS) - OFFICERS - HIDDEN, 403),
            **dict.fromkeys(OFFICERS, 422),
        },
        lambda w: {"round_id": _round(w)},
        api=True,
        json={},
    ),
    # The Office of the round's department closes intake: already closed (409), nothing changes.
    ("api.close_intake", "POST"): Door(
        {
            **dict.fromkeys(ACCOUNTS, 403),
            "admin": 409,
            "vanphong": 409,
            "vanphong_hn": 404,
            None: 401,
        },
        lambda w: {"round_id": _closed_round(w)},
        api=True,
        json={},
    ),
    # The bell: everyone's own notifications and e-mail choice; POSTs meet the CSRF refusal.
    ("notifications.notification_list", "GET"): Door(page_for_all(200)),
    ("notifications.mark_read", "POST"): Door(page_for_all(400), lambda w: {"notification_id": 1}),
    ("notifications.mark_all_read", "POST"): Door(page_for_all(400)),
    ("notifications.preferences", "GET"): Door(page_for_all(200)),
    ("notifications.preferences", "POST"): Door(page_for_all(400)),
    # Mail that could not be sent: the administrator's (others 403 before the CSRF check).
    ("notifications.failed_mail", "GET"): Door(admin_page(200)),
    ("notifications.retry_mail", "POST"): Door(admin_page(400), lambda w: {"mail_id": 1}),
}


# --- the objects behind the doors ------------------------------------------------------------


@dataclass
class World:
    """Real objects to fill the path parameters with."""

    dossier: int
    ballot: int  # hoidong1's open council ballot on the dossier
    claimed_ballot: int  # hoidong2's ballot, claimed by hoidong2
    attachment: int
    draft: int
    user: int
    assignment: int
    unit: int
    batch: str = "0" * 32
    api: ApiClient | None = None
    pages: dict[str | None, FlaskClient] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(app: Flask, token_cache: dict[str, str]) -> Iterator[World]:
    uploads = Path(app.config["UPLOAD_DIR"])
    files_before = set(uploads.rglob("*"))
    api = ApiClient(app.test_client(use_cookies=False), token_cache)
    try:
        dossier = at_vote(api)
        did = dossier["id"]
        [ballot] = api.items("hoidong1", did, "council_vote")
        [claimed] = api.items("hoidong2", did, "council_vote")
        assert api.post(f"/api/v1/work-items/{claimed['id']}/claim", "hoidong2").status_code == 200
        created = api.client.post(
            f"/api/v1/processes/{KEY}/versions",
            headers={**api.headers("admin"), "Content-Type": "application/xml"},
            data=SHIPPED_BPMN.encode("utf-8"),
        )
        assert created.status_code == 201, created.json
        with database(app).transaction() as session:
            actor = actor_named(session, "canbo_ns")
            [stored] = store_attachments(
                session,
                actor,
                session.get_one(Dossier, did),
                [Upload("bao-cao.pdf", PDF, kind="achievement_report")],
            )
            hoidong4 = session.scalars(select(User).where(User.username == "hoidong4")).one()
            assignment = session.scalars(
                select(RoleAssignment.id).where(RoleAssignment.user_id == hoidong4.id)
            ).first()
            hanoi = session.scalars(select(OrgUnit.id).where(OrgUnit.code == "HN")).one()
            world = World(
                dossier=did,
                ballot=ballot["id"],
                claimed_ballot=claimed["id"],
                attachment=stored.id,
                draft=created.json["version"],
                user=hoidong4.id,
                assignment=assignment or 0,
                unit=hanoi,
                api=api,
            )
        for account in ACCOUNTS:
            client = app.test_client()
            response = login(client, account)
            assert response.status_code == 302, (account, response.status_code)
            world.pages[account] = client
        world.pages[None] = app.test_client()
        yield world
    finally:
        _empty_tables(app)
        for path in sorted(set(uploads.rglob("*")) - files_before, reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()


# --- the tests -------------------------------------------------------------------------------


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_the_table_names_every_route_and_nothing_else(app):
    routes = _routes(app)
    missing = sorted(routes - set(DOORS))
    gone = sorted(set(DOORS) - routes)
    assert not missing, f"routes without an entry in DOORS (decide who may open them): {missing}"
    assert not gone, f"entries in DOORS for routes that no longer exist: {gone}"
    for (endpoint, method), door in DOORS.items():
        assert set(door.expect) == set(CALLERS), (endpoint, method)
        assert door.api == endpoint.startswith("api."), (endpoint, method)


def _knock(app: Flask, world: World, door: Door, endpoint: str, method: str, caller: str | None):
    with app.test_request_context():
        url = url_for(endpoint, **door.values(world))
    if door.api:
        assert world.api is not None
        headers = world.api.headers(caller)
        if endpoint == "api.revoke_current_token" and caller is not None:
            # A throw-away token: the account's cached one keeps working for the other doors.
            fresh = world.api.client.post(
                "/api/v1/tokens", json={"username": caller, "password": "demo"}
            )
            headers = {"Authorization": f"Bearer {fresh.json['token']}"}
        return world.api.client.open(url, method=method, headers=headers, json=door.json)
    return world.pages[caller].open(url, method=method, data={})


@pytest.mark.parametrize(("endpoint", "method"), sorted(DOORS), ids=lambda v: str(v))
def test_door(app, world, endpoint, method):
    door = DOORS[(endpoint, method)]
    wrong = []
    for caller in CALLERS:
        response = _knock(app, world, door, endpoint, method, caller)
        status = response.status_code
        location = response.headers.get("Location", "")
        response.close()
        expected = door.expect[caller]
        if expected == LOGIN:
            ok = status == 302 and location.startswith("/login")
        else:
            ok = status == expected
        if not ok:
            wrong.append(f"{caller or 'anonymous'}: expected {expected}, got {status} {location}")
        if status == 200 and door.undo is not None and caller is not None:
            assert world.api is not None
            door.undo(caller, world, world.api)
    assert not wrong, f"{method} {endpoint}:\n" + "\n".join(wrong)


def test_nothing_changed_behind_the_doors(app, world):
    """The refused requests left the dossier, the ballots and the people as they were."""
    assert world.api is not None
    dossier = world.api.dossier(world.dossier, "vanphong")
    assert dossier["status"] == "in_progress"
    assert {c["step"] for c in dossier["current"]} == {"council_vote"}
    ballot = world.api.get(f"/api/v1/work-items/{world.ballot}", "hoidong1").json
    assert (ballot["status"], ballot["claimed_by"]) == ("open", None)
    claimed = world.api.get(f"/api/v1/work-items/{world.claimed_ballot}", "hoidong2").json
    assert (claimed["status"], claimed["claimed_by"]) == ("open", "hoidong2")
    with database(app).transaction() as session:
        user = session.get_one(User, world.user)
        assert user.active
        assert session.get(RoleAssignment, world.assignment) is not None
        assert session.get_one(OrgUnit, world.unit).active
