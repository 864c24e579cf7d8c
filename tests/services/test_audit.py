"""The security audit trail as a service: events are appended, listed newest first a page at a
time, readable by administrators only; the session-ending use cases write their line."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import actor_named
from webapp.models import AuditEvent, User
from webapp.services import audit, auth
from webapp.services.errors import PermissionDeniedError


def test_events_are_listed_newest_first_a_page_at_a_time(db):
    admin = actor_named(db, "admin")
    for n in range(7):
        audit.record_event(db, audit.LOGIN, username=f"u{n}", address="192.0.2.1")
    db.commit()
    first = audit.list_events(db, admin, per_page=3)
    assert [line.event.username for line in first.lines] == ["u6", "u5", "u4"]
    second = audit.list_events(db, admin, before=first.older, per_page=3)
    assert [line.event.username for line in second.lines] == ["u3", "u2", "u1"]
    last = audit.list_events(db, admin, before=second.older, per_page=3)
    assert [line.event.username for line in last.lines] == ["u0"]
    assert last.older is None


def test_only_administrators_read_the_trail(db):
    with pytest.raises(PermissionDeniedError):
        audit.list_events(db, actor_named(db, "vanphong"))


def test_an_unknown_kind_is_a_programming_error(db):
    with pytest.raises(ValueError, match="kind"):
        audit.record_event(db, "coffee_break")


def test_long_usernames_and_addresses_are_cut_to_their_columns(db):
    event = audit.record_event(db, audit.LOGIN_REFUSED, username="x" * 500, address="y" * 500)
    db.commit()
    assert len(event.username or "") == 80
    assert len(event.address or "") == 64


def test_a_refused_login_names_the_account_when_it_exists(db):
    known = audit.record_refused_login(db, "vanphong", address="192.0.2.9", detail={"a": 1})
    unknown = audit.record_refused_login(db, "no_such_user", address=None, detail={})
    db.commit()
    vanphong = db.scalars(select(User.id).where(User.username == "vanphong")).one()
    assert known.user_id == vanphong
    assert unknown.user_id is None
    assert unknown.username == "no_such_user"


def test_log_out_ends_sessions_and_is_recorded_with_the_names(db):
    user = db.scalars(select(User).where(User.username == "hoidong1")).one()
    before = user.session_generation
    auth.log_out(db, user.id, address="192.0.2.7")
    db.commit()
    assert user.session_generation == before + 1
    [line] = audit.list_events(db, actor_named(db, "admin")).lines
    assert line.event.kind == audit.LOGOUT
    assert line.user_name == user.full_name
    assert line.actor_name is None


def test_authentication_uses_the_normalised_username(db):
    assert auth.normalise_username("  VanPhong ") == "vanphong"
    assert auth.normalise_username("ｖａｎｐｈｏｎｇ") == "vanphong"
    assert auth.authenticate(db, " VanPhong", "demo").username == "vanphong"
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == 0  # reading records nothing
