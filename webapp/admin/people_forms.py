"""Forms of the people pages (units, roles, users, role assignments) and the messages that the
people service's error codes show beside their fields."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from webapp.forms import BaseForm
from webapp.services import people
from webapp.services.errors import InvalidDataError

KIND_LABELS = {
    "ministry": _l("Ministry"),
    "department": _l("Department"),
    "division": _l("Division"),
}
NO_PARENT = ""

# The people service's error codes, in the page's language.
MESSAGES = {
    "required": _l("This field is required."),
    "too_long": _l("This text is too long."),
    "unit_code_format": _l(
        "Use capital letters, digits, “-” or “_” (at most %(max)d characters).",
        max=people.UNIT_CODE_MAX,
    ),
    "unit_code_taken": _l("Another unit already has this code."),
    "unit_code_locked": _l("The unit's dossiers carry this code in theirs; it cannot change."),
    "unit_kind": _l("Choose one of the options."),
    "unit_unknown": _l("This unit does not exist."),
    "unit_inactive": _l("This unit is deactivated."),
    "unit_cycle": _l("A unit cannot be placed under itself or one of its sub-units."),
    "unit_active_children": _l(
        "This unit still has active sub-units: deactivate or move them first."
    ),
    "unit_active_users": _l(
        "Active users still belong to this unit: move them to another unit or deactivate them "
        "first."
    ),
    "unit_parent_inactive": _l("Its parent unit is deactivated: reactivate the parent first."),
    "unit_in_use": _l(
        "This unit has dossiers, users, role assignments or sub-units, so it cannot be deleted. "
        "Deactivate it instead."
    ),
    "role_code_format": _l(
        "Use lower-case letters, digits and “_”, starting with a letter (for example "
        "deputy_director)."
    ),
    "role_code_taken": _l("A role with this code exists already."),
    "role_unknown": _l("This role does not exist."),
    "username_format": _l(
        "Use lower-case letters, digits, “.”, “_” or “-”, starting with a letter or a digit."
    ),
    "username_taken": _l("Another user already has this username."),
    "email_format": _l("Enter a valid e-mail address."),
    "password_short": _l(
        "The password must have at least %(min)d characters.", min=people.PASSWORD_MIN
    ),
    "password_long": _l("The password is too long."),
    "self_admin": _l("You cannot remove your own administrator rights."),
    "self_deactivate": _l("You cannot deactivate your own account."),
    "self_delete": _l("You cannot delete your own account."),
    "user_acted": _l(
        "This user has acted on dossiers or processes, so the account cannot be deleted. "
        "Deactivate it instead."
    ),
    "assignment_duplicate": _l("The user already holds this role in this unit."),
}
INVALID = _l("This value is not valid.")


def message_for(code: str) -> str:
    """The page's message for a service error code."""
    return str(MESSAGES.get(code, INVALID))


def attach_errors(form: BaseForm, exc: InvalidDataError) -> list[str]:
    """Put the service's message beside each field it names; return what fits no field."""
    message = message_for(exc.code)
    unplaced = []
    for name in exc.fields or {"": ""}:
        field = form._fields.get(name)
        if isinstance(field, Field):
            field.errors = [*list(field.errors or []), message]
        else:
            unplaced.append(message)
    return list(dict.fromkeys(unplaced))


def unit_choices(
    outline: list[tuple[Any, int]],
    *,
    blank: Any = None,
    exclude: Collection[int] = (),
    keep: int | None = None,
) -> list[SelectChoice]:
    """Units in tree order, indented by depth; deactivated ones only when `keep` is one."""
    choices = [SelectChoice(NO_PARENT, str(blank))] if blank is not None else []
    for unit, depth in outline:
        if unit.id in exclude or (not unit.active and unit.id != keep):
            continue
        label = "\u2003" * depth + f"{unit.name} ({unit.code})"
        choices.append(SelectChoice(str(unit.id), label))
    return choices


def optional_int(value: Any) -> int | None:
    """A select's value as an id; the empty choice is None."""
    if value in (None, "", NO_PARENT):
        return None
    return int(value)


class UnitForm(BaseForm):
    """Create, rename or move a unit."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=people.UNIT_CODE_MAX)],
        description=_l(
            "Short and unique, for example BN-QLNS; it starts the unit's dossier codes."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(
        _l("Unit name"), validators=[DataRequired(), Length(max=people.UNIT_NAME_MAX)]
    )
    kind = SelectField(
        _l("Level"),
        choices=[SelectChoice(code, label) for code, label in KIND_LABELS.items()],
        validators=[InputRequired()],
    )
    parent_id = SelectField(
        _l("Parent unit"), choices=[], coerce=optional_int, validators=[Optional()]
    )


class RoleForm(BaseForm):
    """A new role."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=people.ROLE_CODE_MAX)],
        description=_l("The name a diagram lane uses, for example deputy_director."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(
        _l("Role name"), validators=[DataRequired(), Length(max=people.ROLE_NAME_MAX)]
    )


class RoleNameForm(BaseForm):
    """Rename a role."""

    name = StringField(
        _l("Role name"), validators=[DataRequired(), Length(max=people.ROLE_NAME_MAX)]
    )


def _password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(min=people.PASSWORD_MIN, message=MESSAGES["password_short"]),
            Length(max=people.PASSWORD_MAX, message=MESSAGES["password_long"]),
        ],
        description=_l("At least %(min)d characters.", min=people.PASSWORD_MIN),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class UserDetailsForm(BaseForm):
    """A user's details (editing an existing user)."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=people.USERNAME_MAX)],
        description=_l("Lower-case letters, digits, “.”, “_” or “-”."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    full_name = StringField(
        _l("Full name"), validators=[DataRequired(), Length(max=people.FULL_NAME_MAX)]
    )
    email = StringField(
        _l("E-mail"),
        validators=[Optional(), Length(max=people.EMAIL_MAX)],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    unit_id = SelectField(
        _l("Home unit"), choices=[], coerce=optional_int, validators=[InputRequired()]
    )
    is_admin = BooleanField(
        _l("Administrator"),
        description=_l("Administrators manage processes, units, roles and users."),
    )

    def validate_email(self, field: Field) -> None:
        """The service's e-mail rule, checked here too so every message shows at once."""
        if field.data and not people.EMAIL.match(field.data.strip()):
            raise ValidationError(message_for("email_format"))


class NewUserForm(UserDetailsForm):
    """A new user with the first password."""

    password, confirm = _password_fields()


class PasswordForm(BaseForm):
    """Set a new password."""

    password, confirm = _password_fields()


class AssignmentForm(BaseForm):
    """Grant a role within a unit."""

    role = SelectField(_l("Role"), choices=[], validators=[InputRequired()])
    unit_id = SelectField(
        _l("In unit"),
        choices=[],
        coerce=optional_int,
        validators=[InputRequired()],
        description=_l("The role applies in this unit and every unit below it."),
    )


class ConfirmChangeForm(BaseForm):
    """The confirmation of a deactivation or a role removal, after seeing the work it leaves:
    `left` carries the steps left with nobody as the page showed them."""

    confirm = HiddenField()
    left = HiddenField()

    @property
    def confirmed(self) -> bool:
        """Whether the confirm button sent it (a first POST only asks for the page)."""
        return self.confirm.data == "yes"


def user_data(form: UserDetailsForm) -> people.UserData:
    """The form as the service takes it."""
    return people.UserData(
        username=form.username.data,
        full_name=form.full_name.data,
        email=form.email.data,
        unit_id=form.unit_id.data,
        is_admin=bool(form.is_admin.data),
    )
