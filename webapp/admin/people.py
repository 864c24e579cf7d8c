"""Units, roles, users and role assignments (administrators only: see the blueprint).

Each change is one transaction: the view calls the people service, commits once, and logs the
change in the application log. A refused change comes back with the message beside its field
(422) or, for the buttons, as a message on the page it came from; nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from webapp.admin.blueprint import bp
from webapp.admin.people_forms import (
    KIND_LABELS,
    AssignmentForm,
    ConfirmChangeForm,
    NewUserForm,
    PasswordForm,
    RoleForm,
    RoleNameForm,
    UnitForm,
    UserDetailsForm,
    attach_errors,
    message_for,
    unit_choices,
    user_data,
)
from webapp.forms import ActionForm, BaseForm, query_text
from webapp.request_db import db_session
from webapp.services import people, staffing
from webapp.services.errors import ConflictError, InvalidDataError
from webapp.url_converters import query_int, query_page
from webapp.web_edge import page_actor

STATUS_CHOICES = {"active": True, "inactive": False}
CHILD_KIND = {"ministry": "department", "department": "division"}
T = TypeVar("T")


def _log(what: str, **details: Any) -> None:
    """One line per administrative change in the application log."""
    described = " ".join(f"{key}={value!r}" for key, value in details.items())
    current_app.logger.info("admin %s: %s %s", page_actor().username, what, described)


def _refused(exc: InvalidDataError | ConflictError) -> None:
    db_session().rollback()
    flash(message_for(exc.code), "danger")


def _saved(message: str) -> None:
    db_session().commit()
    flash(message, "success")


def _action_ok() -> bool:
    """The CSRF token of a button's form; an expired page says so instead of acting."""
    if ActionForm(request.form).validate():
        return True
    flash(_("The form expired. Please submit it again."), "warning")
    return False


def _apply(form: BaseForm, change: Callable[[], T]) -> T | None:
    """Validate the form, then make the change; None when refused, with each message beside its
    field and the transaction rolled back."""
    if form.validate():
        try:
            return change()
        except InvalidDataError as exc:
            db_session().rollback()
            for message in attach_errors(form, exc):
                flash(message, "danger")
    flash(_("Nothing was saved. Please correct the fields marked in red."), "danger")
    return None


def _role_names() -> dict[str, str]:
    """Each role's name by its code: pages show the name, never the code alone."""
    return {row.role.code: row.role.name for row in people.list_roles(db_session(), page_actor())}


# --- units ----------------------------------------------------------------------------------


def _unit_form_choices(form: UnitForm, unit: Any = None) -> None:
    session, actor = db_session(), page_actor()
    outline = people.unit_outline(session, actor)
    exclude = people.subtree_ids(session, unit.id) if unit is not None else set()
    form.parent_id.choices = unit_choices(
        outline,
        blank=_("— none (top of the tree) —"),
        exclude=exclude,
        keep=unit.parent_id if unit is not None else None,
    )


@bp.route("/units", methods=["GET", "POST"])
def units() -> ResponseReturnValue:
    """The organisation tree, and a form to add a unit."""
    session, actor = db_session(), page_actor()
    status = 200
    if request.method == "POST":
        form = UnitForm(request.form)
        _unit_form_choices(form)
        created = _apply(
            form,
            lambda: people.create_unit(
                session,
                actor,
                code=form.code.data,
                name=form.name.data,
                kind=form.kind.data,
                parent_id=form.parent_id.data,
            ),
        )
        if created is not None:
            _log("created unit", code=created.code, parent_id=created.parent_id)
            _saved(_("The unit %(name)s was created.", name=created.name))
            return redirect(url_for("admin.units"))
        status = 422
    else:
        # "Add a sub-unit" links here with ?parent=: that parent, and the level below it.
        parents = {u.id: u for u, _depth in people.unit_outline(session, actor) if u.active}
        parent = parents.get(request.args.get("parent", -1, type=query_int) or -1)
        kind = CHILD_KIND.get(parent.kind, "division") if parent else "ministry"
        form = UnitForm(data={"parent_id": parent.id if parent else None, "kind": kind})
        _unit_form_choices(form)
    tree = people.unit_tree(session, actor)
    return render_template(
        "admin/people/units.html", tree=tree, form=form, kinds=KIND_LABELS
    ), status


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit(unit_id: int) -> ResponseReturnValue:
    """One unit: rename it, change its level, move it, see what uses it."""
    session, actor = db_session(), page_actor()
    found = people.get_unit(session, actor, unit_id)
    status = 200
    if request.method == "POST":
        form = UnitForm(request.form)
        _unit_form_choices(form, found)
        changed = _apply(
            form,
            lambda: people.update_unit(
                session,
                actor,
                unit_id,
                code=form.code.data,
                name=form.name.data,
                kind=form.kind.data,
                parent_id=form.parent_id.data,
            ),
        )
        if changed is not None:
            _log("changed unit", unit_id=unit_id, code=changed.code, parent_id=changed.parent_id)
            _saved(_("The unit was saved."))
            return redirect(url_for("admin.unit", unit_id=unit_id))
        status = 422
        # The rollback expired the unit; read it again as stored.
        found = people.get_unit(session, actor, unit_id)
    else:
        form = UnitForm(obj=found)
        _unit_form_choices(form, found)
    return _unit_page(found, form), status


def _unit_page(found: Any, form: UnitForm) -> str:
    session, actor = db_session(), page_actor()
    users = people.list_users(session, actor, people.UserFilters(unit_id=found.id))
    return render_template(
        "admin/people/unit.html",
        unit=found,
        form=form,
        kinds=KIND_LABELS,
        usage=people.unit_usage(session, actor, found.id),
        users=users,
        assignments=people.unit_assignments(session, actor, found.id),
        role_names=_role_names(),
        children=sorted(
            (u for u, _depth in people.unit_outline(session, actor) if u.parent_id == found.id),
            key=lambda u: u.name,
        ),
    )


def _unit_action(unit_id: int, change: Any, done: str, what: str) -> Response:
    session, actor = db_session(), page_actor()
    people.get_unit(session, actor, unit_id)
    if _action_ok():
        try:
            changed = change(session, actor, unit_id)
            _log(what, unit_id=unit_id)
            _saved(done)
            if changed is None:
                return redirect(url_for("admin.units"))
        except (InvalidDataError, ConflictError) as exc:
            _refused(exc)
    return redirect(url_for("admin.unit", unit_id=unit_id))


@bp.post("/units/<int:unit_id>/deactivate")
def unit_deactivate(unit_id: int) -> ResponseReturnValue:
    """Stop offering the unit (its dossiers and history stay)."""
    return _unit_action(
        unit_id, people.deactivate_unit, _("The unit was deactivated."), "deactivated unit"
    )


@bp.post("/units/<int:unit_id>/activate")
def unit_activate(unit_id: int) -> ResponseReturnValue:
    """Offer a deactivated unit again."""
    return _unit_action(
        unit_id, people.reactivate_unit, _("The unit is active again."), "reactivated unit"
    )


@bp.post("/units/<int:unit_id>/delete")
def unit_delete(unit_id: int) -> ResponseReturnValue:
    """Delete a unit that was never used."""
    return _unit_action(unit_id, people.delete_unit, _("The unit was deleted."), "deleted unit")


# --- roles ----------------------------------------------------------------------------------


@bp.route("/roles", methods=["GET", "POST"])
def roles() -> ResponseReturnValue:
    """Every role with how many people hold it, and a form to add one."""
    session, actor = db_session(), page_actor()
    form = RoleForm(request.form) if request.method == "POST" else RoleForm()
    status = 200
    if request.method == "POST":
        created = _apply(
            form,
            lambda: people.create_role(session, actor, code=form.code.data, name=form.name.data),
        )
        if created is not None:
            _log("created role", code=created.code)
            _saved(
                _("The role %(code)s was created; diagram lanes may use it now.", code=created.code)
            )
            return redirect(url_for("admin.roles"))
        status = 422
    rows = people.list_roles(session, actor)
    return render_template("admin/people/roles.html", rows=rows, form=form), status


@bp.route("/roles/<code>", methods=["GET", "POST"])
def role(code: str) -> ResponseReturnValue:
    """One role: rename it and see who holds it where."""
    session, actor = db_session(), page_actor()
    found = people.get_role(session, actor, code)
    status = 200
    if request.method == "POST":
        form = RoleNameForm(request.form)
        if _apply(form, lambda: people.rename_role(session, actor, code, name=form.name.data)):
            _log("renamed role", code=code)
            _saved(_("The role was renamed."))
            return redirect(url_for("admin.role", code=code))
        status = 422
        found = people.get_role(session, actor, code)
    else:
        form = RoleNameForm(obj=found)
    return render_template(
        "admin/people/role.html",
        role=found,
        form=form,
        assignments=people.role_assignments(session, actor, code),
    ), status


# --- users ----------------------------------------------------------------------------------


def _home_choices(form: UserDetailsForm, keep: int | None = None) -> None:
    outline = people.unit_outline(db_session(), page_actor())
    form.unit_id.choices = unit_choices(outline, blank=_("— choose —"), keep=keep)


@bp.get("/users")
def users() -> ResponseReturnValue:
    """Users, searched (diacritics ignored), by unit (and the units below) and status."""
    session, actor = db_session(), page_actor()
    outline = people.unit_outline(session, actor)
    known = {u.id for u, _depth in outline}
    unit_id = request.args.get("unit_id", type=query_int)
    status = request.args.get("status", "")
    query = {
        "q": query_text(request.args.get("q")),
        "unit_id": unit_id if unit_id in known else None,
        "status": status if status in STATUS_CHOICES else "",
    }
    listed = people.list_users(
        session,
        actor,
        people.UserFilters(
            q=query["q"] or None,
            unit_id=query["unit_id"],
            active=STATUS_CHOICES.get(query["status"]),
        ),
        page=request.args.get("page", 1, type=query_page) or 1,
    )
    args = {key: value for key, value in query.items() if value}
    return render_template(
        "admin/people/users.html",
        listed=listed,
        query=query,
        args=args,
        filtered=bool(args),
        units=unit_choices(outline, keep=query["unit_id"]),
        role_names=_role_names(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> ResponseReturnValue:
    """Add a user with a first password."""
    session, actor = db_session(), page_actor()
    status = 200
    if request.method == "POST":
        form = NewUserForm(request.form)
        _home_choices(form)
        created = _apply(
            form,
            lambda: people.create_user(
                session, actor, user_data(form), password=form.password.data
            ),
        )
        if created is not None:
            _log("created user", username=created.username, is_admin=created.is_admin)
            _saved(
                _(
                    "The user %(username)s was created. Give them their roles below.",
                    username=created.username,
                )
            )
            return redirect(url_for("admin.user", user_id=created.id))
        status = 422
    else:
        form = NewUserForm(data={"unit_id": request.args.get("unit_id", type=query_int)})
        _home_choices(form)
    return render_template("admin/people/user_new.html", form=form), status


def _user_page(
    user_id: int,
    *,
    details: UserDetailsForm | None = None,
    password: PasswordForm | None = None,
    assignment: AssignmentForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session, actor = db_session(), page_actor()
    user = people.get_user(session, actor, user_id)
    if details is None:
        details = UserDetailsForm(obj=user)
    _home_choices(details, keep=user.unit_id)
    password = password or PasswordForm(prefix="pw-")
    assignment = assignment or AssignmentForm(prefix="grant-")
    _assignment_choices(assignment)
    return render_template(
        "admin/people/user.html",
        user=user,
        details=details,
        password=password,
        assignment=assignment,
        assignments=people.user_roles(session, actor, user_id),
        activity=people.user_activity(session, actor, user_id),
        waiting=people.steps_waiting_for(session, actor, user_id),
        left_alone=staffing.deactivation_impact(session, actor, user_id).gaps,
        role_names=_role_names(),
        is_self=user.id == actor.user_id,
    ), status


def _assignment_choices(form: AssignmentForm) -> None:
    session, actor = db_session(), page_actor()
    form.role.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(row.role.code, row.role.name) for row in people.list_roles(session, actor)
    ]
    form.unit_id.choices = unit_choices(people.unit_outline(session, actor), blank=_("— choose —"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> ResponseReturnValue:
    """One user: details, roles, password, deactivation."""
    session, actor = db_session(), page_actor()
    found = people.get_user(session, actor, user_id)
    if request.method == "GET":
        return _user_page(user_id)
    form = UserDetailsForm(request.form)
    _home_choices(form, keep=found.unit_id)
    changed = _apply(form, lambda: people.update_user(session, actor, user_id, user_data(form)))
    if changed is not None:
        _log("changed user", user_id=user_id, username=changed.username, admin=changed.is_admin)
        _saved(_("The user's details were saved."))
        return redirect(url_for("admin.user", user_id=user_id))
    return _user_page(user_id, details=form, status=422)


@bp.post("/users/<int:user_id>/password")
def user_password(user_id: int) -> ResponseReturnValue:
    """Set a new password (the user's API tokens stop working)."""
    session, actor = db_session(), page_actor()
    people.get_user(session, actor, user_id)
    form = PasswordForm(request.form, prefix="pw-")
    if _apply(
        form, lambda: people.set_password(session, actor, user_id, password=form.password.data)
    ):
        _log("set password", user_id=user_id)
        _saved(_("The new password was set."))
        return redirect(url_for("admin.user", user_id=user_id))
    return _user_page(user_id, password=form, status=422)


@bp.post("/users/<int:user_id>/roles")
def assignment_add(user_id: int) -> ResponseReturnValue:
    """Grant a role within a unit."""
    session, actor = db_session(), page_actor()
    people.get_user(session, actor, user_id)
    form = AssignmentForm(request.form, prefix="grant-")
    _assignment_choices(form)
    granted = _apply(
        form,
        lambda: people.add_assignment(
            session, actor, user_id, role=form.role.data, unit_id=form.unit_id.data
        ),
    )
    if granted is not None:
        _log("granted role", user_id=user_id, role=granted.role, unit_id=granted.unit_id)
        _saved(_("The role was granted."))
        return redirect(url_for("admin.user", user_id=user_id))
    return _user_page(user_id, assignment=form, status=422)


@bp.route("/users/<int:user_id>/roles/<int:assignment_id>/remove", methods=["GET", "POST"])
def assignment_remove(user_id: int, assignment_id: int) -> ResponseReturnValue:
    """Take a role assignment away, after a page that lists the steps it would leave."""
    session, actor = db_session(), page_actor()
    user = people.get_user(session, actor, user_id)
    impact = staffing.removal_impact(session, actor, user_id, assignment_id)
    assignment = next(
        a for a in people.user_roles(session, actor, user_id) if a.id == assignment_id
    )
    back = redirect(url_for("admin.user", user_id=user_id))
    if request.method == "POST":
        if not _action_ok():
            return back
        form = ConfirmChangeForm(request.form)
        if form.confirmed and form.left.data == impact.fingerprint:
            people.remove_assignment(session, actor, user_id, assignment_id)
            _log("removed role", user_id=user_id, assignment_id=assignment_id)
            _saved(_("The role was removed."))
            return back
        if form.confirmed:
            return _confirm_page(user, impact, assignment=assignment, changed=True)
    return _confirm_page(user, impact, assignment=assignment)


def _confirm_page(
    user: Any, impact: staffing.ChangeImpact, *, assignment: Any = None, changed: bool = False
) -> ResponseReturnValue:
    """What a deactivation (or, with `assignment`, a role removal) would leave, and the button
    that makes it; `changed`: the work changed since the page was shown (409)."""
    if changed:
        flash(
            _("The work waiting changed since the page was shown: check it again, then confirm."),
            "warning",
        )
    return render_template(
        "admin/people/confirm_change.html",
        user=user,
        impact=impact,
        assignment=assignment,
        form=ConfirmChangeForm(data={"confirm": "yes", "left": impact.fingerprint}),
        role_names=_role_names(),
    ), 409 if changed else 200


def _user_action(user_id: int, change: Any, done: str, what: str) -> Response:
    session, actor = db_session(), page_actor()
    people.get_user(session, actor, user_id)
    if _action_ok():
        try:
            change(session, actor, user_id)
            _log(what, user_id=user_id)
            _saved(done)
            if change is people.delete_user:
                return redirect(url_for("admin.users"))
        except (InvalidDataError, ConflictError) as exc:
            _refused(exc)
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
def user_deactivate(user_id: int) -> ResponseReturnValue:
    """The user can no longer log in nor use the API, after a page that lists the steps
    waiting for them and who else can take each."""
    session, actor = db_session(), page_actor()
    user = people.get_user(session, actor, user_id)
    back = redirect(url_for("admin.user", user_id=user_id))
    if request.method == "POST" and not _action_ok():
        return back
    if user.id == actor.user_id:
        flash(message_for("self_deactivate"), "danger")
        return back
    if not user.active:
        return back
    impact = staffing.deactivation_impact(session, actor, user_id)
    if request.method == "POST":
        form = ConfirmChangeForm(request.form)
        if form.confirmed and form.left.data == impact.fingerprint:
            return _user_action(
                user_id, people.deactivate_user, _("The user was deactivated."), "deactivated user"
            )
        if form.confirmed:
            return _confirm_page(user, impact, changed=True)
    return _confirm_page(user, impact)


@bp.post("/users/<int:user_id>/activate")
def user_activate(user_id: int) -> ResponseReturnValue:
    """The user may log in again."""
    return _user_action(
        user_id, people.reactivate_user, _("The user is active again."), "reactivated user"
    )


@bp.post("/users/<int:user_id>/delete")
def user_delete(user_id: int) -> ResponseReturnValue:
    """Delete a user who never acted."""
    return _user_action(user_id, people.delete_user, _("The user was deleted."), "deleted user")
