"""The process map's numbers: waiting dossiers and overdue, read live from work items; median
times, read from the summary the job queue rebuilds from the newest completed work items."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select, update

from tests.conftest import actor_named
from webapp.db import utcnow
from webapp.models import ProcessVersion, WorkItem
from webapp.services import dossiers, process_map, process_map_summary, process_versions, work_items
from webapp.services.errors import InvalidDataError, NotFoundError
from webapp.services.process_map import MapFilters

MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]
NEW = {
    "title": "Đề nghị khen thưởng đột xuất",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
}
HEADS = {"canbo_ns": "truongphong_ns", "canbo_dn": "truongphong_dn"}


def open_items(db, dossier, step):
    return list(
        db.scalars(
            select(WorkItem).where(
                WorkItem.dossier_id == dossier.id, WorkItem.step == step, WorkItem.status == "open"
            )
        )
    )


def complete(db, username, dossier, step, data):
    actor = actor_named(db, username)
    item = next(i for i in open_items(db, dossier, step) if i.assignee_id in (None, actor.user_id))
    work_items.complete_work_item(db, actor, item.id, data)
    db.commit()


def start(db, officer="canbo_ns", **overrides):
    dossier = dossiers.start_dossier(db, actor_named(db, officer), {**NEW, **overrides})
    db.commit()
    return dossier


def at_check(db, officer="canbo_ns", **overrides):
    dossier = start(db, officer, **overrides)
    complete(db, officer, dossier, "prepare_dossier", {"decision": "submit"})
    complete(db, HEADS[officer], dossier, "approve_at_unit", {"decision": "approve"})
    return dossier


def at_council(db, officer="canbo_ns", **overrides):
    dossier = at_check(db, officer, **overrides)
    complete(db, "vanphong", dossier, "check_dossier", {"decision": "approve"})
    return dossier


def rebuild(db, **options):
    """Run the summary's rebuild, as the job queue does every few minutes."""
    counted = process_map_summary.refresh(db, utcnow(), **options)
    db.commit()
    return counted


def the_map(db, username="vanphong", **filters):
    return process_map.process_map(db, actor_named(db, username), MapFilters(**filters))


def by_step(found):
    return {s.step: s for s in [*found.steps, *found.retired_steps]}


def test_dossiers_are_counted_once_per_step_however_many_items_wait(db):
    at_check(db)
    at_check(db)
    council = at_council(db)
    assert len(open_items(db, council, "council_vote")) == 5

    found = the_map(db)
    steps = by_step(found)
    assert steps["check_dossier"].waiting == 2
    assert steps["council_vote"].waiting == 1
    assert steps["prepare_dossier"].waiting == 0
    assert found.waiting == 3
    assert found.retired_steps == []
    # Heat is relative to the busiest step but never over fewer than HEAT_FLOOR dossiers: two
    # and one waiting are the palest colour, not a hot spot; nobody waiting is level 0.
    assert (steps["check_dossier"].heat, steps["council_vote"].heat) == (1, 1)
    assert steps["prepare_dossier"].heat == 0
    assert (found.busiest, found.heat_scale) == (2, process_map.HEAT_FLOOR)


def test_steps_come_in_diagram_order_with_their_names(db):
    found = the_map(db)
    ids = [s.step for s in found.steps]
    assert ids[:3] == ["prepare_dossier", "approve_at_unit", "check_dossier"]
    assert "council_vote" in ids
    assert by_step(found)["check_dossier"].name == "Kiểm tra hồ sơ"
    assert all(s.in_diagram for s in found.steps)
    assert found.version == 1


def test_overdue_counts_dossiers_whose_open_items_are_past_due(db):
    late, on_time = at_check(db), at_check(db)
    council = at_council(db)
    past = utcnow() - timedelta(days=1)
    db.execute(
        update(WorkItem)
        .where(WorkItem.dossier_id.in_([late.id, council.id]), WorkItem.status == "open")
        .values(due_at=past)
    )
    db.commit()

    found = the_map(db)
    steps = by_step(found)
    assert (steps["check_dossier"].waiting, steps["check_dossier"].overdue) == (2, 1)
    # Five late ballots are one late dossier.
    assert steps["council_vote"].overdue == 1
    assert (found.waiting, found.overdue) == (3, 2)
    assert on_time.id not in {
        row.dossier_id
        for row in process_map.waiting_at_step(
            db, actor_named(db, "vanphong"), "check_dossier"
        ).dossiers
        if row.overdue
    }


def _set_times(db, dossier, step, created, completed):
    db.execute(
        update(WorkItem)
        .where(WorkItem.dossier_id == dossier.id, WorkItem.step == step)
        .values(created_at=created, completed_at=completed)
    )


def test_median_time_comes_from_completed_items_only(db):
    base = utcnow() - timedelta(days=30)
    for hours in (1, 3, 20):
        dossier = at_check(db)
        _set_times(db, dossier, "approve_at_unit", base, base + timedelta(hours=hours))
    waiting = at_check(db)  # still open at check_dossier: no effect on approve_at_unit
    db.execute(
        update(WorkItem)
        .where(WorkItem.dossier_id == waiting.id, WorkItem.step == "check_dossier")
        .values(created_at=base)
    )
    db.commit()
    rebuild(db)

    steps = by_step(the_map(db))
    approve = steps["approve_at_unit"]
    assert approve.sample_size == 4  # three set above, one of the waiting dossier
    durations = sorted(
        process_map.step_durations(db, actor_named(db, "vanphong"), ["approve_at_unit"])[
            "approve_at_unit"
        ]
    )
    assert durations[1:] == [3600.0, 3 * 3600.0, 20 * 3600.0]
    assert approve.median_seconds == pytest.approx((durations[1] + durations[2]) / 2)
    assert steps["check_dossier"].median_seconds is None
    assert steps["check_dossier"].sample_size == 0


def _votes(dossier):
    return {"votes": {str(n.id): "agree" for n in dossier.nominees}}


def test_a_council_vote_lasts_until_its_last_ballot(db):
    dossier = at_council(db)
    for member in MEMBERS:
        complete(db, member, dossier, "council_vote", _votes(dossier))
    start_at = utcnow() - timedelta(days=10)
    ballots = list(
        db.scalars(
            select(WorkItem)
            .where(WorkItem.dossier_id == dossier.id, WorkItem.step == "council_vote")
            .order_by(WorkItem.id)
        )
    )
    for hours, ballot in zip((1, 2, 5, 8, 30), ballots, strict=True):
        ballot.created_at = start_at
        ballot.completed_at = start_at + timedelta(hours=hours)
    db.commit()
    rebuild(db)

    durations = process_map.step_durations(db, actor_named(db, "vanphong"), ["council_vote"])
    assert durations["council_vote"] == [30 * 3600.0]
    assert by_step(the_map(db))["council_vote"].median_seconds == 30 * 3600.0


def test_the_median_sample_takes_the_newest_items(db):
    base = utcnow() - timedelta(days=30)
    for hours in (50, 1, 2):  # created in this order: the 50-hour one is the oldest
        dossier = at_check(db)
        _set_times(db, dossier, "approve_at_unit", base, base + timedelta(hours=hours))
    db.commit()
    rebuild(db)
    actor = actor_named(db, "vanphong")
    assert sorted(
        process_map.step_durations(db, actor, ["approve_at_unit"])["approve_at_unit"]
    ) == [
        3600.0,
        7200.0,
        50 * 3600.0,
    ]
    newest_two = process_map.step_durations(db, actor, ["approve_at_unit"], sample=2)
    assert sorted(newest_two["approve_at_unit"]) == [3600.0, 7200.0]
    # The summary reads the newest completed work items of every step: with one, only the
    # last dossier's preparation (completed now, the approvals a month ago) is left.
    assert rebuild(db, items=1) == {"award_nomination": 1}
    durations = process_map.step_durations(db, actor, ["approve_at_unit", "prepare_dossier"])
    assert durations["approve_at_unit"] == []
    assert len(durations["prepare_dossier"]) == 1


def test_filters_by_unit_and_award_form(db):
    ns = at_check(db, "canbo_ns")
    dn = at_check(db, "canbo_dn", award_form="bk_ttg")
    at_check(db, "canbo_dn", award_form="bk_btc")

    def check(**filters):
        return by_step(the_map(db, **filters))["check_dossier"].waiting

    assert check() == 3
    assert check(unit_id=ns.unit_id) == 1
    assert check(unit_id=dn.unit_id) == 2
    assert check(award_form="bk_ttg") == 1
    assert check(award_form="bk_btc") == 2
    assert check(unit_id=dn.unit_id, award_form="bk_btc") == 1
    assert check(unit_id=ns.unit_id, award_form="bk_ttg") == 0
    assert the_map(db, award_form="hcld_1").waiting == 0
    listed = process_map.waiting_at_step(
        db, actor_named(db, "vanphong"), "check_dossier", MapFilters(award_form="bk_ttg")
    )
    assert [row.dossier_id for row in listed.dossiers] == [dn.id]
    with pytest.raises(InvalidDataError):
        the_map(db, award_form="huy_chuong_vang")


def test_only_dossiers_the_user_may_see_count(db):
    at_check(db)
    at_council(db)
    other = the_map(db, "vanphong_hn")
    assert other.waiting == 0
    assert all(s.waiting == 0 and s.overdue == 0 for s in other.steps)
    listed = process_map.waiting_at_step(db, actor_named(db, "vanphong_hn"), "check_dossier")
    assert (listed.waiting, listed.dossiers) == (0, [])
    units = dict(process_map.unit_choices(db, actor_named(db, "vanphong_hn")))
    assert "Phòng Quản lý ngân sách" not in units.values()
    assert the_map(db, "admin").waiting == 2


def test_the_list_of_a_step_shows_the_longest_waiting_first(db):
    first, second, third = at_check(db), at_check(db), at_check(db)
    base = utcnow() - timedelta(days=5)
    for offset, dossier in ((2, first), (0, second), (1, third)):
        db.execute(
            update(WorkItem)
            .where(WorkItem.dossier_id == dossier.id, WorkItem.status == "open")
            .values(created_at=base + timedelta(hours=offset))
        )
    db.commit()
    actor = actor_named(db, "vanphong")
    listed = process_map.waiting_at_step(db, actor, "check_dossier", limit=2)
    assert listed.waiting == 3
    assert [row.dossier_id for row in listed.dossiers] == [second.id, third.id]
    assert listed.dossiers[0].code == second.code
    assert listed.dossiers[0].unit == "Phòng Quản lý ngân sách"
    assert listed.name == "Kiểm tra hồ sơ"
    with pytest.raises(NotFoundError):
        process_map.waiting_at_step(db, actor, "no_such_step")


def _rename_step(xml, old, new):
    """The diagram with element `old` renamed `new` everywhere it is referenced."""
    pattern = rf'(id|sourceRef|targetRef|bpmnElement|attachedToRef)="{old}"'
    xml = re.sub(pattern, lambda m: f'{m.group(1)}="{new}"', xml)
    return xml.replace(f">{old}<", f">{new}<")


def test_dossiers_on_an_older_version_count_on_the_same_step_or_apart(db):
    at_check(db)
    start(db)  # at prepare_dossier, a step both versions have
    v1 = db.scalar(
        select(ProcessVersion).where(
            ProcessVersion.process_key == "award_nomination", ProcessVersion.version == 1
        )
    )
    xml = _rename_step(v1.bpmn_xml, "check_dossier", "verify_dossier")
    v2 = process_versions.create_version(db, None, v1.process_key, xml, dict(v1.files))
    assert v2.problems == []
    process_versions.deploy_version(db, None, v1.process_key, v2.version)
    db.commit()
    start(db)  # a dossier on the new version

    found = the_map(db)
    steps = by_step(found)
    assert found.version == 2
    assert (steps["prepare_dossier"].waiting, steps["prepare_dossier"].older_versions) == (2, 1)
    assert steps["verify_dossier"].in_diagram
    assert steps["verify_dossier"].waiting == 0
    [retired] = found.retired_steps
    assert (retired.step, retired.in_diagram, retired.waiting) == ("check_dossier", False, 1)
    assert retired.name == "Kiểm tra hồ sơ"
    assert retired.older_versions == 1
    listed = process_map.waiting_at_step(db, actor_named(db, "vanphong"), "check_dossier")
    assert (listed.in_diagram, listed.waiting) == (False, 1)


@pytest.mark.parametrize(
    ("waiting", "busiest", "level"),
    [
        (0, 0, 0),
        (0, 10, 0),
        (1, 100, 1),
        (25, 100, 1),
        (26, 100, 2),
        (50, 100, 2),
        (100, 100, 4),
        # A lone waiting dossier, or a few, is not the worst hot spot: the scale runs to 8.
        (1, 1, 1),
        (2, 2, 1),
        (3, 3, 2),
        (6, 6, 3),
        (7, 7, 4),
        (8, 8, 4),
        (12, 12, 4),
        (6, 12, 2),
    ],
)
def test_heat_levels(waiting, busiest, level):
    assert process_map.heat_level(waiting, busiest) == level


@pytest.mark.parametrize("busiest", [0, 1, 5, 8, 9, 12, 37, 100, 1001])
def test_heat_bands_cover_every_count_as_heat_level_colours_it(busiest):
    bands = process_map.heat_bands(busiest)
    assert [b.level for b in bands] == [1, 2, 3, 4]
    assert bands[0].low == 1
    assert bands[-1].high == max(busiest, process_map.HEAT_FLOOR)
    for band, following in pairwise(bands):
        assert following.low == band.high + 1
    for band in bands:
        assert band.low <= band.high
        for waiting in range(band.low, band.high + 1):
            assert process_map.heat_level(waiting, busiest) == band.level


def test_median_of_nothing_is_none():
    assert process_map.median_seconds([]) is None
    assert process_map.median_seconds([3.0, 1.0, 2.0]) == 2.0
