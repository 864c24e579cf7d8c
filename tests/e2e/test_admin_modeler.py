"""The modeler in a real browser (issue 4, first "Done when" item).

The administrator opens the modeler on the deployed version and, with the mouse and the
keyboard, adds a user task "Phó Giám đốc xem xét" in a new lane `deputy_director` between
`conclude_council` and `sign_submission`: the palette's task is dropped onto the council's
passing flow (which splits it), named by direct editing, made a user task with the context pad's
replace menu, then a lane is inserted below the council chair's lane with the context pad, named
and given its role in the properties panel, and the task is dragged into it. Saving shows the
check's problems (no form, unknown role); clicking one selects its element. The role and a user
holding it are created (in the test setup: the people pages are another page's business), the
form is chosen in the properties panel, the draft is saved again and deployed. A dossier started
before the deploy then goes from conclude_council straight to sign_submission; a new one meets
the new step, which the deputy completes from the inbox.

No step needs the modeling API: every change to the diagram is made with the mouse and the
keyboard. The canvas is scrolled with the mouse wheel to the element the next step works on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from lxml import etree
from playwright.sync_api import Page, expect
from sqlalchemy import delete, func, select, update

from tests.conftest import actor_named
from tests.e2e.conftest import log_in, shot
from webapp.models import (
    ApiToken,
    Attachment,
    Dossier,
    Event,
    InstanceMove,
    Nominee,
    Notification,
    OrgUnit,
    ProcessInstance,
    ProcessVersion,
    Role,
    RoleAssignment,
    User,
    WorkItem,
)
from webapp.request_db import database
from webapp.services import dossiers, work_items
from webapp.services.auth import hash_password

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "bpmn" / "award_nomination.bpmn"
BUNDLE = ROOT / "webapp" / "static" / "build" / "modeler.js"
KEY = "award_nomination"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
SPIFF = f"{{{NS['spiffworkflow']}}}"
NEW_DOSSIER = {
    "title": "Đề nghị tặng Bằng khen của Bộ trưởng (thử quy trình mới)",
    "award_form": "bk_btc",
    "track": "ad_hoc",
    "procedure": "regular",
    "nominees": [{"kind": "individual", "name": "Nguyễn Thị Hằng"}],
}
# diagram-js scrolls 0.75 screen pixels per pixel of wheel delta.
WHEEL_SCALE = 0.75


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    width: float
    height: float


def shipped_bounds(element_id: str) -> Bounds:
    """Where the shipped diagram draws an element (diagram coordinates)."""
    root = etree.parse(str(SHIPPED)).getroot()
    [node] = root.xpath(f"//bpmndi:BPMNShape[@bpmnElement='{element_id}']/dc:Bounds", namespaces=NS)
    return Bounds(*(float(node.get(k)) for k in ("x", "y", "width", "height")))


# --- the browser side --------------------------------------------------------------------------


def open_modeler(page: Page, base_url: str, number: int) -> None:
    assert BUNDLE.exists(), "the modeler bundle is missing: run `make assets` (npm run build)"
    page.goto(f"{base_url}/admin/processes/{KEY}/versions/{number}/modeler")
    expect(page.locator("#modeler-page[data-ready='true']")).to_be_attached(timeout=20_000)
    # The whole canvas on the screen: the toolbar and the problems stay above it.
    page.locator("#modeler-properties").scroll_into_view_if_needed()


def has_class(name: str) -> re.Pattern[str]:
    """A class attribute that contains `name` among its classes."""
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def shape(page: Page, element_id: str):
    return page.locator(f"#modeler-canvas g.djs-element[data-element-id='{element_id}']")


def screen_box(page: Page, element_id: str) -> dict[str, float]:
    box = shape(page, element_id).locator(".djs-visual").first.bounding_box()
    assert box, element_id
    return box


def scroll_to(page: Page, element_id: str, fx: float = 0.35, fy: float = 0.4) -> None:
    """Scroll the canvas with the mouse wheel until the element sits at (fx, fy) of it."""
    canvas = page.locator("#modeler-canvas").bounding_box()
    assert canvas
    box = screen_box(page, element_id)
    dx = box["x"] + box["width"] / 2 - (canvas["x"] + canvas["width"] * fx)
    dy = box["y"] + box["height"] / 2 - (canvas["y"] + canvas["height"] * fy)
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    page.mouse.wheel(dx / WHEEL_SCALE, dy / WHEEL_SCALE)
    page.wait_for_timeout(200)


def to_screen(page: Page, reference: str, x: float, y: float) -> tuple[float, float]:
    """The screen point of diagram point (x, y), measured on a shape that has not moved."""
    known = shipped_bounds(reference)
    box = screen_box(page, reference)
    scale = box["width"] / known.width
    return box["x"] + (x - known.x) * scale, box["y"] + (y - known.y) * scale


def group(page: Page, group_id: str):
    """A group of the properties panel, opened."""
    header = page.locator(
        f"#modeler-properties [data-group-id='group-{group_id}'] .bio-properties-panel-group-header"
    )
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    return page.locator(f"#modeler-properties [data-group-id='group-{group_id}']")


def save(page: Page) -> None:
    page.locator("#modeler-save").click()
    expect(page.locator("#modeler-page[data-state='clean']")).to_be_attached()


# --- the server side ---------------------------------------------------------------------------


def stored(app: Flask, number: int) -> ProcessVersion:
    with database(app).transaction() as session:
        version = session.scalars(
            select(ProcessVersion).where(
                ProcessVersion.process_key == KEY, ProcessVersion.version == number
            )
        ).one()
        _ = version.bpmn_xml, version.files
        session.expunge(version)
        return version


def open_steps(app: Flask, dossier_id: int) -> list[tuple[str, str | None]]:
    with database(app).transaction() as session:
        rows = session.execute(
            select(WorkItem.step, WorkItem.role).where(
                WorkItem.dossier_id == dossier_id, WorkItem.status == "open"
            )
        ).all()
    return sorted((step, role) for step, role in rows)


def steps_ever(app: Flask, dossier_id: int) -> set[str]:
    """Every step a work item was opened for, open or done."""
    with database(app).transaction() as session:
        return set(session.scalars(select(WorkItem.step).where(WorkItem.dossier_id == dossier_id)))


def complete(app: Flask, dossier_id: int, step: str, username: str, data: dict) -> None:
    with database(app).transaction() as session:
        item = session.scalars(
            select(WorkItem).where(
                WorkItem.dossier_id == dossier_id,
                WorkItem.step == step,
                WorkItem.status == "open",
            )
        ).first()
        assert item is not None, f"dossier {dossier_id} has no open {step}"
        work_items.complete_work_item(session, actor_named(session, username), item.id, data)


def start_and_bring_to_conclusion(app: Flask) -> int:
    """A new dossier, taken through the unit, the office and the council's vote (services)."""
    with database(app).transaction() as session:
        dossier_id = dossiers.start_dossier(
            session, actor_named(session, "canbo_ns"), NEW_DOSSIER
        ).id
    complete(app, dossier_id, "prepare_dossier", "canbo_ns", {"decision": "submit"})
    complete(app, dossier_id, "approve_at_unit", "truongphong_ns", {"decision": "approve"})
    complete(app, dossier_id, "check_dossier", "vanphong", {"decision": "approve"})
    with database(app).transaction() as session:
        ballots = session.scalars(
            select(WorkItem).where(
                WorkItem.dossier_id == dossier_id,
                WorkItem.step == "council_vote",
                WorkItem.status == "open",
            )
        ).all()
        for ballot in ballots:
            member = actor_named(session, ballot.assignee.username)
            votes = {str(n.id): "agree" for n in ballot.dossier.nominees}
            work_items.complete_work_item(session, member, ballot.id, {"votes": votes})
    assert open_steps(app, dossier_id) == [("conclude_council", "council_chair")]
    return dossier_id


def version_of(app: Flask, dossier_id: int) -> int:
    with database(app).transaction() as session:
        return session.scalar(
            select(ProcessVersion.version)
            .join(ProcessInstance, ProcessInstance.version_id == ProcessVersion.id)
            .where(ProcessInstance.dossier_id == dossier_id)
        )


def add_deputy(app: Flask) -> None:
    """The role deputy_director and the user phogiamdoc holding it at the Bắc Ninh department."""
    with database(app).transaction() as session:
        department = session.scalars(select(OrgUnit).where(OrgUnit.code == "BN")).one()
        session.add(Role(code="deputy_director", name="Phó Giám đốc Sở"))
        user = User(
            username="phogiamdoc",
            full_name="Trương Thị Phó",
            unit_id=department.id,
            password_hash=hash_password("demo"),
        )
        session.add(user)
        session.flush()
        session.add(RoleAssignment(user_id=user.id, role="deputy_director", unit_id=department.id))


@pytest.fixture
def restored_afterwards(e2e_app: Flask) -> Iterator[None]:
    """Put the shared browser-test database back as it was: the same deployed version, no new
    versions, dossiers, role or user (the other browser tests count inbox items)."""
    db = database(e2e_app)
    with db.transaction() as session:
        last_version = session.scalar(
            select(func.max(ProcessVersion.version)).where(ProcessVersion.process_key == KEY)
        )
        deployed = session.scalar(
            select(ProcessVersion.version).where(
                ProcessVersion.process_key == KEY, ProcessVersion.status == "deployed"
            )
        )
        last_dossier = session.scalar(select(func.max(Dossier.id))) or 0
    yield
    with db.transaction() as session:
        ids = select(Dossier.id).where(Dossier.id > last_dossier)
        for model in (
            Notification,
            InstanceMove,
            Attachment,
            Event,
            WorkItem,
            ProcessInstance,
            Nominee,
        ):
            session.execute(delete(model).where(model.dossier_id.in_(ids)))
        session.execute(delete(Dossier).where(Dossier.id > last_dossier))
        session.execute(
            update(ProcessVersion)
            .where(ProcessVersion.process_key == KEY)
            .values(status="retired")
            .where(ProcessVersion.status == "deployed")
        )
        session.execute(
            update(ProcessVersion)
            .where(ProcessVersion.process_key == KEY, ProcessVersion.version == deployed)
            .values(status="deployed")
        )
        session.execute(
            delete(ProcessVersion).where(
                ProcessVersion.process_key == KEY, ProcessVersion.version > last_version
            )
        )
        deputy = select(User.id).where(User.username == "phogiamdoc")
        session.execute(delete(RoleAssignment).where(RoleAssignment.user_id.in_(deputy)))
        session.execute(delete(ApiToken).where(ApiToken.user_id.in_(deputy)))
        session.execute(delete(User).where(User.username == "phogiamdoc"))
        session.execute(delete(Role).where(Role.code == "deputy_director"))


# --- the tests ---------------------------------------------------------------------------------


def test_the_administrator_adds_a_deputy_review_step_and_deploys_it(
    page: Page, base_url: str, e2e_app: Flask, restored_afterwards: None
) -> None:
    # A dossier already on its way before the change.
    before = start_and_bring_to_conclusion(e2e_app)

    log_in(page, base_url, "admin")
    open_modeler(page, base_url, 1)
    expect(page.locator("#modeler-status")).to_have_attribute("data-status", "deployed")
    expect(page.locator("#modeler-deploy")).to_be_disabled()
    shot(page, "modeler_opened")
    # bpmn-js's own texts speak Vietnamese too: the palette and the properties panel.
    expect(page.locator(".djs-palette [data-action='create.task']")).to_have_attribute(
        "aria-label", "Tạo bước (tác vụ)"
    )
    expect(page.locator("#modeler-properties")).to_contain_text("Mô tả phần tử")

    # 1. A task from the palette, dropped onto the council's passing flow, between its gateway
    #    and the corner where the flow turns down to the director's lane.
    scroll_to(page, "gw_council")
    corner_x, flow_y = 2400, 1150  # the flow f_council_pass turns down at (2400, 1150)
    x, y = to_screen(page, "gw_council", corner_x - 40, flow_y)
    page.locator(".djs-palette [data-action='create.task']").click()
    page.mouse.move(x - 30, y - 10)
    page.mouse.move(x, y, steps=5)
    expect(shape(page, "f_council_pass")).to_have_class(has_class("new-parent"))
    page.mouse.click(x, y)
    # Creating a task opens direct editing of its name.
    page.keyboard.type("Phó Giám đốc xem xét")
    page.keyboard.press("Enter")
    task = page.locator("#modeler-canvas g.djs-shape", has_text="Phó Giám đốc xem xét")
    expect(task).to_have_count(1)

    # 2. A user task, with the context pad's replace menu.
    page.locator(".djs-context-pad [data-action='replace']").click()
    page.locator(".djs-popup [data-id='replace-with-user-task']").click()
    shot(page, "modeler_task_on_the_flow")

    # 3. Its id and time limit in the properties panel.
    group(page, "general").locator("#bio-properties-panel-id").fill("deputy_review")
    expect(shape(page, "deputy_review")).to_have_count(1)
    awarded = group(page, "award-properties")
    awarded.locator("#bio-properties-panel-award-time-limit").fill("2")
    page.wait_for_timeout(700)  # the panel applies a typed value after a 300 ms pause

    # 4. A new lane below the council chair's: select that lane (a click on its empty part),
    #    then "add lane below" on the context pad.
    chair = shipped_bounds("lane_council_chair")
    page.mouse.click(*to_screen(page, "gw_council", 2550, chair.y + chair.height - 20))
    expect(shape(page, "lane_council_chair")).to_have_class(has_class("selected"))
    page.locator(".djs-context-pad [data-action='lane-insert-below']").click()
    # The new lane (120 high) sits where the director's lane began; select it and name it.
    page.mouse.click(*to_screen(page, "gw_council", 2550, chair.y + chair.height + 60))
    expect(page.locator("#modeler-canvas g.djs-shape.selected")).to_have_count(1)
    expect(page.locator("#bio-properties-panel-award-role-code")).to_have_value("")
    group(page, "general").locator("#bio-properties-panel-name").fill("Phó Giám đốc Sở")
    role_code = group(page, "award-properties").locator("#bio-properties-panel-award-role-code")
    role_code.fill("deputy_director")
    expect(
        group(page, "award-properties").locator("#bio-properties-panel-award-role")
    ).to_have_value("deputy_director")
    lane = page.locator("#modeler-canvas g.djs-shape", has_text="Phó Giám đốc Sở")
    expect(lane).to_have_count(1)
    lane_id = lane.get_attribute("data-element-id")

    # 5. Drag the task down into the new lane.
    box = screen_box(page, "deputy_review")
    start_x, start_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    _, lane_middle = to_screen(page, "gw_council", 0, chair.y + chair.height + 60)
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x, start_y + 20, steps=4)
    page.mouse.move(start_x, lane_middle, steps=10)
    page.mouse.up()
    shot(page, "modeler_new_lane")

    # 6. Save: a new draft (version 2); the check reports the missing form and the unknown role.
    save(page)
    expect(page.locator("#modeler-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#modeler-title")).to_contain_text("2")
    problems = page.locator("#problem-list li")
    missing_form = page.locator("#problem-list li[data-problem-code='missing_form']")
    unknown_role = page.locator("#problem-list li[data-problem-code='unknown_role']")
    expect(missing_form).to_have_attribute("data-element-id", "deputy_review")
    expect(unknown_role).to_have_attribute("data-element-id", lane_id or "")
    expect(problems).to_have_count(2)
    expect(page.locator("#modeler-deploy")).to_be_disabled()
    assert page.url.endswith(f"/admin/processes/{KEY}/versions/2/modeler")
    shot(page, "modeler_check_problems")

    draft = stored(e2e_app, 2)
    assert stored(e2e_app, 1).status == "deployed"
    root = etree.fromstring(draft.bpmn_xml.encode("utf-8"))
    [task_node] = root.xpath("//bpmn:userTask[@id='deputy_review']", namespaces=NS)
    assert task_node.get("name") == "Phó Giám đốc xem xét"
    assert properties_of(task_node) == {"timeLimitDays": "2"}
    [lane_node] = root.xpath(f"//bpmn:lane[@id='{lane_id}']", namespaces=NS)
    assert properties_of(lane_node) == {"role": "deputy_director"}
    assert lane_node.xpath("bpmn:flowNodeRef/text()", namespaces=NS) == ["deputy_review"]
    [incoming] = root.xpath("//bpmn:sequenceFlow[@id='f_council_pass']", namespaces=NS)
    assert incoming.get("targetRef") == "deputy_review"
    [outgoing] = root.xpath("//bpmn:sequenceFlow[@sourceRef='deputy_review']", namespaces=NS)
    assert outgoing.get("targetRef") == "gw_merge_sign"

    # 7. A problem selects its element.
    unknown_role.click()
    expect(shape(page, lane_id or "")).to_have_class(has_class("selected"))
    missing_form.click()
    expect(shape(page, "deputy_review")).to_have_class(has_class("selected"))

    # 8. Fix: the role and a deputy exist now; the task gets a form of this version.
    add_deputy(e2e_app)
    form = group(page, "award-properties").locator("#bio-properties-panel-award-form")
    form.select_option("approve_at_unit.json")
    expect(
        group(page, "award-properties").locator("#bio-properties-panel-award-form-name")
    ).to_have_value("approve_at_unit.json")
    save(page)
    expect(problems).to_have_count(0)
    expect(page.locator("#problem-count")).to_have_text("0")
    shot(page, "modeler_clean_draft")

    # 9. Deploy.
    expect(page.locator("#modeler-deploy")).to_be_enabled()
    page.locator("#modeler-deploy").click()
    # The catalogue's question first: what deploying does to new and running dossiers.
    dialog = page.locator("#modeler-deploy-dialog")
    expect(dialog.locator(".modal-title")).to_have_text("Áp dụng phiên bản 2?")
    expect(dialog).to_contain_text("Phiên bản 1")
    dialog.get_by_role("button", name="Hủy").click()
    expect(dialog).to_be_hidden()
    # Confirmed at once, while the dialog is still fading in (Bootstrap ignores its dismiss
    # then): the deploy goes on and the dialog still closes, not left over the page.
    page.evaluate(
        "document.getElementById('modeler-deploy').click();"
        " document.getElementById('modeler-deploy-confirm').click()"
    )
    expect(dialog).to_be_hidden()
    expect(page.locator("#modeler-status")).to_have_attribute("data-status", "deployed")
    expect(page.locator("#modeler-deploy")).to_be_disabled()
    shot(page, "modeler_deployed")
    assert stored(e2e_app, 2).status == "deployed"
    assert stored(e2e_app, 1).status == "retired"

    # The dossier started before goes from conclude_council straight to sign_submission.
    complete(e2e_app, before, "conclude_council", "giamdoc", {"decision": "confirm"})
    assert version_of(e2e_app, before) == 1
    assert open_steps(e2e_app, before) == [("sign_submission", "director")]
    assert "deputy_review" not in steps_ever(e2e_app, before)

    # A new dossier meets the new step, and the deputy completes it from the inbox.
    after = start_and_bring_to_conclusion(e2e_app)
    assert version_of(e2e_app, after) == 2
    complete(e2e_app, after, "conclude_council", "giamdoc", {"decision": "confirm"})
    assert open_steps(e2e_app, after) == [("deputy_review", "deputy_director")]
    log_in(page, base_url, "phogiamdoc")
    page.goto(f"{base_url}/work")
    row = page.locator("#inbox tbody tr", has_text="Phó Giám đốc xem xét")
    expect(row).to_have_count(1)
    row.locator("a").first.click()
    page.get_by_label("Đồng ý, trình Văn phòng Sở", exact=True).check()
    shot(page, "deputy_review_work_item")
    page.get_by_role("button", name="Gửi").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert open_steps(e2e_app, after) == [("sign_submission", "director")]
    assert "deputy_review" in steps_ever(e2e_app, after)


def properties_of(node: etree._Element) -> dict[str, str]:
    return {
        p.get("name"): p.get("value")
        for p in node.xpath(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
            namespaces=NS,
        )
    }


def extensions(root: etree._Element) -> list[tuple[str | None, str, tuple, str]]:
    """Every spiffworkflow:* element with its owner's id, attributes and text."""
    found = []
    for node in root.iter(SPIFF + "*"):
        owner = node.getparent()
        while owner is not None and owner.get("id") is None:
            owner = owner.getparent()
        found.append(
            (
                owner.get("id") if owner is not None else None,
                etree.QName(node).localname,
                tuple(sorted(node.attrib.items())),
                (node.text or "").strip(),
            )
        )
    return sorted(found)


def test_saving_the_shipped_diagram_unchanged_keeps_every_extension(
    page: Page, base_url: str, e2e_app: Flask, restored_afterwards: None
) -> None:
    """No moddle descriptor is registered for spiffworkflow: every spiffworkflow:* element and
    the multi-instance references must come back from bpmn-js exactly as they went in."""
    log_in(page, base_url, "admin")
    open_modeler(page, base_url, 1)
    expect(page.locator("#modeler-warnings")).to_be_hidden()
    page.locator("#modeler-save").click()
    expect(page.locator("#modeler-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#problem-count")).to_have_text("0")

    original = etree.fromstring(SHIPPED.read_bytes())
    saved = etree.fromstring(stored(e2e_app, 2).bpmn_xml.encode("utf-8"))
    assert extensions(saved) == extensions(original)
    assert len(extensions(saved)) > 60
    for xpath in (
        "//bpmn:multiInstanceLoopCharacteristics/bpmn:loopDataInputRef/text()",
        "//bpmn:multiInstanceLoopCharacteristics/bpmn:loopDataOutputRef/text()",
        "//bpmn:multiInstanceLoopCharacteristics/bpmn:inputDataItem/@name",
        "//bpmn:multiInstanceLoopCharacteristics/bpmn:outputDataItem/@name",
        "//bpmn:dataObject/@id",
    ):
        assert saved.xpath(xpath, namespaces=NS) == original.xpath(xpath, namespaces=NS), xpath
    assert stored(e2e_app, 2).problems == []

    # A new collection name makes its data object, so the reference survives the export.
    scroll_to(page, "council_vote")
    shape(page, "council_vote").click()
    awarded = group(page, "award-properties")
    awarded.locator("#bio-properties-panel-award-collection").fill("council_roll")
    awarded.locator("#bio-properties-panel-award-element-variable").fill("voter")
    page.wait_for_timeout(700)  # the panel applies a typed value after a 300 ms pause
    shot(page, "modeler_multi_instance")
    # Unsaved changes download as they are on the screen...
    with page.expect_download() as unsaved:
        page.locator("#modeler-download").click()
    assert unsaved.value.suggested_filename == f"{KEY}-v2-unsaved.bpmn"
    assert "council_roll" in Path(unsaved.value.path()).read_text(encoding="utf-8")
    save(page)
    # ... and once saved, the stored file is served.
    with page.expect_download() as stored_file:
        page.locator("#modeler-download").click()
    assert stored_file.value.suggested_filename == f"{KEY}-v2.bpmn"
    assert Path(stored_file.value.path()).read_text(encoding="utf-8") == (
        stored(e2e_app, 2).bpmn_xml
    )
    saved = etree.fromstring(stored(e2e_app, 2).bpmn_xml.encode("utf-8"))
    [loop] = saved.xpath(
        "//bpmn:userTask[@id='council_vote']/bpmn:multiInstanceLoopCharacteristics",
        namespaces=NS,
    )
    assert loop.xpath("bpmn:loopDataInputRef/text()", namespaces=NS) == ["council_roll"]
    assert loop.xpath("bpmn:inputDataItem/@id", namespaces=NS) == ["voter"]
    assert loop.xpath("bpmn:inputDataItem/@name", namespaces=NS) == ["voter"]
    assert saved.xpath("//bpmn:dataObject/@id", namespaces=NS) == [
        "council_members",
        "council_votes",
        "council_roll",
    ]
    # Only the typed name's data object was made, not one per keystroke.
    assert extensions(saved) == extensions(original)


def test_uploaded_files_are_checked_and_a_partly_unreadable_one_cannot_be_saved(
    page: Page, base_url: str, e2e_app: Flask, restored_afterwards: None, tmp_path: Path
) -> None:
    shipped = SHIPPED.read_text(encoding="utf-8")
    log_in(page, base_url, "admin")
    open_modeler(page, base_url, 1)

    # A file with an external entity is refused, with the reason beside the file field.
    hostile = tmp_path / "xxe.bpmn"
    hostile.write_text(
        shipped.replace(
            "<bpmn:definitions",
            '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions',
            1,
        ),
        encoding="utf-8",
    )
    page.locator("#modeler-upload summary").click()
    page.locator("#bpmn-file").set_input_files(str(hostile))
    page.locator("#upload-submit").click()
    expect(page.locator("#bpmn-file-error")).to_contain_text("DOCTYPE")
    expect(page.locator("#bpmn-file")).to_have_class(has_class("is-invalid"))
    shot(page, "modeler_upload_refused")
    with database(e2e_app).transaction() as session:
        assert session.scalar(select(func.max(ProcessVersion.version))) == 1

    # A reference bpmn-js cannot resolve: the draft is stored and opens, but saving from the
    # modeler would drop the reference, so it is not offered; the warning says why.
    unresolved = tmp_path / "unresolved.bpmn"
    unresolved.write_text(
        shipped.replace(
            "<bpmn:loopDataInputRef>council_members</bpmn:loopDataInputRef>",
            "<bpmn:loopDataInputRef>nobody_declared_this</bpmn:loopDataInputRef>",
        ),
        encoding="utf-8",
    )
    expect(page.locator("#modeler-page[data-ready='true']")).to_be_attached()
    page.locator("#bpmn-file").set_input_files(str(unresolved))
    page.locator("#upload-submit").click()
    page.wait_for_url(f"**/admin/processes/{KEY}/versions/2/modeler")
    expect(page.locator("#modeler-page[data-ready='true']")).to_be_attached()
    expect(page.locator("#modeler-warnings")).to_be_visible()
    expect(page.locator("#modeler-warnings-list")).to_contain_text("nobody_declared_this")
    expect(page.locator("#modeler-save")).to_be_disabled()
    expect(page.locator("#modeler-deploy")).to_be_disabled()
    shot(page, "modeler_import_warnings")
    assert stored(e2e_app, 2).status == "draft"


def test_the_rule_table_opens_in_dmn_js_in_vietnamese(page: Page, base_url: str) -> None:
    log_in(page, base_url, "admin")
    page.goto(f"{base_url}/admin/processes/{KEY}/versions/1/rules/award_rules.dmn")
    table = page.locator("#dmn-editor .tjs-table")
    expect(table).to_be_visible()
    # The shipped rules: quorum and threshold per award form, one row each.
    expect(table).to_contain_text("bk_btc")
    # dmn-js's own texts come from the catalog: the hit policy label and the table's menus.
    expect(page.locator("#dmn-editor")).to_contain_text("Chính sách áp dụng")
    expect(page.locator("#dmn-editor")).not_to_contain_text("Hit policy")
    expect(page.locator("#dmn-editor .hit-policy")).to_contain_text("Duy nhất (Unique)")
    shot(page, "rules_editor")
