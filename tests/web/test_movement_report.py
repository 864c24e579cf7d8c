"""The Office's movement report: the page's totals, the Excel file's totals row (read back with
openpyxl) and the database's own counts are the same numbers; every stage is counted as its
definition says; only the Office opens it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.web.pages import login
from webapp.models import Dossier, Movement, Nominee, OrgUnit, User, WorkItem
from webapp.request_db import database

STAGES = ["proposed", "passed_council", "sent_up", "awarded", "refused", "pending", "overdue"]


def _dossier(session, movement_id, unit_code, award_form, status, rows, *, submitted=False):
    """A dossier with nominees given as (result, tallied by a council)."""
    unit = session.scalars(select(OrgUnit).where(OrgUnit.code == unit_code)).one()
    user = session.scalars(select(User).where(User.username == "admin")).one()
    dossier = Dossier(
        title="Hồ sơ báo cáo",
        award_form=award_form,
        track="final",
        procedure="regular",
        status=status,
        unit_id=unit.id,
        movement_id=movement_id,
        created_by_id=user.id,
        submission_number="5/TTr-STC" if submitted else None,
    )
    for position, (result, tallied) in enumerate(rows):
        dossier.nominees.append(
            Nominee(
                position=position,
                kind="individual",
                name=f"Người {position}",
                result=result,
                council_agree=4 if tallied else None,
                council_members=5 if tallied else None,
            )
        )
    session.add(dossier)


def _seed(app, api) -> int:
    """A movement with dossiers at every stage, one overdue at its first step; returns its id."""
    started = api.start()  # a real dossier with an open step: made overdue below
    with database(app).transaction() as session:
        movement = Movement(code=f"BC-{uuid.uuid4().hex[:8]}", name="Phong trào báo cáo")
        other = Movement(code=f"BC-{uuid.uuid4().hex[:8]}", name="Phong trào khác")
        session.add_all([movement, other])
        session.flush()
        m = movement.id
        _dossier(
            session,
            m,
            "BN-QLNS",
            "bk_btc",
            "partly_awarded",
            [("awarded", True), ("refused", True), ("failed", True)],
            submitted=True,
        )
        _dossier(
            session, m, "BN-TCDN", "bk_ttg", "in_progress", [("pending", False), ("passed", True)]
        )
        _dossier(session, m, "BN-TCDN", "bk_btc", "refused", [("refused", False)])
        # Left out: a withdrawn dossier and another movement's.
        _dossier(session, m, "BN-QLNS", "bk_btc", "withdrawn", [("pending", False)])
        _dossier(session, other.id, "BN-QLNS", "bk_btc", "awarded", [("awarded", True)])
        real = session.get_one(Dossier, started["id"])
        real.movement_id = m
        for item in session.scalars(select(WorkItem).where(WorkItem.dossier_id == real.id)):
            item.due_at = datetime.now(UTC) - timedelta(days=2)
    return m


# What the seed holds, counted by hand from the definitions (the started dossier: 2 pending
# nominees of BN-QLNS, bk_btc, overdue).
EXPECTED = {
    "proposed": 3 + 2 + 1 + 2,
    "passed_council": 2 + 1,
    "sent_up": 2,
    "awarded": 1,
    "refused": 2 + 1,
    "pending": 2 + 2,
    "overdue": 2,
}


def _database_counts(app, movement_id: int) -> dict[str, int]:
    """The same numbers asked of the database directly, one plain COUNT each."""
    with database(app).transaction() as session:

        def count(*where):
            query = (
                select(func.count(Nominee.id))
                .join(Dossier, Dossier.id == Nominee.dossier_id)
                .where(Dossier.movement_id == movement_id, Dossier.status != "withdrawn", *where)
            )
            return session.scalar(query)

        return {
            "proposed": count(),
            "awarded": count(Nominee.result == "awarded"),
            "refused": count(Nominee.result.in_(["refused", "failed"])),
            "pending": count(Nominee.result.in_(["pending", "passed"])),
        }


def test_page_xlsx_and_database_totals_agree(app, api):
    movement_id = _seed(app, api)
    client = api.client
    login(client, "vanphong")
    page = client.get("/bao-cao/phong-trao", query_string={"movement": movement_id})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    page_totals = {
        name: int(value) for name, value in re.findall(r'data-total="(\w+)">(\d+)<', html)
    }
    assert page_totals == EXPECTED
    # Each stage's rows add up to its total.
    for stage in STAGES:
        cells = re.findall(rf'data-count="{stage}">(\d+)<', html)
        assert sum(int(c) for c in cells) == EXPECTED[stage], stage
    assert "build/report.js" in html
    assert 'id="report-data"' in html

    database_counts = _database_counts(app, movement_id)
    assert database_counts == {k: EXPECTED[k] for k in database_counts}

    xlsx = client.get("/bao-cao/phong-trao.xlsx", query_string={"movement": movement_id})
    assert xlsx.status_code == 200
    assert xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(xlsx.data)).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    flat = " ".join(str(v) for r in rows for v in r if v)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert "Phong trào báo cáo" in flat
    header = next(i for i, r in enumerate(rows) if r[0] == "STT")
    total = next(i for i, r in enumerate(rows) if r[1] == "Tổng cộng")
    assert dict(zip(STAGES, rows[total][3:], strict=True)) == EXPECTED
    # The signatures follow the totals row.
    assert "NGƯỜI LẬP BIỂU" in flat
    assert "THỦ TRƯỞNG CƠ QUAN" in flat
    unit_rows = rows[header + 1 : total]
    # One row per unit and award form: QLNS bk_btc, TCDN bk_btc, TCDN bk_ttg.
    assert len(unit_rows) == 3
    for offset, stage in enumerate(STAGES):
        assert sum(r[3 + offset] for r in unit_rows) == EXPECTED[stage], stage


def test_time_per_step_and_who_may_open_it(app, api):
    movement_id = _seed(app, api)
    client = api.client
    login(client, "vanphong")
    html = client.get("/bao-cao/phong-trao", query_string={"movement": movement_id}).get_data(
        as_text=True
    )
    step = html.split('data-step="prepare_dossier"')[1].split("</tr>")[0]
    # Open now 1, overdue 1 (the last two cells).
    assert re.findall(r">(\d+)</td>", step)[-2:] == ["1", "1"]
    bad = client.get("/bao-cao/phong-trao", query_string={"movement": "abc"})
    assert bad.status_code == 422
    assert "Phong trào" in bad.get_data(as_text=True)
    assert client.get("/bao-cao/phong-trao.xlsx", query_string={"movement": "0"}).status_code == 422

    other = app.test_client()
    login(other, "canbo_ns")
    assert other.get("/bao-cao/phong-trao").status_code == 403
    assert other.get("/bao-cao/phong-trao.xlsx").status_code == 403
