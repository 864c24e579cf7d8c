"""The award history look-up page (Office only) and the earlier awards shown on a nominee's row
of the dossier page."""

from __future__ import annotations

from datetime import date

from tests.web.pages import login
from webapp.models import Dossier, Nominee
from webapp.request_db import database
from webapp.services.text_search import fold


def _award_before(app, dossier_id: int, name: str) -> None:
    """A closed, awarded copy of the dossier for `name` (the earlier award)."""
    with database(app).transaction() as session:
        current = session.get_one(Dossier, dossier_id)
        earlier = Dossier(
            code=f"{current.code}-CU",
            title="Hồ sơ năm trước",
            award_form="bk_btc",
            track="final",
            procedure="regular",
            status="awarded",
            unit_id=current.unit_id,
            created_by_id=current.created_by_id,
        )
        earlier.nominees.append(
            Nominee(
                kind="individual",
                name=name,
                folded_name=fold(name),
                result="awarded",
                decision_number="77/QĐ-BTC",
                decision_date=date(2024, 12, 10),
            )
        )
        session.add(earlier)


def test_office_finds_an_award_typed_without_diacritics(app, api):
    dossier = api.start()
    name = dossier["nominees"][0]["name"]
    _award_before(app, dossier["id"], name)
    client = api.client
    login(client, "vanphong")
    page = client.get("/khen-thuong/lich-su", query_string={"ten": fold(name).upper()})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "77/QĐ-BTC" in text
    assert name in text
    assert client.get("/khen-thuong/lich-su", query_string={"ten": "zzqq"}).status_code == 200

    # On the dossier page, the nominee's row names the earlier award.
    show = client.get(f"/dossiers/{dossier['id']}").get_data(as_text=True)
    row = show.split(f'data-nominee="{dossier["nominees"][0]["id"]}"')[1].split("</tr>")[0]
    assert "data-past-awards" in row
    assert "77/QĐ-BTC" in row


def test_only_the_office_opens_the_look_up(app, client):
    login(client, "canbo_ns")
    assert client.get("/khen-thuong/lich-su").status_code == 403
    anonymous = app.test_client().get("/khen-thuong/lich-su")
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
