"""Passwords, API tokens and the actor behind a request."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, true, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.db import utcnow
from webapp.models import ApiToken, RoleAssignment, User
from webapp.permissions import Actor
from webapp.services import audit
from webapp.services.actors import actor_of, assignments_reach
from webapp.services.errors import NotAuthenticatedError
from webapp.services.settings import settings_of

# Checked against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))
USERNAME_MAX = 80


@dataclass(frozen=True)
class IssuedToken:
    """A new bearer token (shown once) and when it expires."""

    token: str
    expires_at: datetime


def hash_password(password: str) -> str:
    """A salted hash for storing."""
    return generate_password_hash(password)


def normalise_username(value: str) -> str:
    """A typed username as it is looked up and counted: compatibility forms folded, no spaces
    around it, lower case (usernames are stored so)."""
    return unicodedata.normalize("NFKC", value).strip().lower()[:USERNAME_MAX]


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials; the same error whether the user exists or not."""
    user = session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        raise NotAuthenticatedError("wrong username or password", code="bad_credentials")
    if not check_password_hash(user.password_hash, password):
        raise NotAuthenticatedError("wrong username or password", code="bad_credentials")
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """Every session and remember cookie of the user stops working (their id carries the old
    generation)."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_generation=User.session_generation + 1)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()


def record_login(
    session: Session, user: User, *, address: str | None, via: str, remember: bool = False
) -> None:
    """A successful login (page or API) in the audit trail."""
    detail: dict[str, object] = {"via": via}
    if remember:
        detail["remember"] = True
    audit.record_event(
        session,
        audit.LOGIN,
        username=user.username,
        user_id=user.id,
        address=address,
        detail=detail,
    )


def log_out(session: Session, user_id: int, *, address: str | None) -> None:
    """Log the user out everywhere: every page session and remember cookie of theirs ends.
    Their API tokens stay: they belong to programs, end on their own, are revoked one by one,
    and all together on a password change or deactivation."""
    end_sessions(session, user_id)
    user = session.get_one(User, user_id)
    audit.record_event(
        session, audit.LOGOUT, username=user.username, user_id=user.id, address=address
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User) -> IssuedToken:
    """Create a bearer token for `user`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + settings_of(session).token_lifetime
    session.add(ApiToken(user_id=user.id, token_hash=_digest(token), expires_at=expires))
    session.flush()
    return IssuedToken(token, expires)


# The token, its user and the units each of the user's roles reaches, in one query (a row per
# role and unit): every API request pays for it, so the statement is built once and reads plain
# columns (no entity is made for the token or the user, nor the organisation tree read).
_REACH = assignments_reach(
    select(RoleAssignment.role, RoleAssignment.unit_id.label("granted"), RoleAssignment.unit_id)
    .join(ApiToken, ApiToken.user_id == RoleAssignment.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)
_TOKEN_ACTOR = (
    select(
        ApiToken.revoked_at,
        ApiToken.expires_at,
        User.id,
        User.username,
        User.full_name,
        User.unit_id,
        User.is_admin,
        User.active,
        _REACH.c.role,
        _REACH.c.granted,
        _REACH.c.unit_id,
    )
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(_REACH, true())
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def actor_for_token(session: Session, token: str | None) -> Actor:
    """The actor a bearer token belongs to; NotAuthenticatedError if it is missing or dead."""
    if not token:
        raise NotAuthenticatedError("a bearer token is required", code="token_required")
    rows = session.execute(_TOKEN_ACTOR, {"token_hash": _digest(token)}).all()
    if not rows:
        raise NotAuthenticatedError("the token is not valid", code="token_invalid")
    revoked_at, expires_at, user_id, username, full_name, unit_id, is_admin, active = rows[0][:8]
    if revoked_at is not None or expires_at <= utcnow() or not active:
        raise NotAuthenticatedError("the token has expired or was revoked", code="token_invalid")
    reach = [(row[8], row[9], row[10]) for row in rows if row[8] is not None]
    return actor_of(user_id, username, full_name, unit_id, is_admin, reach)


def revoke_token(session: Session, token: str) -> None:
    """Revoke the token in use."""
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if api_token is not None and api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
        session.flush()
