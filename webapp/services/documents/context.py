"""The data a round's papers are filled with: one list per award form, tallies, the council.

Everything here is plain data (strings, numbers, lists, dicts): what the template sees and
what the provenance hash is computed over. The wording is the papers' own (Vietnamese
administrative language, Decree 30/2020); it is document content, not user interface text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.models import (
    CouncilSession,
    OrgUnit,
    RoleAssignment,
    Round,
    RoundEvent,
    RoundInstance,
    RoundListItem,
    User,
)
from webapp.services.dossier_schema import AWARD_FORMS
from webapp.services.errors import InvalidDataError
from webapp.services.letterheads import LetterheadText, letterhead_for

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Place, bodies, abbreviation and signer's title come from the issuing unit's letterhead
# (webapp.services.letterheads, edited by the administrator).
BLANK_NUMBER = "        "
# Who receives each award form's tờ trình, and who decides it.
RECIPIENT = "Bộ trưởng Bộ Tài chính"
DECIDERS = {
    "bk_btc": "BỘ TRƯỞNG BỘ TÀI CHÍNH",
    "bk_ttg": "THỦ TƯỚNG CHÍNH PHỦ",
    "hcld_1": "CHỦ TỊCH NƯỚC CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "hcld_2": "CHỦ TỊCH NƯỚC CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "hcld_3": "CHỦ TỊCH NƯỚC CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
}
LAW_BASES = [
    "Căn cứ Luật Thi đua, khen thưởng số 06/2022/QH15 ngày 15 tháng 6 năm 2022",
    "Căn cứ Nghị định số 152/2025/NĐ-CP của Chính phủ quy định chi tiết một số điều của "
    "Luật Thi đua, khen thưởng",
]
RECIPIENTS = ["Như trên;", "Ban TĐKT tỉnh (b/c);", "Lưu: VT, VP."]


@dataclass(frozen=True)
class Built:
    """A document's context and what it was built from (for the provenance record)."""

    context: dict[str, Any]
    data_hash: str
    process_version_id: int | None


def date_parts(day: date) -> dict[str, str]:
    """Day and month two digits, as the place/date line writes them ("ngày 05 tháng 11")."""
    return {"day": f"{day.day:02d}", "month": f"{day.month:02d}", "year": str(day.year)}


def today() -> date:
    """Today in Viet Nam (the papers' dates are local dates)."""
    return datetime.now(LOCAL_TZ).date()


def long_date(day: date) -> str:
    """ "ngày 05 tháng 11 năm 2021"."""
    parts = date_parts(day)
    return f"ngày {parts['day']} tháng {parts['month']} năm {parts['year']}"


def form_name(form: str) -> str:
    """The award form's full Vietnamese name."""
    return AWARD_FORMS.get(form, form)


def percent(agree: int | None, members: int | None) -> str:
    """ "80%" / "66,67%": the share of all members who agreed, Vietnamese decimal comma."""
    if agree is None or not members:
        return ""
    share = agree * 100 / members
    text = f"{share:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text}%"


def tally_text(item: RoundListItem) -> str:
    """ "9/10 (90%)": the members who agreed out of all members, with the share."""
    if item.agree is None or not item.members:
        return ""
    return f"{item.agree}/{item.members} ({percent(item.agree, item.members)})"


def _position_unit(item: RoundListItem) -> str:
    nominee = item.nominee
    parts = [p for p in (nominee.job_title, nominee.work_unit or item.unit.name) if p]
    return ", ".join(parts)


def _items(session: Session, round_: Round, form: str) -> list[RoundListItem]:
    return list(
        session.scalars(
            select(RoundListItem)
            .where(RoundListItem.round_id == round_.id, RoundListItem.award_form == form)
            .options(selectinload(RoundListItem.nominee), selectinload(RoundListItem.unit))
            .order_by(RoundListItem.position)
        )
    )


def _signed(session: Session, round_: Round, form: str) -> dict[str, Any]:
    events = session.scalars(
        select(RoundEvent)
        .where(RoundEvent.round_id == round_.id, RoundEvent.action == "signed")
        .order_by(RoundEvent.id.desc())
    )
    for event in events:
        if (event.data or {}).get("award_form") == form:
            return dict(event.data or {})
    return {}


def _concluded_on(session: Session, round_: Round) -> date | None:
    event = session.scalars(
        select(RoundEvent)
        .where(RoundEvent.round_id == round_.id, RoundEvent.action == "concluded")
        .order_by(RoundEvent.id.desc())
    ).first()
    return event.at.astimezone(LOCAL_TZ).date() if event else None


def _people(session: Session, role: str, unit_id: int) -> list[str]:
    return list(
        session.scalars(
            select(User.full_name)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == role, RoleAssignment.unit_id == unit_id, User.active)
            .order_by(User.id)
        )
    )


def _council(session: Session, round_: Round) -> CouncilSession | None:
    return session.scalars(
        select(CouncilSession)
        .where(CouncilSession.subject_kind == "round", CouncilSession.subject_id == round_.id)
        .order_by(CouncilSession.id.desc())
    ).first()


def _version_id(session: Session, round_: Round) -> int | None:
    return session.scalar(
        select(RoundInstance.version_id).where(RoundInstance.round_id == round_.id)
    )


def data_hash(context: dict[str, Any]) -> str:
    """SHA-256 of the context as canonical JSON: the same data gives the same hash."""
    canonical = json.dumps(context, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def common_fields(number: str, day: date, form: str, head: LetterheadText) -> dict[str, Any]:
    """The fields every paper's header, subject and signer block use."""
    return {
        "parent_body": head.parent_body,
        "issuing_body": head.issuing_body,
        "number": number,
        "place": head.place,
        **date_parts(day),
        "form_name": form_name(form),
        "form_name_upper": form_name(form).upper(),
        "recipients": list(RECIPIENTS),
        "signer": "",
        "signer_title": head.signer_title,
    }


def _minutes_basis(session: Session, round_: Round, head: LetterheadText) -> str | None:
    concluded = _concluded_on(session, round_)
    council = _council(session, round_)
    held = council.meeting_date if council and council.meeting_date else concluded
    if held is None:
        return None
    return f"Căn cứ Biên bản họp Hội đồng Thi đua - Khen thưởng {head.body_name} {long_date(held)}"


def _director(session: Session, round_: Round) -> str:
    names = _people(session, "director", round_.unit_id)
    return names[0] if names else ""


def submission(
    session: Session,
    round_: Round,
    form: str,
    *,
    number: str | None = None,
    day: date | None = None,
) -> Built:
    """The tờ trình of one award form with its list: the nominees the council passed (all
    nominees of the form before the council has concluded)."""
    items = _items(session, round_, form)
    if not items:
        raise InvalidDataError(
            "the round has no compiled list for this award form",
            {"award_form": "has no compiled list"},
        )
    concluded = any(i.result is not None for i in items)
    chosen = [i for i in items if i.result == "passed"] if concluded else items
    signed = _signed(session, round_, form)
    head = letterhead_for(session, round_.unit_id)
    number = number or signed.get("submission_number") or f"{BLANK_NUMBER}/TTr-{head.abbreviation}"
    if day is None:
        day = (
            date.fromisoformat(signed["submission_date"])
            if signed.get("submission_date")
            else today()
        )
    individuals = sum(1 for i in chosen if i.nominee.kind == "individual")
    collectives = len(chosen) - individuals
    bases = [*LAW_BASES, f"Căn cứ kế hoạch, phong trào thi đua: {round_.movement.name}"]
    minutes_basis = _minutes_basis(session, round_, head)
    if minutes_basis:
        bases.append(minutes_basis)
    rows = [
        {
            "index": index,
            "name": item.nominee.name,
            "position_unit": _position_unit(item),
            "form_name": form_name(form),
            "achievement": item.nominee.achievement or "",
            "note": tally_text(item),
        }
        for index, item in enumerate(chosen, start=1)
    ]
    body = head.body_name
    context = {
        **common_fields(number, day, form, head),
        "recipient": RECIPIENT,
        "legal_bases": bases,
        "intro": (
            f"Thực hiện {round_.name}, {body} đã tổng hợp đề nghị của các đơn vị; "
            "Hội đồng Thi đua - Khen thưởng Sở đã họp xét và thống nhất đề nghị."
        ),
        "counts_text": (
            f"{body} kính trình {RECIPIENT} xem xét, đề nghị tặng {form_name(form)} "
            f"cho {individuals} cá nhân và {collectives} tập thể."
        ),
        "closing": f"{body} kính trình {RECIPIENT} xem xét, quyết định./.",
        "signer": _director(session, round_),
        "list_subtitle": (f"(Kèm theo Tờ trình số {number} {long_date(day)} của {body})"),
        "rows": rows,
    }
    return Built(context, data_hash(context), _version_id(session, round_))


def minutes(
    session: Session, round_: Round, *, number: str | None = None, day: date | None = None
) -> Built:
    """The council's minutes on the round's lists: attendance, form of vote, tally per nominee,
    conclusion."""
    items = [i for form in round_.award_forms for i in _items(session, round_, form)]
    if not items:
        raise InvalidDataError("the round has no compiled list", {"round_id": "has no list"})
    council = _council(session, round_)
    members = _people(session, "council_member", round_.unit_id)
    chair = (_people(session, "council_chair", round_.unit_id) or [""])[0]
    secretary = (_people(session, "council_secretary", round_.unit_id) or [""])[0]
    attendance = (council.attendance if council else None) or {}
    if attendance:
        names = dict(
            session.execute(
                select(User.username, User.full_name).where(User.username.in_(list(attendance)))
            ).all()
        )
        present = [names.get(u, u) for u, s in sorted(attendance.items()) if s == "present"]
        absent = [names.get(u, u) for u, s in sorted(attendance.items()) if s == "absent"]
        total = len(attendance)
    else:
        present, absent = list(members), []
        total = max([len(members), *[i.members or 0 for i in items]])
    held = (council.meeting_date if council else None) or _concluded_on(session, round_) or today()
    day = day or held
    head = letterhead_for(session, round_.unit_id)
    place = (council.place if council else None) or f"Trụ sở {head.body_name}"
    secret = council.secret if council else True
    rows = []
    for index, item in enumerate(items, start=1):
        rows.append(
            {
                "index": index,
                "name": item.nominee.name,
                "unit": item.unit.name,
                "form_name": form_name(item.award_form),
                "tally": tally_text(item),
                "result": {"passed": "Đạt", "failed": "Không đạt"}.get(item.result or "", ""),
            }
        )
    passed = [i for i in items if i.result == "passed"]
    by_form = ", ".join(
        f"{sum(1 for i in passed if i.award_form == form)} trường hợp {form_name(form)}"
        for form in round_.award_forms
        if any(i.award_form == form for i in items)
    )
    context = {
        **common_fields(number or f"{BLANK_NUMBER}/BB-HĐTĐKT", day, round_.award_forms[0], head),
        "council_of": head.body_name,
        "subject_name": round_.name,
        "meeting_when": long_date(held),
        "meeting_place": place + (" (trực tuyến)" if council and council.online else ""),
        "chair": chair,
        "secretary": secretary,
        "members_total": total,
        "present_count": len(present),
        "absent_count": len(absent),
        "present_names": ", ".join(present) or "…",
        "absent_names": ", ".join(absent) or "không",
        "form_of_vote": "bỏ phiếu kín" if secret else "biểu quyết công khai",
        "rows": rows,
        "conclusion": (
            f"Hội đồng thống nhất đề nghị {len(passed)}/{len(items)} trường hợp đạt tỷ lệ phiếu "
            f"đồng ý theo quy định ({by_form})."
        ),
        "left_signer": secretary,
        "signer": chair,
    }
    return Built(context, data_hash(context), _version_id(session, round_))


def decision(session: Session, round_: Round, form: str, *, day: date | None = None) -> Built:
    """The draft decision of the deciding level with the awardees of one award form."""
    items = [i for i in _items(session, round_, form) if i.result == "passed"]
    if not items:
        raise InvalidDataError(
            "no nominee of this award form passed the council", {"award_form": "has no awardee"}
        )
    day = day or today()
    rows = [
        {"index": n, "name": i.nominee.name, "position_unit": _position_unit(i), "note": ""}
        for n, i in enumerate(items, start=1)
    ]
    signed = _signed(session, round_, form)
    # The Department proposes; the Ministry above it issues the decision.
    head = letterhead_for(session, round_.unit_id)
    ministry = letterhead_for(session, round_.unit_id, kind="ministry")
    bases = list(LAW_BASES)
    if signed.get("submission_number"):
        when = date.fromisoformat(signed["submission_date"])
        bases.append(
            f"Xét đề nghị của {head.body_name} tại Tờ trình số {signed['submission_number']} "
            f"{long_date(when)}"
        )
    number = f"{BLANK_NUMBER}/QĐ-{ministry.abbreviation}"
    context = {
        **common_fields(number, day, form, ministry),
        "decider_title": DECIDERS.get(form, ""),
        "legal_bases": bases,
        "article_1": (
            f"Tặng {form_name(form)} cho {len(items)} cá nhân, tập thể thuộc {head.body_name} "
            f"{head.place} (có danh sách kèm theo), đã có thành tích xuất sắc trong phong trào "
            "thi đua."
        ),
        "article_2": "Quyết định này có hiệu lực kể từ ngày ký.",
        "article_3": (
            "Các đơn vị, cá nhân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết định này."
        ),
        "signer_title": ministry.signer_title if form == "bk_btc" else "",
        "recipients": ["Như Điều 3;", "Lưu: VT, Vụ TĐKT."],
        "list_subtitle": f"(Kèm theo Quyết định số {number.strip()} {long_date(day)})",
        "rows": rows,
    }
    return Built(context, data_hash(context), _version_id(session, round_))


def notice(session: Session, round_: Round, unit_id: int, *, day: date | None = None) -> Built:
    """The notice of non-award to one unit: its nominees the council did not pass, with the
    reason (the tally against the threshold)."""
    items = [
        i
        for form in round_.award_forms
        for i in _items(session, round_, form)
        if i.result == "failed" and i.unit_id == unit_id
    ]
    if not items:
        raise InvalidDataError("no nominee of this unit failed", {"unit_id": "has no refusal"})
    unit = session.get(OrgUnit, unit_id)
    head = letterhead_for(session, round_.unit_id)
    day = day or today()
    rows = [
        {
            "index": n,
            "name": i.nominee.name,
            "unit": i.unit.name,
            "reason": (
                "Không đạt tỷ lệ phiếu đồng ý của Hội đồng Thi đua - Khen thưởng "
                f"(đồng ý {tally_text(i)})"
                if tally_text(i)
                else "Không được Hội đồng Thi đua - Khen thưởng thông qua"
            ),
        }
        for n, i in enumerate(items, start=1)
    ]
    context = {
        **common_fields(f"{BLANK_NUMBER}/TB-{head.abbreviation}", day, items[0].award_form, head),
        "recipient": unit.name if unit else "",
        "intro": (
            f"Căn cứ kết quả họp Hội đồng Thi đua - Khen thưởng {head.body_name} xét đề nghị "
            f"khen thưởng {round_.name}, {head.body_name} thông báo các trường hợp không được "
            "đề nghị khen thưởng như sau:"
        ),
        "closing": (
            f"{head.body_name} thông báo để đơn vị biết và thông báo tới các cá nhân, tập thể "
            "liên quan./."
        ),
        "signer": _director(session, round_),
        "rows": rows,
    }
    return Built(context, data_hash(context), _version_id(session, round_))


def written_opinion(
    session: Session, round_: Round, member_name: str = "", *, day: date | None = None
) -> Built:
    """The written-opinion form for a council member absent from the meeting: every nominee
    of the round with a box to tick."""
    items = [i for form in round_.award_forms for i in _items(session, round_, form)]
    if not items:
        raise InvalidDataError("the round has no compiled list", {"round_id": "has no list"})
    day = day or today()
    head = letterhead_for(session, round_.unit_id)
    rows = [
        {
            "index": n,
            "name": i.nominee.name,
            "unit": i.unit.name,
            "form_name": form_name(i.award_form),
        }
        for n, i in enumerate(items, start=1)
    ]
    context = {
        **common_fields(f"{BLANK_NUMBER}/PLYK-HĐTĐKT", day, round_.award_forms[0], head),
        "council_of": head.body_name,
        "subject_name": round_.name,
        "member": member_name or "……………………………………",
        "instruction": (
            "Thành viên Hội đồng vắng mặt tại cuộc họp cho ý kiến bằng cách đánh dấu (X) vào ô "
            "Đồng ý hoặc Không đồng ý đối với từng trường hợp và gửi phiếu về Thư ký Hội đồng "
            "trước khi Hội đồng kết luận."
        ),
        "signer": member_name,
        "rows": rows,
    }
    return Built(context, data_hash(context), _version_id(session, round_))
