"""The dossier path every layer is timed on, as in tests/web/test_api_paths.py.

A bk_btc dossier, regular procedure, two nominees, from preparation through the council's
votes and the Ministry to `awarded`. The steps are plain data so that the engine, the services
and the HTTP API all run exactly the same sequence.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

MEMBERS = ("giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4")

# The demo units that start dossiers: suffix -> (unit officer, unit head, unit name).
UNITS = {
    "ns": ("canbo_ns", "truongphong_ns", "Phòng Quản lý ngân sách"),
    "dn": ("canbo_dn", "truongphong_dn", "Phòng Tài chính doanh nghiệp"),
}

SEARCH_QUERY = "nguyen thi hang"


@dataclass(frozen=True)
class Action:
    """One completed step: which step, by whom, with what form data."""

    step: str
    username: str
    data: dict[str, Any]


def start_payload(unit: str = "ns", **overrides: Any) -> dict[str, Any]:
    """The body of POST /api/v1/dossiers used by the API tests."""
    unit_name = UNITS[unit][2]
    body: dict[str, Any] = {
        "title": f"Đề nghị tặng Bằng khen của Bộ trưởng cho tập thể và cá nhân {unit_name}",
        "award_form": "bk_btc",
        "track": "ad_hoc",
        "procedure": "regular",
        "simplified_reason": None,
        "nominees": [
            {
                "kind": "individual",
                "name": "Nguyễn Thị Hằng",
                "position": "Chuyên viên",
                "gender": "female",
                "birth_date": "1985-03-12",
                "posthumous": False,
                "achievement": "Hoàn thành xuất sắc nhiệm vụ phòng, chống dịch",
            },
            {
                "kind": "collective",
                "name": unit_name,
                "achievement": "Tham mưu kịp thời kinh phí phòng, chống dịch",
            },
        ],
    }
    body.update(copy.deepcopy(overrides))
    return body


def split_ballots(nominee_ids: list[str]) -> dict[str, dict[str, str]]:
    """3 of 5 members agree with the first nominee, all 5 with the second (as in the tests)."""
    first, second = nominee_ids[:2]
    return {
        member: {first: "agree" if i < 3 else "disagree", second: "agree"}
        for i, member in enumerate(MEMBERS)
    }


def to_council(unit: str, *, check: str = "approve") -> list[Action]:
    """Preparation, the unit head's approval and the Office's check."""
    officer, head, _ = UNITS[unit]
    check_data: dict[str, Any] = {"decision": check}
    if check != "approve":
        check_data["comment"] = "Bổ sung báo cáo thành tích"
    return [
        Action("prepare_dossier", officer, {"decision": "submit"}),
        Action("approve_at_unit", head, {"decision": "approve"}),
        Action("check_dossier", "vanphong", check_data),
    ]


def council(ballots: dict[str, dict[str, str]]) -> list[Action]:
    """One vote per member, then the chair's conclusion."""
    votes = [Action("council_vote", m, {"votes": dict(b)}) for m, b in ballots.items()]
    return [*votes, Action("conclude_council", "giamdoc", {"decision": "confirm"})]


def after_council(refused_nominees: list[str] | None = None) -> list[Action]:
    """Signature, the Ministry's appraisal and council, the Minister's decision, publication."""
    decision: dict[str, Any] = {
        "decision": "award",
        "decision_number": "345/QĐ-BTC",
        "decision_date": "2026-12-01",
        "signer": "Bộ trưởng",
    }
    if refused_nominees:
        decision["refused_nominees"] = list(refused_nominees)
    return [
        Action(
            "sign_submission",
            "giamdoc",
            {
                "decision": "approve",
                "submission_number": "12/TTr-STC",
                "submission_date": "2026-11-29",
            },
        ),
        Action("appraise_at_ministry", "chuyenvien_bo", {"decision": "approve"}),
        Action("ministry_council", "chuyenvien_bo", {"decision": "approve"}),
        Action("minister_decision", "botruong", decision),
        Action("publish_result", "vanphong", {"decision": "publish"}),
    ]


def awarded_path(unit: str, nominee_ids: list[str]) -> list[Action]:
    """Every step of the timed path, from preparation to `awarded`."""
    return [*to_council(unit), *council(split_ballots(nominee_ids)), *after_council()]
