"""Who will do the work: deactivating a user or removing a role first lists the steps waiting for
them and who else can take each; the catalogue and a version's page show the steps nobody can
take and the lanes without a holder where dossiers run."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import ApiClient, actor_named
from tests.services.test_people import restore_demo_people
from tests.services.test_staffing import regrant_demo_roles
from tests.web.diagrams import SHIPPED_BPMN
from tests.web.pages import csrf_token, login
from webapp.models import OrgUnit, RoleAssignment, User
from webapp.request_db import database
from webapp.services import people

KEY = "award_nomination"
HEAD = "truongphong_ns"  # the only unit head of Phòng Quản lý ngân sách
STEP = "Lãnh đạo đơn vị duyệt hồ sơ"


@pytest.fixture
def admin_client(app: Flask, client: FlaskClient, api: ApiClient) -> Iterator[FlaskClient]:
    """The administrator's pages; afterwards the demo people are restored and the API tokens a
    deactivation revoked are forgotten (other tests share them)."""
    login(client, "admin")
    yield client
    restore_demo_people(app)
    regrant_demo_roles(app)
    for deactivated in (HEAD, "hoidong3"):
        api.tokens.pop(deactivated, None)


def user_id(app, username):
    with database(app).transaction() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def is_active(app, username):
    with database(app).transaction() as session:
        return session.scalars(select(User.active).where(User.username == username)).one()


def head_assignment(app):
    with database(app).transaction() as session:
        return session.scalars(
            select(RoleAssignment.id)
            .join(User, User.id == RoleAssignment.user_id)
            .where(User.username == HEAD, RoleAssignment.role == "unit_head")
        ).one()


def at_unit_head(api):
    """A dossier of Phòng Quản lý ngân sách waiting for its unit head's approval."""
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    return dossier


def another_head(app, unit="BN"):
    """A second active unit head, granted in `unit` (a department reaches its divisions)."""
    with database(app).transaction() as session:
        admin = actor_named(session, "admin")
        unit_id = session.scalars(select(OrgUnit.id).where(OrgUnit.code == unit)).one()
        created = people.create_user(
            session,
            admin,
            people.UserData("t_pho", "Phạm Thị Phó", None, unit_id),
            password="mat-khau-dai",
        )
        people.add_assignment(session, admin, created.id, role="unit_head", unit_id=unit_id)


def rows(html):
    """The confirmation page's lines: (item id, left alone?, the line's text)."""
    found = re.findall(
        r'<tr data-item="(\d+)" data-left-alone="(yes|no)"[^>]*>(.*?)</tr>', html, re.S
    )
    return [
        (int(i), alone == "yes", re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", text)))
        for i, alone, text in found
    ]


def confirm_data(html):
    """What the confirm button posts."""
    form = html[html.index('id="confirm-change"') :]
    left = re.search(r'name="left"[^>]*value="([^"]*)"', form) or re.search(
        r'value="([^"]*)"[^>]*name="left"', form
    )
    return {"csrf_token": csrf_token(form), "confirm": "yes", "left": left.group(1) if left else ""}


def confirmed(client, url):
    """Open a deactivation or removal page and confirm what it shows."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data=confirm_data(page.get_data(as_text=True)))


def process_card(html):
    start = html.index(f'id="process-{KEY}"')
    return html[start : html.index("</section>", start)]


# --- the Done-when ---------------------------------------------------------------------------


def test_deactivating_the_only_holder_lists_the_work_and_the_catalogue_shows_the_gap(
    app, api, admin_client
):
    dossier = at_unit_head(api)
    head = user_id(app, HEAD)
    page = admin_client.get(f"/admin/users/{head}").get_data(as_text=True)
    assert f'href="/admin/users/{head}/deactivate"' in page
    assert 'id="deactivation-gaps"' in page  # the user's page says so before the button
    catalogue = admin_client.get("/admin/processes").get_data(as_text=True)
    assert 'id="staffing-' not in catalogue  # nothing to warn about yet

    response = admin_client.get(f"/admin/users/{head}/deactivate")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    [(_item, alone, text)] = rows(html)
    assert alone
    assert dossier["code"] in text
    assert STEP in text
    assert "Phòng Quản lý ngân sách" in text
    assert "không còn ai" in text
    assert 'id="gaps-warning"' in html
    # A first POST (the old button) only shows the page again: nothing changes before confirming.
    response = admin_client.post(
        f"/admin/users/{head}/deactivate", data={"csrf_token": csrf_token(html)}
    )
    assert response.status_code == 200
    assert rows(response.get_data(as_text=True))[0][1]
    assert is_active(app, HEAD)
    assert api.get("/api/v1/work-items", HEAD).status_code == 200

    response = admin_client.post(f"/admin/users/{head}/deactivate", data=confirm_data(html))
    assert response.status_code == 302
    assert response.location == f"/admin/users/{head}"
    assert not is_active(app, HEAD)
    assert api.get("/api/v1/work-items", HEAD).status_code == 401  # its token was revoked

    card = process_card(admin_client.get("/admin/processes").get_data(as_text=True))
    unstaffed = card[card.index(f'id="staffing-{KEY}"') :]
    assert 'data-unstaffed="1"' in unstaffed
    assert f'href="/dossiers/{dossier["id"]}"' in unstaffed
    assert dossier["code"] in unstaffed
    lanes = re.findall(r'<li data-lane-role="([a-z_]+)"[^>]*>(.*?)</li>', unstaffed, re.S)
    assert [role for role, _text in lanes] == ["unit_head"]
    assert "Phòng Quản lý ngân sách" in lanes[0][1]
    version = admin_client.get(f"/admin/processes/{KEY}/versions/1").get_data(as_text=True)
    warnings = version[version.index('id="staffing-warnings"') :]
    assert "Cảnh báo" in warnings
    assert dossier["code"] in warnings
    assert 'data-lane-role="unit_head"' in warnings


def test_when_someone_else_holds_the_role_the_page_names_them_and_no_gap_follows(
    app, api, admin_client
):
    dossier = at_unit_head(api)
    another_head(app)
    head = user_id(app, HEAD)
    html = admin_client.get(f"/admin/users/{head}/deactivate").get_data(as_text=True)
    [(_item, alone, text)] = rows(html)
    assert not alone
    assert dossier["code"] in text
    assert "Phạm Thị Phó" in text
    assert "không còn ai" not in text
    assert 'id="no-gaps"' in html
    response = admin_client.post(f"/admin/users/{head}/deactivate", data=confirm_data(html))
    assert response.status_code == 302
    assert not is_active(app, HEAD)
    card = process_card(admin_client.get("/admin/processes").get_data(as_text=True))
    assert f'id="staffing-{KEY}"' not in card
    # The step is in the other head's inbox.
    colleague = app.test_client()
    assert login(colleague, "t_pho", "mat-khau-dai").status_code == 302
    assert dossier["code"] in colleague.get("/work").get_data(as_text=True)


def test_removing_the_only_role_assignment_lists_the_work_and_leaves_the_gap(
    app, api, admin_client
):
    dossier = at_unit_head(api)
    head = user_id(app, HEAD)
    granted = head_assignment(app)
    url = f"/admin/users/{head}/roles/{granted}/remove"
    page = admin_client.get(f"/admin/users/{head}").get_data(as_text=True)
    assert f'href="{url}"' in page
    html = admin_client.get(url).get_data(as_text=True)
    [(_item, alone, text)] = rows(html)
    assert alone
    assert dossier["code"] in text
    assert "không còn ai" in text
    assert "Lãnh đạo đơn vị" in html[html.index('id="confirm-title"') :]
    response = admin_client.post(url, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 200
    with database(app).transaction() as session:
        assert session.get(RoleAssignment, granted) is not None
    response = admin_client.post(url, data=confirm_data(html))
    assert response.status_code == 302
    with database(app).transaction() as session:
        assert session.get(RoleAssignment, granted) is None
    assert is_active(app, HEAD)
    card = process_card(admin_client.get("/admin/processes").get_data(as_text=True))
    assert dossier["code"] in card[card.index(f'id="staffing-{KEY}"') :]


def test_a_confirmation_made_on_an_older_picture_shows_the_new_one(app, api, admin_client):
    head = user_id(app, HEAD)
    html = admin_client.get(f"/admin/users/{head}/deactivate").get_data(as_text=True)
    assert 'id="no-waiting-work"' in html
    dossier = at_unit_head(api)  # work arrives while the page is open
    response = admin_client.post(f"/admin/users/{head}/deactivate", data=confirm_data(html))
    assert response.status_code == 409
    fresh = response.get_data(as_text=True)
    assert dossier["code"] in rows(fresh)[0][2]
    assert is_active(app, HEAD)
    response = admin_client.post(f"/admin/users/{head}/deactivate", data=confirm_data(fresh))
    assert response.status_code == 302
    assert not is_active(app, HEAD)


def test_a_user_with_nothing_waiting_is_confirmed_with_that_said(app, admin_client):
    member = user_id(app, "hoidong3")
    html = admin_client.get(f"/admin/users/{member}/deactivate").get_data(as_text=True)
    assert 'id="no-waiting-work"' in html
    assert rows(html) == []
    assert is_active(app, "hoidong3")
    assert (
        admin_client.post(f"/admin/users/{member}/deactivate", data=confirm_data(html)).status_code
        == 302
    )
    assert not is_active(app, "hoidong3")


# --- who may knock, and wrong addresses ------------------------------------------------------


def test_only_administrators_open_or_confirm_and_nothing_changes(app, client):
    head = user_id(app, HEAD)
    granted = head_assignment(app)
    urls = [f"/admin/users/{head}/deactivate", f"/admin/users/{head}/roles/{granted}/remove"]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    login(client, "vanphong")
    form_token = csrf_token(client.get("/work").get_data(as_text=True))
    for url in urls:
        assert client.get(url).status_code == 403
        response = client.post(url, data={"csrf_token": form_token, "confirm": "yes", "left": ""})
        assert response.status_code == 403
    assert is_active(app, HEAD)
    with database(app).transaction() as session:
        assert session.get(RoleAssignment, granted) is not None


def test_unknown_users_and_assignments_are_404(app, admin_client):
    head = user_id(app, HEAD)
    granted = head_assignment(app)
    other = user_id(app, "vanphong")
    for url in [
        "/admin/users/999999/deactivate",
        f"/admin/users/{head}/roles/999999/remove",
        f"/admin/users/{other}/roles/{granted}/remove",  # someone else's assignment
        f"/admin/users/999999/roles/{granted}/remove",
    ]:
        assert admin_client.get(url).status_code == 404, url
        token = csrf_token(admin_client.get(f"/admin/users/{head}").get_data(as_text=True))
        response = admin_client.post(url, data={"csrf_token": token, "confirm": "yes", "left": ""})
        assert response.status_code == 404, url
    with database(app).transaction() as session:
        assert session.get(RoleAssignment, granted) is not None


def test_the_administrator_cannot_open_their_own_deactivation(app, admin_client):
    me = user_id(app, "admin")
    response = admin_client.get(f"/admin/users/{me}/deactivate", follow_redirects=True)
    assert response.status_code == 200
    assert 'class="alert alert-danger' in response.get_data(as_text=True)
    assert is_active(app, "admin")


def test_a_draft_whose_new_lane_nobody_holds_is_warned_of_and_deployed_the_catalogue_too(
    app, api, admin_client
):
    at_unit_head(api)
    with database(app).transaction() as session:
        people.create_role(
            session, actor_named(session, "admin"), code="deputy_director", name="Phó Giám đốc Sở"
        )
    xml = SHIPPED_BPMN.replace(
        '<spiffworkflow:property name="role" value="director" />',
        '<spiffworkflow:property name="role" value="deputy_director" />',
    )
    uploaded = api.client.post(
        f"/api/v1/processes/{KEY}/versions",
        headers={**api.headers("admin"), "Content-Type": "application/xml"},
        data=xml.encode("utf-8"),
    )
    assert uploaded.status_code == 201, uploaded.json
    number = uploaded.json["version"]
    draft = admin_client.get(f"/admin/processes/{KEY}/versions/{number}").get_data(as_text=True)
    warnings = draft[draft.index('id="staffing-warnings"') :]
    [(role, text)] = re.findall(r'<li data-lane-role="([a-z_]+)"[^>]*>(.*?)</li>', warnings, re.S)
    assert role == "deputy_director"
    assert "Phó Giám đốc Sở" in text
    assert "Phòng Quản lý ngân sách" in text
    assert 'id="problems-table"' not in draft  # a warning, not a problem: it can be deployed
    shipped = admin_client.get(f"/admin/processes/{KEY}/versions/1").get_data(as_text=True)
    assert 'id="staffing-warnings"' not in shipped
    assert f'id="staffing-{KEY}"' not in admin_client.get("/admin/processes").get_data(as_text=True)
    deployed = api.post(f"/api/v1/processes/{KEY}/versions/{number}/deploy", "admin")
    assert deployed.status_code == 200, deployed.json
    card = process_card(admin_client.get("/admin/processes").get_data(as_text=True))
    assert 'data-lane-role="deputy_director"' in card[card.index(f'id="staffing-{KEY}"') :]
