"""The people pages: users, units, roles and role assignments, for administrators only."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.services.test_people import restore_demo_people
from tests.web.council import at_vote, vote
from tests.web.pages import csrf_token, login, submit
from tests.web.test_admin_staffing import confirmed
from webapp.models import OrgUnit, Role, RoleAssignment, User
from webapp.request_db import database

PASSWORD = "mat-khau-dai"


@pytest.fixture
def admin_client(app: Flask, client: FlaskClient) -> Iterator[FlaskClient]:
    """The test client logged in as the administrator; the demo organisation is restored after."""
    login(client, "admin")
    yield client
    restore_demo_people(app)


def read(app, query):
    with database(app).transaction() as session:
        return session.execute(query).all()


def user_row(app, username):
    rows = read(app, select(User.id, User.active, User.is_admin).where(User.username == username))
    return rows[0] if rows else None


def unit_of(app, code):
    rows = read(
        app, select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.active).where(OrgUnit.code == code)
    )
    return rows[0] if rows else None


def token(client, url="/admin/users"):
    return csrf_token(client.get(url).get_data(as_text=True))


def field_errors(html, field_id):
    """The messages shown beside a field (its invalid-feedback blocks after the input)."""
    match = re.search(
        rf'id="{re.escape(field_id)}"[^>]*>(.*?)(?:<div class="mb-3|</form>)', html, re.S
    )
    assert match, f"no field {field_id}"
    return re.findall(r'<div class="invalid-feedback d-block">([^<]+)</div>', match.group(1))


def create_user(client, username="t_lan", **changes):
    data = {
        "full_name": "Trần Thị Lan",
        "username": username,
        "email": "",
        "unit_id": str(changes.pop("unit_id")),
        "password": PASSWORD,
        "confirm": PASSWORD,
        **changes,
    }
    return submit(client, "/admin/users/new", data)


# --- who may come in ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/admin/users", "/admin/units", "/admin/roles", "/admin/users/new", "/admin/roles/office"],
)
def test_the_pages_are_for_administrators_only(client, url):
    assert client.get(url).status_code == 302  # anonymous: to the login page
    login(client, "vanphong")
    assert client.get(url).status_code == 403


def test_a_non_administrator_cannot_post_either(app, client):
    login(client, "vanphong")
    form_token = csrf_token(client.get("/work").get_data(as_text=True))
    vanphong = user_row(app, "vanphong").id
    bn = unit_of(app, "BN").id
    for url, data in [
        ("/admin/roles", {"code": "deputy_director", "name": "Phó Giám đốc"}),
        (f"/admin/users/{vanphong}/roles", {"grant-role": "director", "grant-unit_id": bn}),
        (
            f"/admin/users/{vanphong}",
            {"username": "vanphong", "full_name": "X", "unit_id": bn, "is_admin": "y"},
        ),
        (f"/admin/users/{vanphong}/deactivate", {}),
    ]:
        response = client.post(
            url, data={"csrf_token": form_token, "grant-csrf_token": form_token, **data}
        )
        assert response.status_code == 403, url
    assert read(app, select(Role.code).where(Role.code == "deputy_director")) == []
    assert user_row(app, "vanphong").is_admin is False


# --- users ----------------------------------------------------------------------------------


def test_create_a_user_grant_a_role_then_they_log_in(app, admin_client):
    qlns = unit_of(app, "BN-QLNS").id
    response = create_user(admin_client, unit_id=qlns)
    assert response.status_code == 302
    created = user_row(app, "t_lan")
    assert response.location == f"/admin/users/{created.id}"
    page = admin_client.get(response.location).get_data(as_text=True)
    assert 'id="no-roles"' in page
    response = admin_client.post(
        f"/admin/users/{created.id}/roles",
        data={
            "grant-csrf_token": csrf_token(page),
            "grant-role": "unit_officer",
            "grant-unit_id": qlns,
        },
    )
    assert response.status_code == 302
    page = admin_client.get(response.location).get_data(as_text=True)
    assert 'data-assignment="unit_officer@BN-QLNS"' in page

    newcomer = app.test_client()
    response = login(newcomer, "t_lan", PASSWORD)
    assert response.status_code == 302
    inbox = newcomer.get("/work").get_data(as_text=True)
    assert "Trần Thị Lan (t_lan)" in inbox
    assert 'href="/dossiers/new"' in inbox  # a unit officer may create dossiers
    assert newcomer.get("/admin/users").status_code == 403


def test_a_deactivated_user_cannot_log_in_and_is_logged_out(app, admin_client):
    create_user(admin_client, "t_nam", unit_id=unit_of(app, "BN").id)
    user_id = user_row(app, "t_nam").id
    issued = admin_client.post("/api/v1/tokens", json={"username": "t_nam", "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {issued.json['token']}"}
    assert admin_client.get("/api/v1/work-items", headers=bearer).status_code == 200
    colleague = app.test_client()
    assert login(colleague, "t_nam", PASSWORD).status_code == 302
    assert colleague.get("/work").status_code == 200

    # The button opens a page that lists the work waiting for them; nothing changes until the
    # administrator confirms there.
    response = admin_client.post(
        f"/admin/users/{user_id}/deactivate", data={"csrf_token": token(admin_client)}
    )
    assert response.status_code == 200
    assert user_row(app, "t_nam").active is True
    response = confirmed(admin_client, f"/admin/users/{user_id}/deactivate")
    assert response.status_code == 302
    assert user_row(app, "t_nam").active is False
    assert colleague.get("/work").status_code == 302  # the open session ends too
    assert login(app.test_client(), "t_nam", PASSWORD).status_code == 401
    assert admin_client.get("/api/v1/work-items", headers=bearer).status_code == 401

    page = admin_client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'id="activate-user"' in page
    admin_client.post(f"/admin/users/{user_id}/activate", data={"csrf_token": csrf_token(page)})
    assert login(app.test_client(), "t_nam", PASSWORD).status_code == 302


def test_wrong_fields_come_back_beside_the_fields_and_nothing_is_saved(app, admin_client):
    bn = unit_of(app, "BN").id
    response = create_user(
        admin_client, "vanphong", unit_id=bn, password="short", confirm="other", email="x@"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_errors(page, "password")  # too short
    assert field_errors(page, "confirm")  # differs
    assert field_errors(page, "email")
    assert 'value="vanphong"' in page  # what was typed stays
    # Valid form, but the username is taken: the service's message beside the field.
    response = create_user(admin_client, "vanphong", unit_id=bn, full_name="Ngô Thị Lan 2")
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "username")
    assert read(app, select(User.id).where(User.full_name == "Ngô Thị Lan 2")) == []
    # No CSRF token: refused, nothing stored.
    response = admin_client.post(
        "/admin/users/new",
        data={
            "full_name": "X",
            "username": "t_x",
            "unit_id": bn,
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 422
    assert user_row(app, "t_x") is None


def test_the_user_list_searches_without_diacritics(admin_client, app):
    page = admin_client.get("/admin/users?q=nguyen+van+duc").get_data(as_text=True)
    assert 'data-username="giamdoc"' in page
    assert 'data-username="vanphong"' not in page
    hanoi = unit_of(app, "HN").id
    page = admin_client.get(f"/admin/users?unit_id={hanoi}").get_data(as_text=True)
    assert re.findall(r'data-username="([^"]+)"', page) == ["vanphong_hn"]
    page = admin_client.get("/admin/users?q=khong+co+ai&status=inactive").get_data(as_text=True)
    assert 'id="no-users"' in page
    # Nonsense filters are ignored, not a 500.
    assert admin_client.get("/admin/users?unit_id=abc&status=x&page=-3").status_code == 200


def test_an_administrator_cannot_deactivate_themself_or_drop_their_flag(app, admin_client):
    me = user_row(app, "admin").id
    page = admin_client.get(f"/admin/users/{me}").get_data(as_text=True)
    assert 'id="deactivate-user"' not in page
    response = admin_client.post(
        f"/admin/users/{me}/deactivate",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert 'class="alert alert-danger' in response.get_data(as_text=True)
    assert user_row(app, "admin").active is True
    response = admin_client.post(
        f"/admin/users/{me}",
        data={
            "csrf_token": csrf_token(page),
            "username": "admin",
            "full_name": "Quản trị hệ thống",
            "unit_id": unit_of(app, "BTC").id,
        },
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "is_admin")
    assert user_row(app, "admin").is_admin is True


def test_a_user_who_acted_stays_and_one_who_did_not_is_deleted(app, admin_client, api):
    bn = unit_of(app, "BN").id
    create_user(admin_client, "t_once", unit_id=bn)
    never = user_row(app, "t_once").id
    page = admin_client.get(f"/admin/users/{never}").get_data(as_text=True)
    assert 'id="delete-user-confirm"' in page
    response = admin_client.post(
        f"/admin/users/{never}/delete", data={"csrf_token": csrf_token(page)}
    )
    assert response.location == "/admin/users"
    assert user_row(app, "t_once") is None

    api.start()  # canbo_ns created a dossier
    canbo = user_row(app, "canbo_ns").id
    page = admin_client.get(f"/admin/users/{canbo}").get_data(as_text=True)
    assert 'id="delete-user"' not in page
    response = admin_client.post(
        f"/admin/users/{canbo}/delete", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )
    assert response.status_code == 200
    assert 'class="alert alert-danger' in response.get_data(as_text=True)
    assert user_row(app, "canbo_ns") is not None


def test_a_duplicate_grant_is_refused_beside_the_field_and_a_grant_is_removed(app, admin_client):
    vanphong = user_row(app, "vanphong").id
    bn = unit_of(app, "BN").id
    page = admin_client.get(f"/admin/users/{vanphong}").get_data(as_text=True)
    response = admin_client.post(
        f"/admin/users/{vanphong}/roles",
        data={"grant-csrf_token": csrf_token(page), "grant-role": "office", "grant-unit_id": bn},
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "grant-role")
    offices = select(RoleAssignment.id).where(
        RoleAssignment.user_id == vanphong, RoleAssignment.role == "office"
    )
    assert len(read(app, offices)) == 1  # the existing grant, no second one

    admin_client.post(
        f"/admin/users/{vanphong}/roles",
        data={"grant-csrf_token": csrf_token(page), "grant-role": "director", "grant-unit_id": bn},
    )
    [(granted,)] = read(
        app,
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == vanphong, RoleAssignment.role == "director"
        ),
    )
    response = confirmed(admin_client, f"/admin/users/{vanphong}/roles/{granted}/remove")
    assert response.status_code == 302
    assert read(app, select(RoleAssignment.id).where(RoleAssignment.id == granted)) == []
    # Another user's grant through this user's address: not found.
    response = admin_client.post(
        f"/admin/users/{user_row(app, 'giamdoc').id}/roles/{granted}/remove",
        data={"csrf_token": csrf_token(page)},
    )
    assert response.status_code == 404


def test_a_new_password_lets_the_user_in_with_it(app, admin_client):
    create_user(admin_client, "t_pw", unit_id=unit_of(app, "BN").id)
    user_id = user_row(app, "t_pw").id
    page = admin_client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    short = admin_client.post(
        f"/admin/users/{user_id}/password",
        data={"pw-csrf_token": csrf_token(page), "pw-password": "1234", "pw-confirm": "1234"},
    )
    assert short.status_code == 422
    assert field_errors(short.get_data(as_text=True), "pw-password")
    response = admin_client.post(
        f"/admin/users/{user_id}/password",
        data={
            "pw-csrf_token": csrf_token(page),
            "pw-password": "mat-khau-moi-2025",
            "pw-confirm": "mat-khau-moi-2025",
        },
    )
    assert response.status_code == 302
    assert login(app.test_client(), "t_pw", PASSWORD).status_code == 401
    assert login(app.test_client(), "t_pw", "mat-khau-moi-2025").status_code == 302


def test_unknown_users_units_and_roles_are_404(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404
    assert admin_client.get("/admin/units/999999").status_code == 404
    assert admin_client.get("/admin/roles/no_such_role").status_code == 404
    response = admin_client.post(
        "/admin/users/999999/deactivate", data={"csrf_token": token(admin_client)}
    )
    assert response.status_code == 404


# --- units ----------------------------------------------------------------------------------


def test_the_units_page_nests_the_tree_and_adds_a_unit(app, admin_client):
    page = admin_client.get("/admin/units").get_data(as_text=True)
    tree = page[page.index('id="unit-tree"') :]
    # Bộ Tài chính → Sở Tài chính Bắc Ninh → Phòng Quản lý ngân sách, nested lists.
    assert (
        tree.index('data-unit="BTC"')
        < tree.index('data-unit="BN"')
        < tree.index('data-unit="BN-QLNS"')
    )
    assert re.search(r'data-unit="BN".*?<ul[^>]*>.*?data-unit="BN-QLNS"', tree, re.S)
    bn = unit_of(app, "BN").id
    form = admin_client.get(f"/admin/units?parent={bn}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{bn}">', form)
    assert '<option selected value="division">' in form  # the level below a department
    response = submit(
        admin_client,
        f"/admin/units?parent={bn}",
        {"code": "bn-kh", "name": "Phòng Kế hoạch", "kind": "division", "parent_id": bn},
    )
    assert response.status_code == 302
    created = unit_of(app, "BN-KH")
    assert created.parent_id == bn
    assert 'data-unit="BN-KH"' in admin_client.get("/admin/units").get_data(as_text=True)
    # The same code again: the message beside the code.
    response = submit(
        admin_client,
        "/admin/units",
        {"code": "BN-KH", "name": "Phòng khác", "kind": "division", "parent_id": bn},
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "code")


def test_a_unit_cannot_be_moved_under_its_own_sub_unit(app, admin_client):
    bn = unit_of(app, "BN")
    qlns = unit_of(app, "BN-QLNS")
    page = admin_client.get(f"/admin/units/{bn.id}").get_data(as_text=True)
    # Neither itself nor its sub-units are offered...
    assert f'<option value="{qlns.id}"' not in page
    # ...and a forged choice is refused beside the field.
    response = admin_client.post(
        f"/admin/units/{bn.id}",
        data={
            "csrf_token": csrf_token(page),
            "code": "BN",
            "name": "Sở Tài chính Bắc Ninh",
            "kind": "department",
            "parent_id": qlns.id,
        },
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "parent_id")
    assert unit_of(app, "BN").parent_id == bn.parent_id
    # Moving under another department works.
    hanoi = unit_of(app, "HN").id
    page = admin_client.get(f"/admin/units/{qlns.id}").get_data(as_text=True)
    response = admin_client.post(
        f"/admin/units/{qlns.id}",
        data={
            "csrf_token": csrf_token(page),
            "code": "BN-QLNS",
            "name": "Phòng Quản lý ngân sách",
            "kind": "division",
            "parent_id": hanoi,
        },
    )
    assert response.status_code == 302
    assert unit_of(app, "BN-QLNS").parent_id == hanoi


def test_a_used_unit_is_deactivated_and_an_unused_one_deleted(app, admin_client):
    bn = unit_of(app, "BN").id
    submit(
        admin_client,
        "/admin/units",
        {"code": "BN-TRONG", "name": "Phòng trống", "kind": "division", "parent_id": bn},
    )
    empty = unit_of(app, "BN-TRONG").id
    page = admin_client.get(f"/admin/units/{empty}").get_data(as_text=True)
    assert 'id="delete-unit-confirm"' in page
    response = admin_client.post(
        f"/admin/units/{empty}/delete", data={"csrf_token": csrf_token(page)}
    )
    assert response.location == "/admin/units"
    assert unit_of(app, "BN-TRONG") is None

    qlns = unit_of(app, "BN-QLNS").id
    page = admin_client.get(f"/admin/units/{qlns}").get_data(as_text=True)
    assert 'id="delete-unit"' not in page
    response = admin_client.post(
        f"/admin/units/{qlns}/delete", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )
    assert 'class="alert alert-danger' in response.get_data(as_text=True)
    assert unit_of(app, "BN-QLNS") is not None
    # Its users are active: deactivation is refused too, with a message.
    response = admin_client.post(
        f"/admin/units/{qlns}/deactivate",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert 'class="alert alert-danger' in response.get_data(as_text=True)
    assert unit_of(app, "BN-QLNS").active is True


# --- roles ----------------------------------------------------------------------------------


def test_roles_list_their_holders_and_a_new_role_is_created_and_renamed(app, admin_client):
    page = admin_client.get("/admin/roles").get_data(as_text=True)
    assert re.search(r'data-role="council_member".*?data-holders="5"', page, re.S)
    response = submit(admin_client, "/admin/roles", {"code": "Phó GĐ", "name": "Phó Giám đốc Sở"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "code")
    response = submit(
        admin_client, "/admin/roles", {"code": "deputy_director", "name": "Phó Giám đốc Sở"}
    )
    assert response.status_code == 302
    assert 'data-role="deputy_director"' in admin_client.get("/admin/roles").get_data(as_text=True)
    response = submit(admin_client, "/admin/roles/deputy_director", {"name": "Phó Giám đốc"})
    assert response.status_code == 302
    assert read(app, select(Role.name).where(Role.code == "deputy_director")) == [("Phó Giám đốc",)]


def test_a_deactivated_council_member_s_ballot_is_shown_with_the_way_out(app, api, admin_client):
    dossier = at_vote(api)
    vote(api, dossier, ["giamdoc", "hoidong1", "hoidong2", "hoidong3"])
    member_id = user_row(app, "hoidong4").id
    try:
        page = admin_client.get(f"/admin/users/{member_id}").get_data(as_text=True)
        waiting = page[page.index('id="user-waiting"') :]
        assert dossier["code"] in waiting
        assert "Thành viên Hội đồng bỏ phiếu" in waiting
        confirm = admin_client.get(f"/admin/users/{member_id}/deactivate").get_data(as_text=True)
        assert dossier["code"] in confirm[confirm.index('id="waiting-work"') :]
        assert confirmed(admin_client, f"/admin/users/{member_id}/deactivate").status_code == 302
        page = admin_client.get(f"/admin/users/{member_id}").get_data(as_text=True)
        assert "Chủ tịch Hội đồng" in page[page.index('id="user-waiting"') :]
        # The chair closes the vote; nothing waits for the member any more.
        closed = api.post(
            f"/api/v1/dossiers/{dossier['id']}/close-vote",
            "giamdoc",
            json={"comment": "Thành viên đã nghỉ hưu."},
        )
        assert closed.status_code == 200, closed.json
        page = admin_client.get(f"/admin/users/{member_id}").get_data(as_text=True)
        assert 'id="user-waiting"' not in page
    finally:
        # Deactivation revoked the member's API token, which the other tests share.
        api.tokens.pop("hoidong4", None)
