"""The current rules as lists an administrator edits: the simplified-procedure cases (Law
06/2022 Art. 85), the documents each procedure and award form requires at the Office's check
(Art. 84, 85; Decree 98/2023 Art. 40), and how many years before the same award form may be
proposed again. Each list carries its legal basis and effective date.

Shipped values are seeded once; an administrator changes them afterwards. Values the research
could not confirm say so in their basis ("cần xác minh") instead of posing as law.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from webapp.models import (
    Attachment,
    DocumentRequirement,
    Dossier,
    Nominee,
    RepeatAwardPeriod,
    RuleSetBasis,
    SimplifiedCase,
)
from webapp.permissions import Actor
from webapp.services.attachments import KINDS
from webapp.services.dossier_schema import AWARD_FORMS, PROCEDURES
from webapp.services.errors import InvalidDataError, PermissionDeniedError
from webapp.services.same_nominees import OtherNominee, proposed_elsewhere

CASES_KEY = "simplified_cases"
DOCUMENTS_KEY = "required_documents"
REPEAT_KEY = "repeat_periods"
DMN_KEY = "award_rules.dmn"
ANY_FORM = "*"
# The step whose approval needs the required documents (the Office's check).
DOCUMENT_CHECK_STEP = "check_dossier"
CHECK_APPROVAL = "approve"
LAW_2022_IN_FORCE = date(2024, 1, 1)
_CODE = re.compile(r"^[a-z0-9_]{1,40}$")
# Any rule table of a process version (a DMN file's name) may carry its basis too.
_RULE_FILE = re.compile(r"^[\w.-]{1,55}\.dmn$")

DEFAULT_BASES: dict[str, tuple[str, date]] = {
    CASES_KEY: (
        "Luật Thi đua, khen thưởng số 06/2022/QH15, Điều 85; Nghị định 98/2023/NĐ-CP, Điều 40",
        LAW_2022_IN_FORCE,
    ),
    DOCUMENTS_KEY: (
        "Luật Thi đua, khen thưởng số 06/2022/QH15, Điều 84, Điều 85; "
        "Nghị định 98/2023/NĐ-CP, Điều 40",
        LAW_2022_IN_FORCE,
    ),
    REPEAT_KEY: (
        "Quy chế thi đua, khen thưởng của cơ quan (giá trị mặc định, cần xác minh)",
        LAW_2022_IN_FORCE,
    ),
    DMN_KEY: (
        "Quy chế hoạt động của Hội đồng Thi đua - Khen thưởng (tỷ lệ mặc định, cần xác minh); "
        "Nghị định 98/2023/NĐ-CP",
        LAW_2022_IN_FORCE,
    ),
}

_ART85 = "Luật 06/2022/QH15, Điều 85"
DEFAULT_CASES: tuple[tuple[str, str, str], ...] = (
    (
        "art85_political",
        "Phục vụ yêu cầu nhiệm vụ chính trị, kịp thời động viên, khích lệ quần chúng",
        f"{_ART85} (trường hợp 1)",
    ),
    (
        "art85_ad_hoc",
        "Thành tích xuất sắc đột xuất trong chiến đấu, công tác, lao động, học tập, nghiên cứu; "
        "dũng cảm cứu người, cứu tài sản; đạt giải quốc tế",
        f"{_ART85} (trường hợp 2)",
    ),
    (
        "art85_found_by_head",
        "Thành tích do người đứng đầu cơ quan, tổ chức, đơn vị phát hiện",
        f"{_ART85} (trường hợp 3)",
    ),
    (
        "art85_service",
        "Khen thưởng quá trình cống hiến, theo niên hạn, khen thưởng đối ngoại",
        f"{_ART85} (trường hợp 4)",
    ),
    (
        "art85_state_secret",
        "Thành tích có nội dung liên quan đến bí mật nhà nước",
        f"{_ART85} (trường hợp 5)",
    ),
)

# (procedure, award form, kind, per nominee, legal basis). Shipped as warnings: the JSON API
# cannot attach files yet, so an enforced default would stop every API dossier at the check;
# an administrator makes a row enforced where the Office receives the files in the system.
DEFAULT_REQUIREMENTS: tuple[tuple[str, str, str, bool, str], ...] = (
    ("regular", ANY_FORM, "submission", False, "Luật 06/2022/QH15, Điều 84"),
    ("regular", ANY_FORM, "achievement_report", True, "Luật 06/2022/QH15, Điều 84"),
    ("simplified", ANY_FORM, "submission", False, "Nghị định 98/2023/NĐ-CP, Điều 40"),
    (
        "simplified",
        ANY_FORM,
        "achievement_report",
        True,
        "Nghị định 98/2023/NĐ-CP, Điều 40 (báo cáo tóm tắt thành tích)",
    ),
)

_REPEAT_BASIS = "Giá trị mặc định, cần xác minh theo quy chế đang áp dụng"
DEFAULT_REPEAT_YEARS = {"bk_btc": 2, "bk_ttg": 5, "hcld_1": 5, "hcld_2": 5, "hcld_3": 5}


def ensure_defaults(session: Session) -> None:
    """Seed the shipped lists and bases where nothing is stored yet (idempotent)."""
    for key, (basis, effective) in DEFAULT_BASES.items():
        if session.get(RuleSetBasis, key) is None:
            session.add(RuleSetBasis(key=key, legal_basis=basis, effective_from=effective))
    if session.scalar(select(SimplifiedCase.id).limit(1)) is None:
        for position, (code, label, basis) in enumerate(DEFAULT_CASES):
            session.add(
                SimplifiedCase(
                    code=code, label=label, legal_basis=basis, position=position, active=True
                )
            )
    if session.scalar(select(DocumentRequirement.id).limit(1)) is None:
        for procedure, form, kind, per_nominee, basis in DEFAULT_REQUIREMENTS:
            session.add(
                DocumentRequirement(
                    procedure=procedure,
                    award_form=form,
                    kind=kind,
                    per_nominee=per_nominee,
                    enforced=False,
                    legal_basis=basis,
                )
            )
    if session.scalar(select(RepeatAwardPeriod.award_form).limit(1)) is None:
        for form, years in DEFAULT_REPEAT_YEARS.items():
            session.add(RepeatAwardPeriod(award_form=form, years=years, legal_basis=_REPEAT_BASIS))
    session.flush()


# --- reading -------------------------------------------------------------------------------


def basis_of(session: Session, key: str) -> RuleSetBasis | None:
    """The legal basis and effective date of a rule set (None if never recorded)."""
    return session.get(RuleSetBasis, key)


def simplified_cases(session: Session, *, active_only: bool = False) -> list[SimplifiedCase]:
    """The cases in their order; with `active_only`, those a new dossier may choose."""
    query = select(SimplifiedCase).order_by(SimplifiedCase.position, SimplifiedCase.id)
    if active_only:
        query = query.where(SimplifiedCase.active.is_(True))
    return list(session.scalars(query))


def case_label(session: Session, code: str | None) -> str | None:
    """The label of a case code (the code itself if the case was deleted)."""
    if not code:
        return None
    case = session.scalar(select(SimplifiedCase).where(SimplifiedCase.code == code))
    return case.label if case is not None else code


def check_simplified_case(session: Session, code: Any, *, field: str = "simplified_case") -> None:
    """Refuse a case that is not on the list or is retired (the error names `field`)."""
    if code is None:
        return
    case = session.scalar(select(SimplifiedCase).where(SimplifiedCase.code == code))
    if case is None or not case.active:
        raise InvalidDataError(
            "unknown simplified-procedure case", {field: "is not a case of the current list"}
        )


def requirements(session: Session) -> list[DocumentRequirement]:
    """Every requirement row, ordered by procedure, award form and kind."""
    return list(
        session.scalars(
            select(DocumentRequirement).order_by(
                DocumentRequirement.procedure,
                DocumentRequirement.award_form,
                DocumentRequirement.kind,
            )
        )
    )


def requirements_for(
    session: Session, procedure: str, award_form: str
) -> list[DocumentRequirement]:
    """The rows that apply to a dossier of this procedure and award form."""
    return [
        row
        for row in requirements(session)
        if row.procedure == procedure and row.award_form in {ANY_FORM, award_form}
    ]


def repeat_periods(session: Session) -> dict[str, RepeatAwardPeriod]:
    """The repeat-award period of each award form that has one."""
    return {row.award_form: row for row in session.scalars(select(RepeatAwardPeriod))}


# --- the check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingDocument:
    """A required kind the dossier lacks; `nominees` names those without theirs (per nominee)."""

    kind: str
    enforced: bool
    nominees: tuple[str, ...] = ()


def missing_documents(
    session: Session, dossier: Dossier, *, adding: Iterable[str] = ()
) -> list[MissingDocument]:
    """The required kinds the dossier does not carry, counting kinds `adding` (files sent with
    the step being completed) as present for the dossier as a whole."""
    rows = session.execute(
        select(Attachment.kind, Attachment.nominee_id).where(Attachment.dossier_id == dossier.id)
    ).all()
    kinds = {kind for kind, _ in rows} | set(adding)
    per_nominee = {(kind, nominee_id) for kind, nominee_id in rows if nominee_id is not None}
    missing: dict[str, MissingDocument] = {}
    for row in requirements_for(session, dossier.procedure, dossier.award_form):
        if row.per_nominee:
            lacking = tuple(
                n.name
                for n in sorted(dossier.nominees, key=lambda n: n.position)
                if (row.kind, n.id) not in per_nominee
            )
            if not lacking:
                continue
            found = MissingDocument(row.kind, row.enforced, lacking)
        elif row.kind in kinds:
            continue
        else:
            found = MissingDocument(row.kind, row.enforced)
        earlier = missing.get(row.kind)
        # A form-specific row and a general one for the same kind: the stricter wins.
        if earlier is None or (found.enforced and not earlier.enforced):
            missing[row.kind] = found
    return list(missing.values())


class MissingDocumentsError(InvalidDataError):
    """The Office approved a dossier that lacks enforced documents; `missing` lists them."""

    def __init__(self, missing: list[MissingDocument]):
        kinds = ", ".join(m.kind for m in missing)
        fields = {
            f"attachments.{m.kind}": (
                f"is missing for: {', '.join(m.nominees)}" if m.nominees else "is missing"
            )
            for m in missing
        }
        super().__init__(
            f"the dossier lacks required documents: {kinds}", fields, code="missing_documents"
        )
        self.missing = missing


def require_documents_at_check(
    session: Session, dossier: Dossier, step: str, decision: Any, *, adding: Iterable[str] = ()
) -> None:
    """Hook of the step completion: the Office's approval at the check needs every enforced
    document; raises MissingDocumentsError naming them. Other steps and decisions pass."""
    if step != DOCUMENT_CHECK_STEP or decision != CHECK_APPROVAL:
        return
    enforced = [m for m in missing_documents(session, dossier, adding=adding) if m.enforced]
    if enforced:
        raise MissingDocumentsError(enforced)


@dataclass(frozen=True)
class CheckWarning:
    """Something the Office should look at before approving; never blocks. `kind` is one of
    duplicate_in_movement, repeat_award, missing_document, required_document (enforced: the
    approval will be refused), posthumous_data."""

    kind: str
    nominee: str | None = None
    other_dossier: str | None = None
    award_form: str | None = None
    year: int | None = None
    years: int | None = None
    document: str | None = None
    # How many more dossiers than `other_dossier` propose the same nominee (at least that
    # many when `others_is_lower_bound`: the read stops at same_nominees.READ_BOUND).
    others: int = 0
    others_is_lower_bound: bool = False


_LIVE_DOSSIER = Dossier.status.not_in(("refused", "withdrawn"))


def _codes(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    rows = session.execute(
        select(Dossier.id, Dossier.code, Dossier.award_form).where(Dossier.id.in_(ids))
    )
    return {row.id: (row.code or "", row.award_form) for row in rows}


def _awarded_on(other: OtherNominee) -> date | None:
    """When the other nominee was awarded: its decision's date, else its dossier's closing."""
    closed = other.closed_at
    return other.decision_date or (closed.date() if isinstance(closed, datetime) else None)


def check_warnings(session: Session, dossier: Dossier, today: date) -> list[CheckWarning]:
    """What the Office sees at the check: the same nominee proposed twice in the movement, the
    same award form received within the rules' period, documents missing, and a posthumous
    award without its date of death or receiving relative. One warning per nominee and kind,
    naming the newest other dossier and counting the rest."""
    warnings: list[CheckWarning] = []
    period = repeat_periods(session).get(dossier.award_form)
    same_movement = (
        Dossier.movement_id.is_(None)
        if dossier.movement_id is None
        else Dossier.movement_id == dossier.movement_id
    )
    nominees = sorted(dossier.nominees, key=lambda n: n.position)
    proposed = proposed_elsewhere(session, dossier, nominees, and_(same_movement, _LIVE_DOSSIER))
    awarded: list[tuple[OtherNominee, date] | None] = [None] * len(nominees)
    if period is not None:
        since = _years_before(today, period.years)
        recent = and_(
            Nominee.result == "awarded",
            Dossier.award_form == dossier.award_form,
            or_(
                Nominee.decision_date > since,
                Dossier.closed_at > datetime.combine(since, time.min, tzinfo=UTC),
            ),
        )
        for index, found in enumerate(proposed_elsewhere(session, dossier, nominees, recent)):
            dated = [(o, day) for o in found.others if (day := _awarded_on(o)) and day > since]
            awarded[index] = max(dated, key=lambda pair: pair[1], default=None)
    newest = {found.others[0].dossier_id for found in proposed if found.others}
    codes = _codes(session, newest | {pair[0].dossier_id for pair in awarded if pair})
    for nominee, found, latest in zip(nominees, proposed, awarded, strict=True):
        if found.others:
            ids = found.dossier_ids
            code, form = codes.get(ids[0], ("", ""))
            warnings.append(
                CheckWarning(
                    "duplicate_in_movement",
                    nominee.name,
                    code,
                    form,
                    others=len(ids) - 1,
                    others_is_lower_bound=found.bounded,
                )
            )
        if latest is not None and period is not None:
            other, day = latest
            code, _form = codes.get(other.dossier_id, ("", ""))
            warnings.append(
                CheckWarning(
                    "repeat_award", nominee.name, code, dossier.award_form, day.year, period.years
                )
            )
        if nominee.posthumous and not (nominee.death_date and nominee.next_of_kin):
            warnings.append(CheckWarning("posthumous_data", nominee.name))
    for missing in missing_documents(session, dossier):
        # An enforced one is said first: approving will be refused until it is attached.
        kind = "required_document" if missing.enforced else "missing_document"
        if missing.nominees:
            warnings.extend(
                CheckWarning(kind, name, document=missing.kind) for name in missing.nominees
            )
        else:
            warnings.append(CheckWarning(kind, document=missing.kind))
    return list(dict.fromkeys(warnings))


def warnings_at_step(
    session: Session, step: str, status: str, dossier: Dossier, today: date
) -> list[CheckWarning]:
    """The check's warnings while a check step is open; none for other steps."""
    if step != DOCUMENT_CHECK_STEP or status != "open":
        return []
    return check_warnings(session, dossier, today)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


# --- editing (administrators only) -----------------------------------------------------------


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDeniedError("only administrators edit the rules")


def _text(data: Mapping[str, Any], name: str, limit: int, *, required: bool = True) -> str:
    value = data.get(name)
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidDataError(f"{name} is required", {name: "is required"})
    if len(text) > limit:
        raise InvalidDataError(f"{name} is too long", {name: f"is too long (at most {limit})"})
    return text


def set_basis(session: Session, actor: Actor, key: str, data: Mapping[str, Any]) -> RuleSetBasis:
    """Record a rule set's legal basis (text) and effective date (ISO date)."""
    _admin(actor)
    if key not in DEFAULT_BASES and not _RULE_FILE.match(key):
        raise InvalidDataError("unknown rule set", {"key": "is not a rule set"})
    basis = _text(data, "legal_basis", 500)
    raw = data.get("effective_from")
    try:
        effective = date.fromisoformat(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        raise InvalidDataError(
            "invalid effective date", {"effective_from": "must be a valid date"}
        ) from None
    if effective is None:
        raise InvalidDataError("effective date required", {"effective_from": "is required"})
    row = session.get(RuleSetBasis, key) or RuleSetBasis(key=key)
    row.legal_basis, row.effective_from = basis, effective
    session.add(row)
    session.flush()
    return row


def save_case(
    session: Session, actor: Actor, data: Mapping[str, Any], case_id: int | None = None
) -> SimplifiedCase:
    """Add a case (with a new `code`) or change one's label, basis and whether it is offered."""
    _admin(actor)
    label = _text(data, "label", 500)
    basis = _text(data, "legal_basis", 300, required=False)
    if case_id is None:
        code = _text(data, "code", 40)
        if not _CODE.match(code):
            raise InvalidDataError(
                "invalid code", {"code": "must be lower-case letters, digits or _"}
            )
        if session.scalar(select(SimplifiedCase.id).where(SimplifiedCase.code == code)):
            raise InvalidDataError("code in use", {"code": "is already used by another case"})
        last = session.scalar(
            select(SimplifiedCase.position).order_by(SimplifiedCase.position.desc()).limit(1)
        )
        case = SimplifiedCase(code=code, position=(last or 0) + 1)
        session.add(case)
    else:
        found = session.get(SimplifiedCase, case_id)
        if found is None:
            raise InvalidDataError("unknown case", {"case": "is not a case of the list"})
        case = found
    case.label, case.legal_basis = label, basis
    case.active = bool(data.get("active", True))
    session.flush()
    return case


def save_requirements(
    session: Session, actor: Actor, rows: Iterable[Mapping[str, Any]]
) -> list[DocumentRequirement]:
    """Replace the requirement list with `rows` (procedure, award_form, kind, per_nominee,
    enforced, legal_basis); a bad row is named by its index."""
    _admin(actor)
    seen: set[tuple[str, str, str]] = set()
    clean: list[DocumentRequirement] = []
    for index, row in enumerate(rows):
        where = f"requirements.{index}"
        procedure, form, kind = row.get("procedure"), row.get("award_form"), row.get("kind")
        if procedure not in PROCEDURES:
            raise InvalidDataError("bad procedure", {f"{where}.procedure": "is not a procedure"})
        if form != ANY_FORM and form not in AWARD_FORMS:
            raise InvalidDataError(
                "bad award form", {f"{where}.award_form": "is not an award form"}
            )
        if kind not in KINDS:
            raise InvalidDataError("bad kind", {f"{where}.kind": "is not a document kind"})
        key = (str(procedure), str(form), str(kind))
        if key in seen:
            raise InvalidDataError("repeated row", {f"{where}.kind": "is listed twice"})
        seen.add(key)
        basis = row.get("legal_basis") or ""
        if not isinstance(basis, str) or len(basis) > 300:
            raise InvalidDataError("bad basis", {f"{where}.legal_basis": "is too long"})
        clean.append(
            DocumentRequirement(
                procedure=key[0],
                award_form=key[1],
                kind=key[2],
                per_nominee=bool(row.get("per_nominee")),
                enforced=bool(row.get("enforced")),
                legal_basis=basis.strip(),
            )
        )
    for old in requirements(session):
        session.delete(old)
    session.flush()
    session.add_all(clean)
    session.flush()
    return clean


def save_repeat_periods(
    session: Session, actor: Actor, years: Mapping[str, Any], basis: Mapping[str, Any]
) -> None:
    """Set each award form's period in whole years (0 to 50; empty removes it)."""
    _admin(actor)
    current = repeat_periods(session)
    for form in AWARD_FORMS:
        raw = years.get(form)
        if raw in (None, ""):
            if form in current:
                session.delete(current[form])
            continue
        try:
            value = int(str(raw))
        except ValueError:
            raise InvalidDataError(
                "bad years", {f"years.{form}": "must be a whole number"}
            ) from None
        if not 0 <= value <= 50:
            raise InvalidDataError("bad years", {f"years.{form}": "must be between 0 and 50"})
        text = basis.get(form) or ""
        if not isinstance(text, str) or len(text) > 300:
            raise InvalidDataError("bad basis", {f"legal_basis.{form}": "is too long"})
        row = current.get(form) or RepeatAwardPeriod(award_form=form)
        row.years, row.legal_basis = value, text.strip()
        session.add(row)
    session.flush()
