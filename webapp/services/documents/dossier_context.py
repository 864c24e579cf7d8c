"""The data of a single dossier's papers (an ad-hoc dossier travels alone, usually under the
simplified procedure): its tờ trình with the list of its nominees, and its notice of non-award."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import CouncilSession, Dossier, Nominee, ProcessInstance
from webapp.services.documents.context import (
    BLANK_NUMBER,
    LAW_BASES,
    RECIPIENT,
    Built,
    common_fields,
    data_hash,
    form_name,
    long_date,
    percent,
    today,
)
from webapp.services.errors import InvalidDataError
from webapp.services.letterheads import LetterheadText, letterhead_for

REFUSED = frozenset({"failed", "refused"})


def nominee_tally(nominee: Nominee) -> str:
    """ "4/5 (80%)" from the council's counts recorded on the nominee, "" without a vote."""
    if nominee.council_agree is None or not nominee.council_members:
        return ""
    share = percent(nominee.council_agree, nominee.council_members)
    return f"{nominee.council_agree}/{nominee.council_members} ({share})"


def _position_unit(nominee: Nominee, dossier: Dossier) -> str:
    parts = [p for p in (nominee.job_title, nominee.work_unit or dossier.unit.name) if p]
    return ", ".join(parts)


def _version_id(session: Session, dossier: Dossier) -> int | None:
    return session.scalar(
        select(ProcessInstance.version_id).where(ProcessInstance.dossier_id == dossier.id)
    )


def _minutes_basis(session: Session, dossier: Dossier, head: LetterheadText) -> str | None:
    held = session.scalar(
        select(CouncilSession.meeting_date)
        .where(
            CouncilSession.subject_kind == "dossier",
            CouncilSession.subject_id == dossier.id,
            CouncilSession.meeting_date.is_not(None),
        )
        .order_by(CouncilSession.id.desc())
    )
    if held is None:
        return None
    return f"Căn cứ Biên bản họp Hội đồng Thi đua - Khen thưởng {head.body_name} {long_date(held)}"


def submission(
    session: Session, dossier: Dossier, *, number: str | None = None, day: date | None = None
) -> Built:
    """The Department's tờ trình for one dossier, with its nominees not refused."""
    chosen = [n for n in dossier.nominees if n.result not in REFUSED]
    if not chosen:
        raise InvalidDataError("no nominee left to propose", {"nominees": "none is proposed"})
    head = letterhead_for(session, dossier.unit_id)
    number = number or dossier.submission_number or f"{BLANK_NUMBER}/TTr-{head.abbreviation}"
    day = day or dossier.submission_date or today()
    form = dossier.award_form
    individuals = sum(1 for n in chosen if n.kind == "individual")
    bases = list(LAW_BASES)
    if dossier.movement is not None:
        bases.append(f"Căn cứ kế hoạch, phong trào thi đua: {dossier.movement.name}")
    minutes_basis = _minutes_basis(session, dossier, head)
    if minutes_basis:
        bases.append(minutes_basis)
    simplified = dossier.procedure == "simplified"
    body = head.body_name
    context: dict[str, Any] = {
        **common_fields(number, day, form, head),
        "recipient": RECIPIENT,
        "legal_bases": bases,
        "intro": (
            f"Xét đề nghị của {dossier.unit.name} ({dossier.title}), "
            + (
                f"{body} đề nghị khen thưởng theo thủ tục đơn giản."
                if simplified
                else "Hội đồng Thi đua - Khen thưởng Sở đã họp xét và thống nhất đề nghị."
            )
        ),
        "counts_text": (
            f"{body} kính trình {RECIPIENT} xem xét, đề nghị tặng {form_name(form)} "
            f"cho {individuals} cá nhân và {len(chosen) - individuals} tập thể."
        ),
        "closing": f"{body} kính trình {RECIPIENT} xem xét, quyết định./.",
        "list_subtitle": f"(Kèm theo Tờ trình số {number} {long_date(day)} của {body})",
        "rows": [
            {
                "index": index,
                "name": n.name,
                "position_unit": _position_unit(n, dossier),
                "form_name": form_name(form),
                "achievement": n.achievement or "",
                "note": nominee_tally(n),
            }
            for index, n in enumerate(chosen, start=1)
        ],
    }
    return Built(context, data_hash(context), _version_id(session, dossier))


def notice(session: Session, dossier: Dossier, *, day: date | None = None) -> Built:
    """The notice of non-award to the dossier's unit: its nominees refused, with the reason."""
    refused = [n for n in dossier.nominees if n.result in REFUSED]
    if not refused:
        raise InvalidDataError("no nominee was refused", {"nominees": "none is refused"})
    day = day or today()
    head = letterhead_for(session, dossier.unit_id)
    rows = [
        {
            "index": index,
            "name": n.name,
            "unit": n.work_unit or dossier.unit.name,
            "reason": (
                f"Không đạt tỷ lệ phiếu đồng ý của Hội đồng (đồng ý {nominee_tally(n)})"
                if nominee_tally(n)
                else "Không được cấp có thẩm quyền chấp thuận"
            ),
        }
        for index, n in enumerate(refused, start=1)
    ]
    context: dict[str, Any] = {
        **common_fields(f"{BLANK_NUMBER}/TB-{head.abbreviation}", day, dossier.award_form, head),
        "recipient": dossier.unit.name,
        "intro": (
            f"{head.body_name} thông báo kết quả xét hồ sơ {dossier.code or dossier.id} "
            f"({dossier.title}): các trường hợp sau không được đề nghị khen thưởng."
        ),
        "closing": f"{head.body_name} thông báo để đơn vị biết./.",
        "rows": rows,
    }
    return Built(context, data_hash(context), _version_id(session, dossier))
