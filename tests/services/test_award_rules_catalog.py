"""The current rules' lists: shipped from the law with their basis and date, the documents a
dossier lacks, the check's warnings, and the administrator's edits refused with the field."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import actor_named
from webapp.models import Movement
from webapp.services import award_rules_catalog as catalog
from webapp.services import same_nominees
from webapp.services.attachments import Upload, store_attachments
from webapp.services.dossiers import start_dossier
from webapp.services.errors import InvalidDataError, PermissionDeniedError

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
TODAY = date(2026, 12, 6)


def new_dossier(db, *nominees, award_form="bk_btc", movement_id=None, **header):
    payload = {
        "title": "Đề nghị khen thưởng",
        "award_form": award_form,
        "track": "ad_hoc",
        "procedure": "regular",
        "movement_id": movement_id,
        "nominees": list(nominees) or [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
        **header,
    }
    return start_dossier(db, actor_named(db, "canbo_ns"), payload)


def test_the_shipped_lists_carry_the_law_and_its_date(db):
    cases = catalog.simplified_cases(db)
    assert [c.code for c in cases] == [
        "art85_political",
        "art85_ad_hoc",
        "art85_found_by_head",
        "art85_service",
        "art85_state_secret",
    ]
    assert all("Điều 85" in c.legal_basis for c in cases)
    for key in (catalog.CASES_KEY, catalog.DOCUMENTS_KEY, catalog.REPEAT_KEY, catalog.DMN_KEY):
        basis = catalog.basis_of(db, key)
        assert basis is not None
        assert basis.legal_basis
        assert basis.effective_from == date(2024, 1, 1)
    assert "Điều 84" in catalog.basis_of(db, catalog.DOCUMENTS_KEY).legal_basis
    # Seeding again changes nothing.
    catalog.ensure_defaults(db)
    assert len(catalog.simplified_cases(db)) == 5


def test_missing_documents_per_nominee_and_per_dossier(db):
    admin = actor_named(db, "admin")
    catalog.save_requirements(
        db,
        admin,
        [
            {"procedure": "regular", "award_form": "*", "kind": "achievement_report",
             "per_nominee": True, "enforced": True},
            {"procedure": "regular", "award_form": "bk_ttg", "kind": "concurrence",
             "enforced": True},
            {"procedure": "simplified", "award_form": "*", "kind": "submission", "enforced": True},
        ],
    )  # fmt: skip
    dossier = new_dossier(
        db,
        {"kind": "individual", "name": "Nguyễn Thị Hằng"},
        {"kind": "collective", "name": "Phòng Quản lý ngân sách"},
    )
    [missing] = catalog.missing_documents(db, dossier)
    assert (missing.kind, missing.nominees) == (
        "achievement_report",
        ("Nguyễn Thị Hằng", "Phòng Quản lý ngân sách"),
    )
    first = dossier.nominees[0]
    upload = Upload("bc.pdf", PDF, kind="achievement_report", nominee_id=first.id)
    store_attachments(db, actor_named(db, "canbo_ns"), dossier, [upload])
    [missing] = catalog.missing_documents(db, dossier)
    assert missing.nominees == ("Phòng Quản lý ngân sách",)
    # A form-specific row applies to that award form only.
    other = new_dossier(db, award_form="bk_ttg")
    assert {m.kind for m in catalog.missing_documents(db, other)} == {
        "achievement_report",
        "concurrence",
    }
    assert {m.kind for m in catalog.missing_documents(db, other, adding={"concurrence"})} == {
        "achievement_report"
    }
    with pytest.raises(catalog.MissingDocumentsError) as refused:
        catalog.require_documents_at_check(db, other, "check_dossier", "approve")
    assert set(refused.value.fields) == {
        "attachments.achievement_report",
        "attachments.concurrence",
    }
    # Returning, or another step, needs nothing.
    catalog.require_documents_at_check(db, other, "check_dossier", "return")
    catalog.require_documents_at_check(db, other, "sign_submission", "approve")


def test_the_same_person_twice_in_a_movement_is_a_warning(db):
    movement = db.query(Movement).first()
    person = {"kind": "individual", "name": "Nguyễn Thị Hằng", "birth_date": "1985-03-12"}
    first = new_dossier(db, person, movement_id=movement.id)
    # Typed without diacritics in the other unit's dossier: still the same person.
    same = {"kind": "individual", "name": "nguyen thi hang", "birth_date": "1985-03-12"}
    second = new_dossier(db, same, award_form="bk_ttg", movement_id=movement.id)
    warnings = catalog.check_warnings(db, second, TODAY)
    duplicates = [w for w in warnings if w.kind == "duplicate_in_movement"]
    assert [(w.nominee, w.other_dossier) for w in duplicates] == [("nguyen thi hang", first.code)]
    # A third proposal: still one warning for the nominee, naming the newest and counting the rest.
    third_time = new_dossier(db, person, movement_id=movement.id)
    [warning] = [
        w for w in catalog.check_warnings(db, third_time, TODAY) if w.kind.startswith("dup")
    ]
    assert (warning.other_dossier, warning.others) == (second.code, 1)
    # A refused dossier no longer counts.
    second.status = "refused"
    db.flush()
    [warning] = [
        w for w in catalog.check_warnings(db, third_time, TODAY) if w.kind.startswith("dup")
    ]
    assert (warning.other_dossier, warning.others) == (first.code, 0)
    # Another person of the same name (another date of birth) is not warned about.
    namesake = {"kind": "individual", "name": "Nguyễn Thị Hằng", "birth_date": "1990-01-01"}
    third = new_dossier(db, namesake, movement_id=movement.id)
    assert not [w for w in catalog.check_warnings(db, third, TODAY) if w.kind.startswith("dup")]


def test_the_same_collective_is_known_by_its_unit(db):
    unit_id = actor_named(db, "canbo_ns").unit_id
    new_dossier(db, {"kind": "collective", "name": "Phòng QLNS", "org_unit_id": unit_id})
    second = new_dossier(
        db, {"kind": "collective", "name": "Phòng Quản lý ngân sách", "org_unit_id": unit_id}
    )
    kinds = [w.kind for w in catalog.check_warnings(db, second, TODAY)]
    assert "duplicate_in_movement" in kinds


def test_the_same_award_within_the_rules_years_is_a_warning(db):
    earlier = new_dossier(db, {"kind": "individual", "name": "Trần Văn Đông"})
    earlier.status = "awarded"
    [nominee] = earlier.nominees
    nominee.result, nominee.decision_date = "awarded", TODAY - timedelta(days=365)
    db.flush()
    later = new_dossier(db, {"kind": "individual", "name": "Trần Văn Đông"})
    [warning] = [w for w in catalog.check_warnings(db, later, TODAY) if w.kind == "repeat_award"]
    assert (warning.year, warning.years, warning.other_dossier) == (TODAY.year - 1, 2, earlier.code)
    # Past the period (2 years for the Minister's certificate as shipped): no warning.
    nominee.decision_date = TODAY - timedelta(days=3 * 365)
    db.flush()
    assert not [w for w in catalog.check_warnings(db, later, TODAY) if w.kind == "repeat_award"]
    # Another award form is not a repeat.
    nominee.decision_date = TODAY - timedelta(days=30)
    db.flush()
    other = new_dossier(db, {"kind": "individual", "name": "Trần Văn Đông"}, award_form="hcld_3")
    assert not [w for w in catalog.check_warnings(db, other, TODAY) if w.kind == "repeat_award"]


def test_a_collective_without_its_unit_is_known_by_name_and_another_unit_is_not_it(db):
    unit_id = actor_named(db, "canbo_ns").unit_id
    other_unit = actor_named(db, "canbo_dn").unit_id
    assert other_unit != unit_id
    typed = new_dossier(db, {"kind": "collective", "name": "Phòng Quản lý ngân sách"})
    # The same name of another unit is another collective.
    new_dossier(
        db, {"kind": "collective", "name": "Phòng Quản lý ngân sách", "org_unit_id": other_unit}
    )
    mine = new_dossier(
        db, {"kind": "collective", "name": "Phong quan ly ngan sach", "org_unit_id": unit_id}
    )
    [warning] = [w for w in catalog.check_warnings(db, mine, TODAY) if w.kind.startswith("dup")]
    assert (warning.other_dossier, warning.others) == (typed.code, 0)


def test_a_nominee_awarded_earlier_in_the_movement_gets_both_warnings(db):
    movement = db.query(Movement).first()
    person = {"kind": "individual", "name": "Phạm Minh Chính", "birth_date": "1970-05-01"}
    earlier = new_dossier(db, person, movement_id=movement.id)
    earlier.status = "awarded"
    [nominee] = earlier.nominees
    nominee.result, nominee.decision_date = "awarded", TODAY - timedelta(days=200)
    db.flush()
    later = new_dossier(db, person, movement_id=movement.id)
    kinds = [w.kind for w in catalog.check_warnings(db, later, TODAY)]
    assert kinds.count("duplicate_in_movement") == 1
    assert kinds.count("repeat_award") == 1


def test_a_name_proposed_past_the_bound_is_counted_as_at_least(db, monkeypatch):
    # Each nominee's other dossiers are read newest first up to the bound: a unit proposed in
    # thousands of dossiers costs the check that many rows, and the count says "at least".
    monkeypatch.setattr(same_nominees, "READ_BOUND", 3)
    movement = db.query(Movement).first()
    person = {"kind": "individual", "name": "Đỗ Thị Lan"}
    others = [new_dossier(db, person, movement_id=movement.id) for _ in range(3)]
    mine = new_dossier(db, person, {"kind": "individual", "name": "Vũ Văn Nam"})
    mine.movement_id = movement.id
    db.flush()

    def duplicate():
        found = catalog.check_warnings(db, mine, TODAY)
        return [
            (w.nominee, w.other_dossier, w.others, w.others_is_lower_bound)
            for w in found
            if w.kind == "duplicate_in_movement"
        ]

    assert duplicate() == [("Đỗ Thị Lan", others[-1].code, 2, False)]
    others.append(new_dossier(db, person, movement_id=movement.id))
    assert duplicate() == [("Đỗ Thị Lan", others[-1].code, 3, True)]
    # The other nominee's read is its own: one name's many matches do not hide another's.
    namesake = new_dossier(db, {"kind": "individual", "name": "Vu Van Nam"})
    namesake.movement_id = movement.id
    db.flush()
    assert duplicate() == [
        ("Đỗ Thị Lan", others[-1].code, 3, True),
        ("Vũ Văn Nam", namesake.code, 0, False),
    ]


def test_a_posthumous_award_without_its_data_is_a_warning(db):
    dossier = new_dossier(db, {"kind": "individual", "name": "Lê Văn Tâm", "posthumous": True})
    assert "posthumous_data" in [w.kind for w in catalog.check_warnings(db, dossier, TODAY)]
    complete = new_dossier(
        db,
        {
            "kind": "individual",
            "name": "Lê Văn Tâm",
            "posthumous": True,
            "death_date": "2021-08-01",
            "next_of_kin": "Lê Thị Mai (vợ)",
        },
    )
    assert "posthumous_data" not in [w.kind for w in catalog.check_warnings(db, complete, TODAY)]


def test_only_administrators_edit_and_bad_values_name_their_field(db):
    admin = actor_named(db, "admin")
    with pytest.raises(PermissionDeniedError):
        catalog.save_case(db, actor_named(db, "vanphong"), {"code": "x", "label": "X"})
    with pytest.raises(InvalidDataError) as bad:
        catalog.save_case(db, admin, {"code": "Có dấu", "label": "X"})
    assert set(bad.value.fields) == {"code"}
    with pytest.raises(InvalidDataError) as taken:
        catalog.save_case(db, admin, {"code": "art85_ad_hoc", "label": "X"})
    assert set(taken.value.fields) == {"code"}
    with pytest.raises(InvalidDataError) as blank:
        catalog.save_case(db, admin, {"code": "new_case", "label": "  "})
    assert set(blank.value.fields) == {"label"}
    with pytest.raises(InvalidDataError) as kind:
        catalog.save_requirements(
            db, admin, [{"procedure": "regular", "award_form": "*", "kind": "selfie"}]
        )
    assert set(kind.value.fields) == {"requirements.0.kind"}
    with pytest.raises(InvalidDataError) as years:
        catalog.save_repeat_periods(db, admin, {"bk_btc": "hai"}, {})
    assert set(years.value.fields) == {"years.bk_btc"}
    with pytest.raises(InvalidDataError) as when:
        catalog.set_basis(
            db, admin, catalog.CASES_KEY, {"legal_basis": "Luật", "effective_from": "31/12/2025"}
        )
    assert set(when.value.fields) == {"effective_from"}


def test_a_retired_case_is_no_longer_offered_nor_accepted(db):
    admin = actor_named(db, "admin")
    [case] = [c for c in catalog.simplified_cases(db) if c.code == "art85_state_secret"]
    catalog.save_case(db, admin, {"label": case.label, "active": False}, case.id)
    offered = [c.code for c in catalog.simplified_cases(db, active_only=True)]
    assert "art85_state_secret" not in offered
    with pytest.raises(InvalidDataError) as refused:
        new_dossier(db, procedure="simplified", simplified_case="art85_state_secret")
    assert set(refused.value.fields) == {"simplified_case"}
    kept = new_dossier(db, procedure="simplified", simplified_case="art85_ad_hoc")
    assert catalog.case_label(db, kept.simplified_case).startswith("Thành tích xuất sắc đột xuất")
