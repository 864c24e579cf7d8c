"""Install the shipped process and, on an empty database, the demo organisation and accounts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import (
    AppSetting,
    Letterhead,
    Movement,
    OrgUnit,
    ProcessVersion,
    Role,
    RoleAssignment,
    User,
)
from webapp.services import award_rules_catalog, calendar_admin
from webapp.services.auth import hash_password
from webapp.services.process_versions import create_version, deploy_version, read_bundle_dir
from webapp.services.rounds.shipped import install_round_processes

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password
DEMO_FLAG = "demo_data"

ROLES = {
    "unit_officer": "Cán bộ đơn vị",
    "unit_head": "Lãnh đạo đơn vị",
    "office": "Văn phòng Sở",
    "council_member": "Thành viên Hội đồng Thi đua - Khen thưởng",
    "council_chair": "Chủ tịch Hội đồng Thi đua - Khen thưởng",
    "council_secretary": "Thư ký Hội đồng Thi đua - Khen thưởng",
    "director": "Giám đốc Sở",
    "ministry_officer": "Chuyên viên Vụ Thi đua - Khen thưởng, Bộ Tài chính",
    "minister": "Bộ trưởng Bộ Tài chính",
}

# code, name, kind, parent code
UNITS = [
    ("BTC", "Bộ Tài chính", "ministry", None),
    ("BN", "Sở Tài chính Bắc Ninh", "department", "BTC"),
    ("BN-QLNS", "Phòng Quản lý ngân sách", "division", "BN"),
    ("BN-TCDN", "Phòng Tài chính doanh nghiệp", "division", "BN"),
    ("HN", "Sở Tài chính Hà Nội", "department", "BTC"),
]

# username, full name, home unit, [(role, unit)]
DEMO_USERS = [
    ("admin", "Quản trị hệ thống", "BTC", []),
    ("canbo_ns", "Trần Văn Nam", "BN-QLNS", [("unit_officer", "BN-QLNS")]),
    ("truongphong_ns", "Lê Thị Thu Hà", "BN-QLNS", [("unit_head", "BN-QLNS")]),
    ("canbo_dn", "Phạm Quốc Huy", "BN-TCDN", [("unit_officer", "BN-TCDN")]),
    ("truongphong_dn", "Đỗ Minh Tuấn", "BN-TCDN", [("unit_head", "BN-TCDN")]),
    # The Office is the council's secretariat: its officer records the council's sessions.
    ("vanphong", "Ngô Thị Lan", "BN", [("office", "BN"), ("council_secretary", "BN")]),
    (
        "giamdoc",
        "Nguyễn Văn Đức",
        "BN",
        [("director", "BN"), ("council_chair", "BN"), ("council_member", "BN")],
    ),
    ("hoidong1", "Hoàng Văn Bình", "BN", [("council_member", "BN")]),
    ("hoidong2", "Vũ Thị Mai", "BN", [("council_member", "BN")]),
    ("hoidong3", "Bùi Đức Thắng", "BN", [("council_member", "BN")]),
    ("hoidong4", "Đặng Thị Hoa", "BN", [("council_member", "BN")]),
    ("chuyenvien_bo", "Trịnh Quang Vinh", "BTC", [("ministry_officer", "BTC")]),
    ("botruong", "Phan Minh Khoa", "BTC", [("minister", "BTC")]),
    ("vanphong_hn", "Lý Thị Ngọc", "HN", [("office", "HN")]),
]

# The issuing units' letterheads: unit code, place, parent body, issuing body, name in the
# sentences, abbreviation, signer's title (the administrator edits them at /admin/letterheads).
LETTERHEADS = [
    ("BTC", "Hà Nội", "", "BỘ TÀI CHÍNH", "Bộ Tài chính", "BTC", "BỘ TRƯỞNG"),
    ("BN", "Bắc Ninh", "UBND TỈNH BẮC NINH", "SỞ TÀI CHÍNH", "Sở Tài chính", "STC", "GIÁM ĐỐC"),
    ("HN", "Hà Nội", "UBND THÀNH PHỐ HÀ NỘI", "SỞ TÀI CHÍNH", "Sở Tài chính", "STC", "GIÁM ĐỐC"),
]

MOVEMENT = (
    "KH-STC-10-2021",
    "Phong trào thi đua đặc biệt “Ngành Tài chính đoàn kết, chung sức, đồng lòng thi đua "
    "phòng, chống và chiến thắng đại dịch Covid-19”",
)


def ensure_roles(session: Session) -> None:
    """Make sure the product's roles exist."""
    existing = set(session.scalars(select(Role.code)))
    for code, name in ROLES.items():
        if code not in existing:
            session.add(Role(code=code, name=name))
    session.flush()


def install_shipped_process(
    session: Session, bpmn_dir: Path, process_key: str
) -> ProcessVersion | None:
    """Create and deploy version 1 from bpmn/ when the process has no version yet."""
    has_version = session.scalar(
        select(func.count())
        .select_from(ProcessVersion)
        .where(ProcessVersion.process_key == process_key)
    )
    if has_version:
        return None
    bpmn_xml, files = read_bundle_dir(bpmn_dir, process_key)
    version = create_version(
        session, None, process_key, bpmn_xml, files, comment="Quy trình mặc định"
    )
    if version.problems:
        raise RuntimeError(f"the shipped process has problems: {version.problems}")
    return deploy_version(session, None, process_key, version.version)


def demo_data_in_use(session: Session) -> bool:
    """Whether the demo accounts (password "demo") were installed here."""
    return session.get(AppSetting, DEMO_FLAG) is not None


def seed_demo(session: Session, bpmn_dir: Path, process_key: str) -> bool:
    """Install roles, the shipped process and the demo organisation on an empty database."""
    ensure_roles(session)
    install_shipped_process(session, bpmn_dir, process_key)
    install_round_processes(session, bpmn_dir)
    award_rules_catalog.ensure_defaults(session)
    calendar_admin.ensure_shipped_exceptions(session)
    if session.scalar(select(func.count()).select_from(User)):
        return False
    units: dict[str, OrgUnit] = {}
    for code, name, kind, parent in UNITS:
        unit = OrgUnit(
            code=code, name=name, kind=kind, parent=units.get(parent) if parent else None
        )
        session.add(unit)
        units[code] = unit
    session.flush()
    password = hash_password(DEMO_PASSWORD)
    for username, full_name, home, roles in DEMO_USERS:
        user = User(
            username=username,
            full_name=full_name,
            unit_id=units[home].id,
            password_hash=password,
            is_admin=username == "admin",
            email=f"{username}@example.invalid",
        )
        session.add(user)
        session.flush()
        for role, unit_code in roles:
            session.add(RoleAssignment(user_id=user.id, role=role, unit_id=units[unit_code].id))
    for code, place, parent_body, body, body_name, abbreviation, title in LETTERHEADS:
        session.add(
            Letterhead(
                unit_id=units[code].id,
                place=place,
                parent_body=parent_body,
                issuing_body=body,
                body_name=body_name,
                abbreviation=abbreviation,
                signer_title=title,
            )
        )
    session.add(Movement(code=MOVEMENT[0], name=MOVEMENT[1]))
    session.add(AppSetting(key=DEMO_FLAG, value="true"))
    session.flush()
    return True
