"""A few sample dossiers for a fresh demo installation, driven through the real use cases, so
that the tracking list, the dossier pages and the process map have something to show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import utcnow
from webapp.models import User, WorkItem
from webapp.services import process_map_summary
from webapp.services.actors import actor_for_user
from webapp.services.dossiers import start_dossier
from webapp.services.work_items import complete_work_item

MEMBERS = ("giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4")


def _actor(session: Session, username: str) -> Any:
    return actor_for_user(
        session, session.scalars(select(User).where(User.username == username)).one()
    )


def _do(session: Session, dossier_id: int, username: str, step: str, data: dict[str, Any]) -> None:
    actor = _actor(session, username)
    item = session.scalars(
        select(WorkItem).where(
            WorkItem.dossier_id == dossier_id,
            WorkItem.step == step,
            WorkItem.status == "open",
            (WorkItem.assignee_id.is_(None)) | (WorkItem.assignee_id == actor.user_id),
        )
    ).first()
    if item is None:
        raise RuntimeError(f"sample dossier {dossier_id} has no open {step} for {username}")
    complete_work_item(session, actor, item.id, data)


def _start(
    session: Session, officer: str, title: str, names: list[tuple[str, str]], **extra: Any
) -> tuple[int, list[str]]:
    payload = {
        "title": title,
        "award_form": "bk_btc",
        "track": "ad_hoc",
        "procedure": "regular",
        "nominees": [{"kind": kind, "name": name} for kind, name in names],
    }
    payload.update(extra)
    dossier = start_dossier(session, _actor(session, officer), payload)
    return dossier.id, [str(n.id) for n in dossier.nominees]


def _to_council(session: Session, dossier_id: int, officer: str, head: str) -> None:
    _do(session, dossier_id, officer, "prepare_dossier", {"decision": "submit"})
    _do(session, dossier_id, head, "approve_at_unit", {"decision": "approve"})
    _do(session, dossier_id, "vanphong", "check_dossier", {"decision": "approve"})


def seed_sample_dossiers(session: Session) -> int:
    """Four dossiers at different places on the path; returns how many were created."""
    first, _ = _start(
        session,
        "canbo_ns",
        "Đề nghị tặng Bằng khen của Bộ trưởng cho cá nhân "
        "có thành tích đột xuất trong phòng, chống dịch Covid-19",
        [("individual", "Nguyễn Thị Hằng"), ("collective", "Phòng Quản lý ngân sách")],
    )
    _do(session, first, "canbo_ns", "prepare_dossier", {"decision": "submit"})
    _do(session, first, "truongphong_ns", "approve_at_unit", {"decision": "approve"})

    second, ids = _start(
        session,
        "canbo_dn",
        "Đề nghị tặng Bằng khen cho tập thể Phòng Tài chính doanh nghiệp",
        [("collective", "Phòng Tài chính doanh nghiệp"), ("individual", "Lê Văn Tâm")],
    )
    _to_council(session, second, "canbo_dn", "truongphong_dn")
    for member in MEMBERS[:2]:
        _do(session, second, member, "council_vote", {"votes": dict.fromkeys(ids, "agree")})

    third, ids = _start(
        session,
        "canbo_ns",
        "Đề nghị khen thưởng đột xuất cán bộ hỗ trợ khu cách ly",
        [("individual", "Trần Minh Quân")],
    )
    _to_council(session, third, "canbo_ns", "truongphong_ns")
    for member in MEMBERS:
        _do(session, third, member, "council_vote", {"votes": dict.fromkeys(ids, "agree")})
    _do(session, third, "giamdoc", "conclude_council", {"decision": "confirm"})
    _do(
        session,
        third,
        "giamdoc",
        "sign_submission",
        {"decision": "approve", "submission_number": "12/TTr-STC", "submission_date": "2021-11-05"},
    )
    _do(session, third, "chuyenvien_bo", "appraise_at_ministry", {"decision": "approve"})
    _do(session, third, "chuyenvien_bo", "ministry_council", {"decision": "approve"})
    _do(
        session,
        third,
        "botruong",
        "minister_decision",
        {"decision": "award", "decision_number": "345/QĐ-BTC", "decision_date": "2021-12-01"},
    )
    _do(session, third, "vanphong", "publish_result", {"decision": "publish"})

    fourth, _ = _start(
        session,
        "canbo_dn",
        "Đề nghị khen thưởng theo thủ tục đơn giản",
        [("individual", "Phạm Thu Trang")],
        procedure="simplified",
        simplified_case="art85_ad_hoc",
        simplified_reason="Thành tích đột xuất, xuất sắc, phục vụ kịp thời yêu cầu chính trị",
    )
    _do(session, fourth, "canbo_dn", "prepare_dossier", {"decision": "submit"})
    _do(session, fourth, "truongphong_dn", "approve_at_unit", {"decision": "approve"})
    _do(
        session,
        fourth,
        "vanphong",
        "check_dossier",
        {"decision": "return", "comment": "Đề nghị bổ sung xác nhận của cơ quan có thẩm quyền"},
    )
    # The map's median times at once, rather than at the job queue's first rebuild.
    process_map_summary.refresh(session, utcnow())
    return 4
