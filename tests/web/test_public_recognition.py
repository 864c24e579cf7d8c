"""The public recognition pages (/vinh-danh): no login; only nominees awarded AND published by
the Office (their dossier ended awarded or partly awarded) appear, on the list, the movement's
page, the awardee's page and the Atom feed; nothing personal beyond name, position and unit."""

from __future__ import annotations

import itertools
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from flask import Flask
from sqlalchemy import select

from tests.web.pages import login
from webapp.models import Dossier, Movement, Nominee, OrgUnit, User
from webapp.request_db import database
from webapp.services import recognition

DOSSIER_STATUSES = ["in_progress", "returned", "awarded", "partly_awarded", "refused", "withdrawn"]
RESULTS = ["pending", "passed", "failed", "awarded", "refused"]
PUBLISHED = {("awarded", "awarded"), ("partly_awarded", "awarded")}
ATOM = "{http://www.w3.org/2005/Atom}"
# Personal data the pages must never show (set on every nominee).
ACHIEVEMENT = "Sáng kiến tiết kiệm ngân sách bí mật"
KIN = "Trần Văn Người Nhà"
# Movements outlive a test (they are not per-test rows): each test names its own.
CODE = f"PT-{uuid.uuid4().hex[:8]}"


def _name(status: str, result: str) -> str:
    return f"Người {status} {result}"


def _seed(app: Flask) -> tuple[dict[tuple[str, str], int], str, str]:
    """One dossier per status, one nominee per result in each; returns their ids and the codes
    of the movement and of another one."""
    ids: dict[tuple[str, str], int] = {}
    with database(app).transaction() as session:
        unit = session.scalars(select(OrgUnit).where(OrgUnit.kind == "division")).first()
        user = session.scalars(select(User)).first()
        suffix = uuid.uuid4().hex[:6]
        movement = Movement(code=f"{CODE}-{suffix}", name="Thi đua tài chính 2026")
        other = Movement(code=f"KHAC-{suffix}", name="Phong trào khác")
        session.add_all([movement, other])
        session.flush()
        for number, status in enumerate(DOSSIER_STATUSES):
            dossier = Dossier(
                code=f"VD-{number}",
                title=f"Hồ sơ {status}",
                award_form="bk_btc",
                track="final",
                procedure="regular",
                status=status,
                unit_id=unit.id,
                movement_id=movement.id,
                created_by_id=user.id,
                closed_at=datetime(2026, 12, 1, 8, number, tzinfo=UTC),
            )
            for position, result in enumerate(RESULTS):
                dossier.nominees.append(
                    Nominee(
                        position=position,
                        kind="individual",
                        name=_name(status, result),
                        folded_name="",
                        job_title="Chuyên viên chính",
                        gender="female",
                        birth_date=date(1979, 3, 14),
                        achievement=ACHIEVEMENT,
                        next_of_kin=KIN,
                        death_date=date(2026, 2, 3),
                        result=result,
                        decision_number="345/QĐ-BTC" if result == "awarded" else None,
                        decision_date=date(2026, 12, 1) if result == "awarded" else None,
                    )
                )
            session.add(dossier)
            session.flush()
            for nominee in dossier.nominees:
                ids[(status, nominee.result)] = nominee.id
        codes = movement.code, other.code
    return ids, *codes


def _secret(app: Flask) -> str:
    return f"recognition:{app.config['SECRET_KEY']}"


def _feed_titles(body: bytes) -> list[str]:
    root = ET.fromstring(body)  # noqa: S314 - our own feed, produced in the test
    return [e.findtext(f"{ATOM}title") or "" for e in root.iter(f"{ATOM}entry")]


def test_only_published_awards_appear_with_every_status(app, client):
    ids, code, other_code = _seed(app)
    index = client.get("/vinh-danh")
    movement = client.get(f"/vinh-danh/{code}")
    other = client.get(f"/vinh-danh/{other_code}")
    feed = client.get("/vinh-danh/feed.atom")
    for response in (index, movement, other, feed):
        assert response.status_code == 200
    assert feed.mimetype == "application/atom+xml"
    titles = _feed_titles(feed.data)
    assert len(titles) == len(PUBLISHED)
    pages = {"index": index.get_data(as_text=True), "movement": movement.get_data(as_text=True)}
    singles: list[str] = []

    for status, result in itertools.product(DOSSIER_STATUSES, RESULTS):
        name = _name(status, result)
        shown = (status, result) in PUBLISHED
        for where, page in pages.items():
            assert (name in page) is shown, (where, status, result)
        assert any(t.startswith(name) for t in titles) is shown, (status, result)
        assert name not in other.get_data(as_text=True)
        opaque = recognition.public_id(ids[(status, result)], _secret(app))
        single = client.get(f"/vinh-danh/nguoi/{opaque}")
        assert single.status_code == (200 if shown else 404), (status, result)
        if shown:
            text = single.get_data(as_text=True)
            assert name in text
            assert "Chuyên viên chính" in text
            assert "345/QĐ-BTC" in text
            assert "Thi đua tài chính 2026" in text
            singles.append(text)

    # Nothing personal beyond name, position and unit, anywhere.
    everything = "\n".join([*pages.values(), *singles, feed.get_data(as_text=True)])
    for personal in (ACHIEVEMENT, KIN, "1979", "14/03", "female", "Nữ", "VD-"):
        assert personal not in everything, personal


def test_forged_or_unknown_ids_and_movements_are_not_found(app, client):
    ids, _code, _other = _seed(app)
    published = ids[("awarded", "awarded")]
    forged = recognition.public_id(published, "another secret")
    assert client.get(f"/vinh-danh/nguoi/{forged}").status_code == 404
    assert client.get(f"/vinh-danh/nguoi/{published}").status_code == 404
    assert client.get("/vinh-danh/nguoi/%E2%80%AE").status_code == 404
    assert client.get("/vinh-danh/KHONG-CO").status_code == 404


def test_public_pages_are_cacheable_and_answer_not_modified(app, client):
    _seed(app)
    for url in ("/vinh-danh", "/vinh-danh/feed.atom"):
        first = client.get(url)
        assert first.headers["Cache-Control"].startswith("public, max-age=")
        # A page a shared cache keeps must not carry anyone's cookie.
        assert "Set-Cookie" not in first.headers
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
    # A logged-in user's page names them in the navigation: kept only by their own browser.
    login(client, "vanphong")
    assert client.get("/vinh-danh").headers["Cache-Control"].startswith("private")
