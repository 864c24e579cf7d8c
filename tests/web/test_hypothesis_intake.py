"""Generated dossiers through POST /api/v1/dossiers: any title and nominee names (every Unicode
category, unpaired surrogates, NUL, huge numbers) get 201 or a 4xx, never a 500; and what is
accepted reads back exactly as sent."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

every_character = st.characters(codec=None, categories=None)
texts = st.one_of(
    st.text(every_character, max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.sampled_from(["Nguyễn Thị Hằng", "a\x00b", "\ud800", "x\udfffy", "\t", " ", "ﷺ", "🏅"]),
)
huge = st.integers(min_value=-(2**80), max_value=2**80)
# Shaped like a real dossier (so that many are accepted) with hostile texts where people type.
nominee = st.fixed_dictionaries(
    {"kind": st.sampled_from(["individual", "collective"]), "name": texts},
    optional={
        "position": st.none() | texts,
        "achievement": st.none() | texts,
        "birth_date": st.sampled_from(["1985-03-12", "2000-02-29", "1985-02-30"]),
        "posthumous": st.booleans(),
    },
)
shaped = st.fixed_dictionaries(
    {
        "title": texts,
        "award_form": st.just("bk_btc"),
        "track": st.just("ad_hoc"),
        "procedure": st.just("regular"),
        "nominees": st.lists(nominee, min_size=1, max_size=3),
    },
)
# Anything else a client may send: wrong choices, ids and numbers far past 64 bits, extra keys.
noisy = st.fixed_dictionaries(
    {
        "title": texts | huge,
        "award_form": st.sampled_from(["bk_btc", "cstd", "bk_xyz"]) | texts,
        "track": st.sampled_from(["ad_hoc", "annual"]),
        "procedure": st.sampled_from(["regular", "simplified"]),
        "nominees": st.lists(
            st.fixed_dictionaries(
                {"kind": st.sampled_from(["individual", "team"]), "name": texts},
                optional={"id": huge, "posthumous": huge, "birth_date": texts},
            ),
            max_size=3,
        ),
    },
    optional={"simplified_reason": st.none() | texts, "movement_id": huge, "unit_id": huge},
)
bodies = st.one_of(shaped, shaped, noisy)


def test_generated_dossiers_are_created_as_sent_or_refused(api):
    headers = {**api.headers("canbo_ns"), "Content-Type": "application/json"}
    statuses: dict[int, int] = {}

    @settings(
        derandomize=True,
        max_examples=120,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(bodies)
    def check(body: dict[str, Any]) -> None:
        # ensure_ascii: unpaired surrogates travel as \\udXXX escapes, as a hostile client sends.
        raw = json.dumps(body, ensure_ascii=True).encode("ascii")
        response = api.client.post("/api/v1/dossiers", headers=headers, data=raw)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (response.status_code, body, response.json)
        if response.status_code != 201:
            assert 400 <= response.status_code < 500
            assert response.json["error"]["code"]
            return
        stored = api.dossier(response.json["id"], "canbo_ns")
        assert stored["title"] == body["title"].strip()
        sent = body["nominees"]
        assert [n["name"] for n in stored["nominees"]] == [n["name"] for n in sent]
        for got, row in zip(stored["nominees"], sent, strict=True):
            for field in ("kind", "position", "achievement", "birth_date"):
                if field in row:
                    assert got[field] == row[field], field

    check()
    assert statuses.get(201, 0) > 0, statuses
    assert statuses.get(422, 0) > 0, statuses
