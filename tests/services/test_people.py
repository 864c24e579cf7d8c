"""The administrator manages units, roles, users and role assignments (services.people)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tests.conftest import _empty_tables, actor_named
from webapp.models import ApiToken, Dossier, Event, OrgUnit, Role, RoleAssignment, User, WorkItem
from webapp.permissions import Actor
from webapp.request_db import database
from webapp.services import auth, dossiers, people, process_versions, seeding, work_items
from webapp.services.actors import actor_for_user, actor_of, descendants, unit_children
from webapp.services.errors import (
    ConflictError,
    InvalidDataError,
    NotAuthenticatedError,
    NotFoundError,
    PermissionDeniedError,
)
from webapp.services.people.common import unique_flush

PASSWORD = "mat-khau-dai"
NEW_DOSSIER = {
    "title": "Đề nghị tặng Bằng khen",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [{"kind": "individual", "name": "Nguyễn Văn A"}],
}


def restore_demo_people(app: Flask) -> None:
    """Put the organisation back as seeded: tests add units, users and grants, and move units."""
    _empty_tables(app)
    seeded_users = [row[0] for row in seeding.DEMO_USERS]
    seeded_units = [row[0] for row in seeding.UNITS]
    with database(app).transaction() as session:
        extra_users = select(User.id).where(User.username.not_in(seeded_users))
        extra_units = select(OrgUnit.id).where(OrgUnit.code.not_in(seeded_units))
        session.execute(delete(ApiToken).where(ApiToken.user_id.in_(extra_users)))
        session.execute(
            delete(RoleAssignment).where(
                RoleAssignment.user_id.in_(extra_users) | RoleAssignment.unit_id.in_(extra_units)
            )
        )
        session.execute(delete(User).where(User.username.not_in(seeded_users)))
        units = {unit.code: unit for unit in session.scalars(select(OrgUnit))}
        for code, name, kind, parent in seeding.UNITS:
            unit = units[code]
            unit.name, unit.kind, unit.active = name, kind, True
            unit.parent_id = units[parent].id if parent else None
        session.flush()
        session.execute(
            update(OrgUnit).where(OrgUnit.code.not_in(seeded_units)).values(parent_id=None)
        )
        session.execute(delete(OrgUnit).where(OrgUnit.code.not_in(seeded_units)))
        users = {user.username: user for user in session.scalars(select(User))}
        granted = {
            (users[username].id, role, units[unit].id)
            for username, _name, _home, roles in seeding.DEMO_USERS
            for role, unit in roles
        }
        for assignment in session.scalars(select(RoleAssignment)):
            if (assignment.user_id, assignment.role, assignment.unit_id) not in granted:
                session.delete(assignment)
        for username, full_name, home, _roles in seeding.DEMO_USERS:
            user = users[username]
            user.full_name, user.unit_id, user.active = full_name, units[home].id, True
            user.is_admin = username == "admin"


@pytest.fixture
def org(app: Flask, db: Session) -> Iterator[Session]:
    """The db session; afterwards the demo organisation is restored."""
    yield db
    db.rollback()
    restore_demo_people(app)


def admin(db):
    return actor_named(db, "admin")


def unit_id(db, code):
    return db.scalars(select(OrgUnit.id).where(OrgUnit.code == code)).one()


def new_unit(db, code, parent="BN", kind="division", name=None):
    return people.create_unit(
        db, admin(db), code=code, name=name or f"Phòng {code}", kind=kind,
        parent_id=unit_id(db, parent) if parent else None,
    )  # fmt: skip


def new_user(db, username, home="BN", **changes):
    data = people.UserData(
        username=username,
        full_name=changes.pop("full_name", f"Người dùng {username}"),
        email=changes.pop("email", None),
        unit_id=unit_id(db, home),
        is_admin=changes.pop("is_admin", False),
    )
    return people.create_user(db, admin(db), data, password=changes.pop("password", PASSWORD))


def codes_of(nodes):
    return [(node.unit.code, codes_of(node.children)) for node in nodes]


def field_error(excinfo):
    return excinfo.value.code, set(excinfo.value.fields)


# --- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda db, a: people.unit_tree(db, a), id="tree"),
        pytest.param(lambda db, a: people.list_roles(db, a), id="roles"),
        pytest.param(lambda db, a: people.list_users(db, a, people.UserFilters()), id="users"),
        pytest.param(lambda db, a: people.create_role(db, a, code="x", name="X"), id="new_role"),
        pytest.param(
            lambda db, a: people.create_unit(
                db, a, code="X", name="X", kind="division", parent_id=None
            ),
            id="new_unit",
        ),
        pytest.param(lambda db, a: people.deactivate_user(db, a, a.user_id), id="deactivate"),
    ],
)
def test_only_administrators_manage_people(org, call):
    with pytest.raises(PermissionDeniedError):
        call(org, actor_named(org, "vanphong"))


# --- units ----------------------------------------------------------------------------------


def test_the_tree_nests_ministry_departments_and_divisions(org):
    tree = people.unit_tree(org, admin(org))
    assert codes_of(tree) == [("BTC", [("BN", [("BN-QLNS", []), ("BN-TCDN", [])]), ("HN", [])])]
    bac_ninh = tree[0].children[0]
    assert bac_ninh.unit.code == "BN"
    assert bac_ninh.depth == 1
    assert bac_ninh.users == 6  # vanphong, giamdoc, hoidong1-4 have it as their home unit
    outline = [(unit.code, depth) for unit, depth in people.unit_outline(org, admin(org))]
    assert outline[:2] == [("BTC", 0), ("BN", 1)]
    assert ("HN", 1) in outline


def test_creating_a_unit_checks_code_kind_and_parent(org):
    unit = new_unit(org, "bn-kh", name="  Phòng Kế hoạch  ")
    assert (unit.code, unit.name, unit.kind) == ("BN-KH", "Phòng Kế hoạch", "division")
    assert unit.parent_id == unit_id(org, "BN")
    with pytest.raises(InvalidDataError) as taken:
        new_unit(org, "BN-KH")
    assert field_error(taken) == ("unit_code_taken", {"code"})
    with pytest.raises(InvalidDataError) as bad_code:
        new_unit(org, "BN KH")
    assert field_error(bad_code) == ("unit_code_format", {"code"})
    with pytest.raises(InvalidDataError) as bad_kind:
        new_unit(org, "BN-X", kind="team")
    assert field_error(bad_kind) == ("unit_kind", {"kind"})
    with pytest.raises(InvalidDataError) as no_name:
        people.create_unit(org, admin(org), code="BN-Y", name="  ", kind="division", parent_id=None)
    assert field_error(no_name) == ("required", {"name"})
    with pytest.raises(InvalidDataError) as no_parent:
        people.create_unit(org, admin(org), code="BN-Y", name="Y", kind="division", parent_id=-5)
    assert field_error(no_parent) == ("unit_unknown", {"parent_id"})


def test_a_unit_never_goes_under_itself_or_its_descendants(org):
    kh = new_unit(org, "BN-KH")
    team = new_unit(org, "BN-KH-1", parent="BN-KH")
    org.commit()
    for target in (kh.id, team.id, unit_id(org, "BN-KH-1")):
        with pytest.raises(InvalidDataError) as cycle:
            people.update_unit(
                org, admin(org), kh.id, code="BN-KH", name=kh.name, kind="division",
                parent_id=target,
            )  # fmt: skip
        assert field_error(cycle) == ("unit_cycle", {"parent_id"})
    with pytest.raises(InvalidDataError):
        people.update_unit(
            org, admin(org), unit_id(org, "BTC"), code="BTC", name="Bộ Tài chính",
            kind="ministry", parent_id=unit_id(org, "BN-QLNS"),
        )  # fmt: skip
    org.rollback()
    assert org.get(OrgUnit, kh.id).parent_id == unit_id(org, "BN")
    assert org.get(OrgUnit, unit_id(org, "BTC")).parent_id is None


def test_moving_a_unit_takes_its_sub_units_and_changes_who_reaches_it(org):
    kh = new_unit(org, "BN-KH")
    team = new_unit(org, "BN-KH-1", parent="BN-KH")
    org.commit()
    office_bn = actor_named(org, "vanphong")
    assert team.id in office_bn.scopes["office"]
    moved = people.update_unit(
        org, admin(org), kh.id, code="BN-KH", name="Phòng Kế hoạch (Hà Nội)", kind="division",
        parent_id=unit_id(org, "HN"),
    )  # fmt: skip
    org.commit()
    assert moved.parent_id == unit_id(org, "HN")
    assert org.get(OrgUnit, team.id).parent_id == kh.id
    assert team.id not in actor_named(org, "vanphong").scopes["office"]
    assert team.id in actor_named(org, "vanphong_hn").scopes["office"]
    tree = dict(codes_of(people.unit_tree(org, admin(org)))[0][1])
    assert ("BN-KH", [("BN-KH-1", [])]) in tree["HN"]


def test_a_unit_code_in_dossier_codes_cannot_change(org):
    kh = new_unit(org, "BN-KH")
    officer = new_user(org, "t_officer", home="BN-KH")
    people.add_assignment(org, admin(org), officer.id, role="unit_officer", unit_id=kh.id)
    org.commit()
    dossier = dossiers.start_dossier(org, actor_for_user(org, officer), NEW_DOSSIER)
    assert dossier.code.startswith("BN-KH-")
    with pytest.raises(InvalidDataError) as locked:
        people.update_unit(
            org, admin(org), kh.id, code="BN-KEHOACH", name=kh.name, kind="division",
            parent_id=kh.parent_id,
        )  # fmt: skip
    assert field_error(locked) == ("unit_code_locked", {"code"})


def test_deactivating_and_deleting_units(org):
    kh = new_unit(org, "BN-KH")
    team = new_unit(org, "BN-KH-1", parent="BN-KH")
    empty = new_unit(org, "BN-TRONG")
    org.commit()
    # Never used: delete works.
    people.delete_unit(org, admin(org), empty.id)
    org.commit()
    assert org.get(OrgUnit, empty.id) is None
    # Active sub-units come first.
    with pytest.raises(ConflictError) as children:
        people.deactivate_unit(org, admin(org), kh.id)
    assert children.value.code == "unit_active_children"
    people.deactivate_unit(org, admin(org), team.id)
    # A deactivated unit is offered for nothing new.
    with pytest.raises(InvalidDataError) as inactive_parent:
        new_unit(org, "BN-KH-2", parent="BN-KH-1")
    assert field_error(inactive_parent) == ("unit_inactive", {"parent_id"})
    with pytest.raises(InvalidDataError) as inactive_home:
        new_user(org, "t_home", home="BN-KH-1")
    assert field_error(inactive_home) == ("unit_inactive", {"unit_id"})
    someone = new_user(org, "t_someone", home="BN-KH")
    with pytest.raises(InvalidDataError) as inactive_grant:
        people.add_assignment(org, admin(org), someone.id, role="office", unit_id=team.id)
    assert field_error(inactive_grant) == ("unit_inactive", {"unit_id"})
    # Active users of the unit must go first.
    with pytest.raises(ConflictError) as users:
        people.deactivate_unit(org, admin(org), kh.id)
    assert users.value.code == "unit_active_users"
    people.deactivate_user(org, admin(org), someone.id)
    people.deactivate_unit(org, admin(org), kh.id)
    org.commit()
    assert not org.get(OrgUnit, kh.id).active
    # A sub-unit comes back only under an active parent.
    with pytest.raises(ConflictError) as parent_inactive:
        people.reactivate_unit(org, admin(org), team.id)
    assert parent_inactive.value.code == "unit_parent_inactive"
    people.reactivate_unit(org, admin(org), kh.id)
    people.reactivate_unit(org, admin(org), team.id)
    assert org.get(OrgUnit, team.id).active


@pytest.mark.parametrize("use", ["user", "assignment", "sub_unit", "dossier"])
def test_a_used_unit_is_never_deleted(org, use):
    kh = new_unit(org, "BN-KH")
    if use == "user":
        new_user(org, "t_member", home="BN-KH")
    elif use == "assignment":
        vanphong = actor_named(org, "vanphong").user_id
        people.add_assignment(org, admin(org), vanphong, role="unit_head", unit_id=kh.id)
    elif use == "sub_unit":
        new_unit(org, "BN-KH-1", parent="BN-KH")
    else:
        org.add(
            Dossier(
                title="Hồ sơ cũ", award_form="bk_btc", track="ad_hoc", procedure="regular",
                unit_id=kh.id, created_by_id=actor_named(org, "canbo_ns").user_id,
            )
        )  # fmt: skip
    org.commit()
    assert not people.unit_usage(org, admin(org), kh.id).deletable
    with pytest.raises(ConflictError) as refused:
        people.delete_unit(org, admin(org), kh.id)
    assert refused.value.code == "unit_in_use"
    org.rollback()
    assert org.get(OrgUnit, kh.id) is not None


# --- roles ----------------------------------------------------------------------------------


def test_a_new_role_is_known_to_the_diagram_check(org):
    assert "deputy_director" not in process_versions.known_roles(org)
    role = people.create_role(org, admin(org), code="deputy_director", name="Phó Giám đốc Sở")
    org.commit()
    assert role.code == "deputy_director"
    assert "deputy_director" in process_versions.known_roles(org)
    rows = {row.role.code: row for row in people.list_roles(org, admin(org))}
    assert rows["deputy_director"].holders == 0
    assert rows["council_member"].holders == 5


@pytest.mark.parametrize("code", ["Deputy", "deputy-director", "1deputy", "phó_gđ", "", "a" * 51])
def test_role_codes_are_identifiers(org, code):
    with pytest.raises(InvalidDataError) as bad:
        people.create_role(org, admin(org), code=code, name="Vai trò")
    assert bad.value.code in {"role_code_format", "required"}
    assert set(bad.value.fields) == {"code"}


def test_role_codes_are_unique_and_names_change(org):
    with pytest.raises(InvalidDataError) as taken:
        people.create_role(org, admin(org), code="office", name="Văn phòng")
    assert field_error(taken) == ("role_code_taken", {"code"})
    people.rename_role(org, admin(org), "office", name="Văn phòng Sở Tài chính")
    assert org.get(Role, "office").name == "Văn phòng Sở Tài chính"
    with pytest.raises(InvalidDataError):
        people.rename_role(org, admin(org), "office", name=" ")
    with pytest.raises(NotFoundError):
        people.rename_role(org, admin(org), "no_such_role", name="X")


# --- users ----------------------------------------------------------------------------------


def test_creating_a_user_stores_a_hash_and_checks_every_field(org):
    user = new_user(org, "t_lan", full_name="Trần Thị Lan", email="lan@example.invalid")
    org.commit()
    assert user.password_hash != PASSWORD
    assert auth.authenticate(org, "t_lan", PASSWORD).id == user.id
    cases = [
        ({"username": "t_lan"}, "username_taken", "username"),
        ({"username": "Lan Tran"}, "username_format", "username"),
        ({"password": "short"}, "password_short", "password"),
        ({"email": "not-an-address"}, "email_format", "email"),
        ({"full_name": " "}, "required", "full_name"),
    ]
    for changes, code, field_name in cases:
        username = changes.pop("username", "t_other")
        with pytest.raises(InvalidDataError) as bad:
            new_user(org, username, **changes)
        assert field_error(bad) == (code, {field_name}), changes
    assert org.scalar(select(User.id).where(User.username == "t_other")) is None


def test_the_user_list_searches_without_diacritics_and_filters(org):
    bn = unit_id(org, "BN")

    def names(**filters):
        listed = people.list_users(org, admin(org), people.UserFilters(**filters))
        return [user.username for user in listed.users]

    assert names(q="nguyen van duc") == ["giamdoc"]
    assert names(q="ĐỨC") == ["giamdoc", "hoidong3"]  # Nguyễn Văn Đức, Bùi Đức Thắng
    assert names(q="HOIDONG") == ["hoidong1", "hoidong2", "hoidong3", "hoidong4"]
    in_bac_ninh = names(unit_id=bn)
    assert "canbo_ns" in in_bac_ninh  # home unit BN-QLNS is below BN
    assert "vanphong_hn" not in in_bac_ninh
    new_user(org, "t_gone", full_name="Nguyễn Thị Đã Nghỉ")
    people.deactivate_user(
        org, admin(org), org.scalars(select(User.id).where(User.username == "t_gone")).one()
    )
    assert names(q="da nghi") == ["t_gone"]
    assert names(q="da nghi", active=True) == []
    assert names(active=False) == ["t_gone"]


def test_details_change_and_usernames_stay_unique(org):
    user = new_user(org, "t_nam")
    changed = people.update_user(
        org, admin(org), user.id,
        people.UserData("t_nam2", "Trần Văn Nam", "nam@example.invalid", unit_id(org, "HN"), True),
    )  # fmt: skip
    assert (changed.username, changed.unit_id, changed.is_admin) == (
        "t_nam2", unit_id(org, "HN"), True,
    )  # fmt: skip
    with pytest.raises(InvalidDataError) as taken:
        people.update_user(
            org, admin(org), user.id,
            people.UserData("vanphong", "Trần Văn Nam", None, unit_id(org, "HN")),
        )  # fmt: skip
    assert field_error(taken) == ("username_taken", {"username"})


def test_administrators_cannot_lock_themselves_out(org):
    me = admin(org)
    with pytest.raises(ConflictError) as deactivate:
        people.deactivate_user(org, me, me.user_id)
    assert deactivate.value.code == "self_deactivate"
    with pytest.raises(ConflictError) as remove:
        people.delete_user(org, me, me.user_id)
    assert remove.value.code == "self_delete"
    with pytest.raises(InvalidDataError) as flag:
        people.update_user(
            org, me, me.user_id,
            people.UserData("admin", "Quản trị hệ thống", None, unit_id(org, "BTC"), False),
        )  # fmt: skip
    assert field_error(flag) == ("self_admin", {"is_admin"})
    org.rollback()
    myself = org.get(User, me.user_id)
    assert myself.active
    assert myself.is_admin
    # Another administrator may take the flag away.
    second = new_user(org, "t_admin2", is_admin=True)
    people.update_user(
        org, actor_for_user(org, second), me.user_id,
        people.UserData("admin", "Quản trị hệ thống", None, unit_id(org, "BTC"), False),
    )  # fmt: skip
    assert not org.get(User, me.user_id).is_admin


def test_a_user_who_never_acted_is_deleted_with_roles_and_tokens(org):
    user = new_user(org, "t_new")
    people.add_assignment(org, admin(org), user.id, role="office", unit_id=unit_id(org, "BN"))
    auth.issue_token(org, user)
    org.commit()
    assert not people.user_activity(org, admin(org), user.id).acted
    people.delete_user(org, admin(org), user.id)
    org.commit()
    assert org.get(User, user.id) is None
    assert org.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id)).all() == []
    assert org.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def officer_with_dossier(org):
    user = new_user(org, "t_officer", home="BN-QLNS")
    people.add_assignment(
        org, admin(org), user.id, role="unit_officer", unit_id=unit_id(org, "BN-QLNS")
    )
    org.commit()
    dossier = dossiers.start_dossier(org, actor_for_user(org, user), NEW_DOSSIER)
    org.commit()
    return user, dossier


def test_a_user_who_acted_is_deactivated_never_deleted(org):
    user, _dossier = officer_with_dossier(org)
    activity = people.user_activity(org, admin(org), user.id)
    assert activity.acted
    assert activity.dossiers_created == 1
    assert activity.events >= 1
    with pytest.raises(ConflictError) as refused:
        people.delete_user(org, admin(org), user.id)
    assert refused.value.code == "user_acted"
    org.rollback()
    assert org.get(User, user.id) is not None
    people.deactivate_user(org, admin(org), user.id)
    org.commit()
    assert not org.get(User, user.id).active


def test_a_deactivated_user_can_neither_log_in_nor_use_a_token(org):
    user = new_user(org, "t_token")
    token = auth.issue_token(org, user).token
    org.commit()
    assert auth.actor_for_token(org, token).user_id == user.id
    people.deactivate_user(org, admin(org), user.id)
    org.commit()
    with pytest.raises(NotAuthenticatedError):
        auth.authenticate(org, "t_token", PASSWORD)
    with pytest.raises(NotAuthenticatedError):
        auth.actor_for_token(org, token)
    people.reactivate_user(org, admin(org), user.id)
    org.commit()
    assert auth.authenticate(org, "t_token", PASSWORD).id == user.id
    with pytest.raises(NotAuthenticatedError):  # the old token stays revoked
        auth.actor_for_token(org, token)


def test_an_inactive_users_token_is_refused_even_unrevoked(org):
    user = new_user(org, "t_token2")
    token = auth.issue_token(org, user).token
    org.commit()
    org.execute(update(User).where(User.id == user.id).values(active=False))
    org.commit()
    assert org.scalars(select(ApiToken.revoked_at).where(ApiToken.user_id == user.id)).one() is None
    with pytest.raises(NotAuthenticatedError):
        auth.actor_for_token(org, token)


def test_a_new_password_replaces_the_old_and_ends_tokens(org):
    user = new_user(org, "t_pw")
    token = auth.issue_token(org, user).token
    with pytest.raises(InvalidDataError) as short:
        people.set_password(org, admin(org), user.id, password="1234567")
    assert field_error(short) == ("password_short", {"password"})
    people.set_password(org, admin(org), user.id, password="mot-mat-khau-moi")
    org.commit()
    assert auth.authenticate(org, "t_pw", "mot-mat-khau-moi").id == user.id
    with pytest.raises(NotAuthenticatedError):
        auth.authenticate(org, "t_pw", PASSWORD)
    with pytest.raises(NotAuthenticatedError):
        auth.actor_for_token(org, token)


def test_deactivating_gives_the_users_taken_steps_back(org):
    user, dossier = officer_with_dossier(org)
    [item] = org.scalars(
        select(WorkItem).where(WorkItem.dossier_id == dossier.id, WorkItem.status == "open")
    ).all()
    work_items.claim_work_item(org, actor_for_user(org, user), item.id)
    org.commit()
    people.deactivate_user(org, admin(org), user.id)
    org.commit()
    org.refresh(item)
    assert item.claimed_by_id is None
    released = org.scalars(
        select(Event).where(Event.dossier_id == dossier.id, Event.action == "released")
    ).one()
    assert released.actor_id == admin(org).user_id
    assert released.data["released_for"] == "t_officer"


# --- role assignments -----------------------------------------------------------------------


def test_role_assignments_are_added_once_and_removed(org):
    user = new_user(org, "t_grant")
    bn = unit_id(org, "BN")
    granted = people.add_assignment(org, admin(org), user.id, role="office", unit_id=bn)
    org.commit()
    assert bn in actor_for_user(org, user).scopes["office"]
    with pytest.raises(InvalidDataError) as twice:
        people.add_assignment(org, admin(org), user.id, role="office", unit_id=bn)
    assert field_error(twice) == ("assignment_duplicate", {"role"})
    with pytest.raises(InvalidDataError) as unknown:
        people.add_assignment(org, admin(org), user.id, role="no_such_role", unit_id=bn)
    assert field_error(unknown) == ("role_unknown", {"role"})
    # The same role in another unit is a different assignment.
    people.add_assignment(org, admin(org), user.id, role="office", unit_id=unit_id(org, "HN"))
    assert len(people.user_roles(org, admin(org), user.id)) == 2
    other = actor_named(org, "vanphong").user_id
    with pytest.raises(NotFoundError):
        people.remove_assignment(org, admin(org), other, granted.id)
    people.remove_assignment(org, admin(org), user.id, granted.id)
    org.commit()
    assert [a.unit_id for a in people.user_roles(org, admin(org), user.id)] == [unit_id(org, "HN")]


def test_a_value_taken_at_the_same_moment_is_a_field_error_not_a_crash(org):
    def insert_taken_code():
        # As if another request stored the same code between the check and the flush.
        with unique_flush(org, "role_code_taken", "code", "this role exists already"):
            org.add(Role(code="office", name="Văn phòng (trùng)"))
            org.flush()

    with pytest.raises(InvalidDataError) as taken:
        insert_taken_code()
    assert field_error(taken) == ("role_code_taken", {"code"})
    # Only the savepoint was lost: the transaction goes on.
    people.create_role(org, admin(org), code="deputy_director", name="Phó Giám đốc Sở")
    org.commit()
    assert org.get(Role, "office").name == "Văn phòng Sở"
    assert org.get(Role, "deputy_director") is not None


def reach_from_the_tree(session: Session, user: User) -> Actor:
    """The actor of `user` with each role expanded over the whole organisation tree in Python:
    what the SQL reach of the token's and the page's actor must equal."""
    children = unit_children(session)
    assignments = session.execute(
        select(RoleAssignment.role, RoleAssignment.unit_id).where(RoleAssignment.user_id == user.id)
    ).all()
    reach = [
        (role, granted, unit)
        for role, granted in assignments
        for unit in descendants(children, granted)
    ]
    return actor_of(user.id, user.username, user.full_name, user.unit_id, user.is_admin, reach)


def test_the_token_and_the_page_reach_what_the_tree_reaches(org):
    """The API and the pages read an actor's units in SQL (a recursive query over the user's
    own assignments): both give every demo user, and a role granted on a department, the reach
    the whole tree gives, down to a unit two levels below."""
    division = new_unit(org, "T_DIV")
    team = new_unit(org, "T_TEAM", parent="T_DIV")
    user = new_user(org, "t_reach")
    people.add_assignment(org, admin(org), user.id, role="office", unit_id=unit_id(org, "BN"))
    people.add_assignment(org, admin(org), user.id, role="unit_head", unit_id=division.id)
    org.commit()
    for someone in org.scalars(select(User).where(User.active.is_(True))):
        token = auth.issue_token(org, someone).token
        expected = reach_from_the_tree(org, someone)
        assert auth.actor_for_token(org, token) == expected, someone.username
        assert actor_for_user(org, someone) == expected, someone.username
    token = auth.issue_token(org, user).token
    reach = auth.actor_for_token(org, token)
    assert {division.id, team.id, unit_id(org, "BN")} <= reach.scopes["office"]
    assert reach.scopes["unit_head"] == {division.id, team.id}
    assert reach.grants == {"office": {unit_id(org, "BN")}, "unit_head": {division.id}}
