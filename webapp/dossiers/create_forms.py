"""The new-dossier form: header fields and a nominee list that grows row by row.

The field names are those of the API's POST /dossiers body (and of the preparing step's form),
so that the service's field paths (`nominees.0.name`) lead back to the field that caused them.
The same editor corrects a dossier at its preparing step (`CorrectDossierForm`): each row
carries its nominee's id, the award form stays as created, and a comment says what changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    FileField,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput, TextInput

from webapp.dossier_view import AWARD_FORM_LABELS, KIND_LABELS, PROCEDURE_LABELS, TRACK_LABELS
from webapp.field_messages import field_message, upload_message
from webapp.forms import BaseForm
from webapp.services.attachments import Upload, check_upload
from webapp.services.dossier_intake import REPORT_KIND, NomineeReport
from webapp.services.errors import InvalidDataError
from webapp.services.form_validation import FormInvalidError
from webapp.wtforms_messages import CATALOG_TRANSLATIONS

DATE_FORMAT = "%d/%m/%Y"
MAX_NOMINEES = 200
ACCEPT = ".pdf,.doc,.docx,.png,.jpg,.jpeg"
NOT_GIVEN = _l("— not given —")
NOT_CHOSEN = _l("— choose —")

INDIVIDUAL_ONLY = (
    "gender",
    "birth_date",
    "staff_category",
    "posthumous",
    "unit",
    "death_date",
    "next_of_kin",
)
COLLECTIVE_ONLY = ("org_unit_id",)


def _choices(labels: Mapping[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class NomineeForm(Form):
    """One row of the nominee list (no CSRF of its own: the dossier form carries it)."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            # WTForms' own messages in the page's language, as in BaseForm.
            return CATALOG_TRANSLATIONS

    kind = SelectField(
        _l("Kind"),
        choices=_choices(KIND_LABELS),
        default="individual",
        validators=[InputRequired()],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=300)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=300)])
    gender = SelectField(
        _l("Gender"),
        choices=_choices({"": NOT_GIVEN, "male": _l("Male"), "female": _l("Female")}),
        validators=[Optional()],
    )
    # A text box, not the browser's date picker: people type dd/mm/yyyy.
    birth_date = DateField(
        _l("Date of birth"),
        format=DATE_FORMAT,
        widget=TextInput(),
        validators=[Optional()],
        invalid_value_message=_l("Enter a valid date (dd/mm/yyyy)."),
        render_kw={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"},
    )
    staff_category = SelectField(
        _l("Staff category"),
        choices=_choices(
            {"": NOT_GIVEN, "manager": _l("Manager"), "frontline": _l("Frontline worker")}
        ),
        validators=[Optional()],
    )
    posthumous = BooleanField(_l("Posthumous award"))
    death_date = DateField(
        _l("Date of death"),
        format=DATE_FORMAT,
        widget=TextInput(),
        validators=[Optional()],
        invalid_value_message=_l("Enter a valid date (dd/mm/yyyy)."),
        description=_l("For a posthumous award."),
        render_kw={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"},
    )
    next_of_kin = StringField(
        _l("Relative who receives the award"),
        validators=[Optional(), Length(max=300)],
        description=_l("For a posthumous award: name and relationship."),
    )
    # Choices are the organisation's units, set per request (`load_choices`).
    org_unit_id = SelectField(
        _l("Organisation unit"),
        choices=[],
        validate_choice=True,
        validators=[Optional()],
        description=_l("The unit this collective is."),
    )
    achievement = TextAreaField(
        _l("Summary of achievements"),
        validators=[Optional(), Length(max=8000)],
        render_kw={"rows": 3},
    )
    report = FileField(
        _l("Achievement report"),
        description=_l("PDF, DOC, DOCX, PNG or JPEG, up to 10 MB."),
        render_kw={"accept": ACCEPT},
    )

    def validate(self, extra_validators: Mapping[str, Any] | None = None) -> bool:
        """Validate the row; a collective's hidden individual fields are ignored, not checked."""
        valid: bool = super().validate(extra_validators)
        ignored = INDIVIDUAL_ONLY if self.kind.data == "collective" else COLLECTIVE_ONLY
        if valid:
            return valid
        for name in ignored:
            self[name].errors = []
        return not self.errors

    def validate_birth_date(self, field: Field) -> None:
        """A date of birth lies in the past."""
        zone = ZoneInfo(current_app.config["TIME_ZONE"])
        if field.data and field.data > datetime.now(zone).date():
            raise ValidationError(str(_l("The date of birth cannot be in the future.")))

    def validate_death_date(self, field: Field) -> None:
        """A date of death lies in the past, and not before the date of birth."""
        zone = ZoneInfo(current_app.config["TIME_ZONE"])
        if field.data and field.data > datetime.now(zone).date():
            raise ValidationError(str(_l("The date of death cannot be in the future.")))
        born = self.birth_date.data
        if field.data and born and field.data < born:
            raise ValidationError(str(_l("The date of death cannot be before the date of birth.")))


class NewDossierForm(BaseForm):
    """The dossier's header and its nominees; two buttons: save a draft, or create and submit."""

    title = TextAreaField(
        _l("Subject of the proposal"),
        validators=[DataRequired(), Length(max=500)],
        description=_l(
            "For example: Proposal to award the Certificate of Merit of the Minister of Finance "
            "to the collective and individuals of the budget division"
        ),
        render_kw={"rows": 2},
    )
    award_form = SelectField(
        _l("Award form"),
        choices=_choices({"": _l("— choose —"), **AWARD_FORM_LABELS}),
        validators=[InputRequired()],
    )
    track = RadioField(
        _l("Type of award"), choices=_choices(TRACK_LABELS), validators=[InputRequired()]
    )
    procedure = RadioField(
        _l("Procedure"),
        choices=_choices(PROCEDURE_LABELS),
        default="regular",
        validators=[InputRequired()],
    )
    # Not Optional(): the inline validator below must run when nothing is chosen. Choices are
    # the administrator's current list of Law 06/2022 Art. 85 cases (`load_choices`).
    simplified_case = SelectField(
        _l("Case of the simplified procedure"),
        choices=[],
        validate_choice=False,
        description=_l(
            "The case of Article 85 of the Law on Emulation and Commendation this "
            "dossier falls under."
        ),
    )
    simplified_reason = TextAreaField(
        _l("Details of the case (optional)"),
        validators=[Optional(), Length(max=2000)],
        description=_l("What makes the achievement fit the case, in a few words."),
        render_kw={"rows": 2},
    )
    nominees = FieldList(
        FormField(NomineeForm), label=_l("Nominees"), min_entries=1, max_entries=MAX_NOMINEES
    )
    # The dossier's own documents, typed so that the Office's check finds what the rules ask.
    submission_file = FileField(
        _l("The unit's submission memo"),
        description=_l("PDF, DOC, DOCX, PNG or JPEG, up to 10 MB."),
        render_kw={"accept": ACCEPT},
    )
    certification_file = FileField(
        _l("Certification or other evidence"),
        description=_l("For example a certification of an initiative or of an ad-hoc achievement."),
        render_kw={"accept": ACCEPT},
    )

    def validate_simplified_case(self, field: Field) -> None:
        """The simplified procedure names its case, one of the list offered."""
        if self.procedure.data != "simplified":
            return
        offered = {choice.value for choice in field.choices or [] if choice.value}
        if not field.data:
            raise ValidationError(str(_l("Choose the case of the simplified procedure.")))
        if field.data not in offered:
            raise ValidationError(str(_l("Choose one of the cases listed.")))


class CorrectNomineeForm(NomineeForm):
    """A row of a dossier being corrected: an existing nominee keeps its id (a new row has none)."""

    id = IntegerField(
        widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=2**63 - 1)]
    )


class CorrectDossierForm(NewDossierForm):
    """The dossier at its preparing step: the creation editor, with what the step adds."""

    # Chosen at creation; the preparing step's form does not change it.
    award_form = None  # type: ignore[assignment]
    nominees = FieldList(
        FormField(CorrectNomineeForm),
        label=_l("Nominees"),
        min_entries=1,
        max_entries=MAX_NOMINEES,
    )
    comment = TextAreaField(
        _l("What was supplemented or corrected"),
        validators=[Optional(), Length(max=4000)],
        description=_l("Read by the head of your unit and the steps after it."),
        render_kw={"rows": 2},
    )


def blank_row(
    row_form: type[NomineeForm] = NomineeForm, units: Sequence[SelectChoice] = ()
) -> NomineeForm:
    """An empty nominee row, numbered `__index__`, that the page's script copies for new rows."""
    row = row_form(prefix="nominees-__index__-")
    row.org_unit_id.choices = list(units)
    return row


def load_choices(
    form: NewDossierForm, cases: Sequence[Any], units: Sequence[Any]
) -> list[SelectChoice]:
    """Offer the current simplified-procedure cases (and, on a dossier that keeps a retired
    one, that one too) and the organisation's units; returns the unit choices."""
    chosen = form.simplified_case.data
    offered = [SelectChoice(c.code, c.label) for c in cases]
    form.simplified_case.choices = [SelectChoice("", str(NOT_CHOSEN)), *offered]
    if chosen and chosen not in {c.code for c in cases} and form.simplified_case.object_data:
        form.simplified_case.choices.append(SelectChoice(chosen, chosen))
    unit_choices = [SelectChoice("", str(NOT_GIVEN))] + [
        SelectChoice(str(u.id), u.name) for u in units
    ]
    for entry in form.nominees.entries:
        entry.form.org_unit_id.choices = unit_choices
    return unit_choices


def dossier_values(dossier: Any) -> dict[str, Any]:
    """A dossier's own fields as the correcting editor starts with them."""
    return {
        "title": dossier.title,
        "track": dossier.track,
        "procedure": dossier.procedure,
        "simplified_reason": dossier.simplified_reason,
        "simplified_case": dossier.simplified_case or "",
        "nominees": [
            {
                "id": n.id,
                "kind": n.kind,
                "name": n.name,
                "position": n.job_title,
                "gender": n.gender or "",
                "birth_date": n.birth_date,
                "staff_category": n.staff_category or "",
                "posthumous": n.posthumous,
                "achievement": n.achievement,
                "unit": n.work_unit,
                "death_date": n.death_date,
                "next_of_kin": n.next_of_kin,
                "org_unit_id": str(n.org_unit_id) if n.org_unit_id else "",
            }
            for n in sorted(dossier.nominees, key=lambda n: n.position)
        ],
    }


def _fit(data: dict[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields the step's form has (an administrator may have trimmed it)."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return data
    return {k: v for k, v in data.items() if k in properties}


def correct_payload(form: CorrectDossierForm, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The editor as the preparing step's form data (without the decision), fitted to its schema."""
    data = dossier_payload(form)
    data.pop("award_form", None)
    items = schema.get("properties", {}).get("nominees", {}).get("items", {})
    rows = []
    for row, entry in zip(data["nominees"], form.nominees.entries, strict=True):
        nominee_id = entry.form.id.data
        rows.append(_fit({"id": nominee_id, **row} if nominee_id else row, items))
    data["nominees"] = rows
    data["comment"] = _text(form.comment.data)
    return _fit(data, schema)


def _text(value: Any) -> str | None:
    text = (value or "").strip() if isinstance(value, str) else None
    return text or None


def nominee_payload(row: NomineeForm) -> dict[str, Any]:
    """A row as the API's nominee JSON; a collective has no gender, birth date or category."""
    data: dict[str, Any] = {
        "kind": row.kind.data,
        "name": (row.name.data or "").strip(),
        "position": _text(row.position.data),
        "achievement": _text(row.achievement.data),
    }
    if row.kind.data == "individual":
        data["gender"] = row.gender.data or None
        data["birth_date"] = row.birth_date.data.isoformat() if row.birth_date.data else None
        data["staff_category"] = row.staff_category.data or None
        data["posthumous"] = bool(row.posthumous.data)
        data["unit"] = _text(row.unit.data)
        data["death_date"] = row.death_date.data.isoformat() if row.death_date.data else None
        data["next_of_kin"] = _text(row.next_of_kin.data)
    else:
        chosen = row.org_unit_id.data
        data["org_unit_id"] = int(chosen) if chosen and str(chosen).isdigit() else None
    return data


def dossier_payload(form: NewDossierForm) -> dict[str, Any]:
    """The form as the API's POST /dossiers body (the reason only with the simplified procedure)."""
    simplified = form.procedure.data == "simplified"
    return {
        "title": (form.title.data or "").strip(),
        # None in the correcting editor, where the award form is not edited.
        "award_form": form.award_form.data if form.award_form is not None else None,
        "track": form.track.data,
        "procedure": form.procedure.data,
        "simplified_reason": _text(form.simplified_reason.data) if simplified else None,
        "simplified_case": (form.simplified_case.data or None) if simplified else None,
        "nominees": [nominee_payload(entry.form) for entry in form.nominees.entries],
    }


def _add_error(field: Field, message: Any) -> None:
    field.errors = [*list(field.errors or []), str(message)]


def read_reports(form: NewDossierForm) -> tuple[list[NomineeReport], dict[int, str]]:
    """Each row's report, checked; a refused file gets its message beside its input.

    Returns the accepted reports and, by row, their file names: files are not kept when the
    form comes back with errors, and the page asks for them again by name.
    """
    reports: list[NomineeReport] = []
    accepted: dict[int, str] = {}
    for index, entry in enumerate(form.nominees.entries):
        field = entry.form.report
        file = field.data
        if not isinstance(file, FileStorage) or not file.filename:
            continue
        upload = Upload(
            file.filename, file.read(), kind=REPORT_KIND, field=f"nominees.{index}.report"
        )
        try:
            check_upload(upload)
        except InvalidDataError as exc:
            _add_error(field, upload_message(exc.code))
            continue
        reports.append(NomineeReport(index, upload))
        accepted[index] = file.filename
    return reports, accepted


DOCUMENT_FIELDS = {"submission_file": "submission", "certification_file": "certification"}


def read_documents(form: NewDossierForm) -> list[Upload]:
    """The dossier's own files (memo, certification), checked, each of its kind; a refused file
    gets its message beside its input."""
    uploads: list[Upload] = []
    for name, kind in DOCUMENT_FIELDS.items():
        field = form[name]
        file = field.data
        if not isinstance(file, FileStorage) or not file.filename:
            continue
        upload = Upload(file.filename, file.read(), kind=kind, field=name)
        try:
            check_upload(upload)
        except InvalidDataError as exc:
            _add_error(field, upload_message(exc.code))
            continue
        uploads.append(upload)
    return uploads


def has_report_errors(form: NewDossierForm) -> bool:
    """Whether a row's file (or one of the dossier's own files) was refused."""
    own = any(form[name].errors for name in DOCUMENT_FIELDS)
    return own or any(entry.form.report.errors for entry in form.nominees.entries)


def _field_at(form: NewDossierForm, path: str) -> Field | None:
    parts = path.split(".")
    field = form._fields.get(parts[0])
    if isinstance(field, FieldList) and len(parts) > 1:
        index = int(parts[1]) if parts[1].isdigit() else -1
        if not 0 <= index < len(field.entries) or len(parts) < 3:
            return None
        field = field.entries[index].form._fields.get(parts[2])
    return field if isinstance(field, Field) else None


def attach_service_errors(form: NewDossierForm, exc: InvalidDataError) -> list[str]:
    """Put the service's field errors beside their fields; return the messages with no field."""
    if isinstance(exc, FormInvalidError):
        problems = [(p.path, field_message(p.code)) for p in exc.problems]
    else:
        message = upload_message(exc.code)
        problems = [(path, message) for path in exc.fields]
    unplaced: list[str] = [] if problems else [exc.message]
    for path, message in problems:
        field = _field_at(form, path)
        if field is not None:
            _add_error(field, message)
        elif isinstance(exc, FormInvalidError):
            unplaced.append(f"{message} ({path})")
        else:
            # Not about a field of this page (the process, a setting): the service's own words.
            unplaced.append(exc.message)
    return list(dict.fromkeys(unplaced))
