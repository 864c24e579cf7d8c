"""Vietnamese everywhere: the catalog translates every message, and no page shows English."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests.web.diagrams import three_problems
from tests.web.pages import login
from tests.web.test_admin_modeler import upload
from webapp.models import OrgUnit, User

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = "/admin/processes/award_nomination/versions"
CATALOG = ROOT / "webapp" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "noop_pgettext": ((1, "c"), 2),
}
METHOD_MAP = [("webapp/**.py", "python"), ("webapp/templates/**.html", "jinja2")]
# Text that is the same in both languages (names of languages, formats, product names).
SAME_IN_BOTH = {"English", "Tiếng Việt", "dd/mm/yyyy", "PDF", "BPMN", "CSV", "×"}
# Vietnamese that needs no diacritics.
ASCII_VIETNAMESE = {"Xem XML"}
ASCII_WORDS = re.compile(r"^[A-Za-z][A-Za-z'’-]*(?:[\s,.:;!?()/-]+[A-Za-z][A-Za-z'’-]*)+[.!?:]?$")


def source_messages() -> set[tuple[str, str | None]]:
    """Every (msgid, context) the code and templates use."""
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS
    ):
        found.add((message[0] if isinstance(message, tuple) else message, context))
    return found


def test_the_catalog_translates_every_message():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    missing = []
    for msgid, context in sorted(source_messages(), key=lambda m: (m[0], m[1] or "")):
        entry = catalog.get(msgid, context=context)
        strings = entry.string if entry is not None else None
        strings = strings if isinstance(strings, tuple) else (strings,)
        untranslated = entry is None or entry.fuzzy or not all(strings)
        # A msgstr equal to its English msgid was copied, not translated.
        copied = msgid not in SAME_IN_BOTH and strings[0] == msgid and re.search("[a-z]{3}", msgid)
        if untranslated or copied:
            missing.append(msgid)
    assert missing == [], f"untranslated: {missing}"


class _VisibleText(HTMLParser):
    """Text a user reads: text nodes (not scripts or styles) and a few attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "template"}:
            self._skip += 1
        for name, value in attrs:
            if name in {"title", "aria-label", "placeholder", "alt"} and value:
                self.texts.append(value)
            if name == "value" and value and dict(attrs).get("type") in {"submit", "button"}:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "template"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def english_on(html: str) -> list[str]:
    """Texts of a page that look like untranslated English (ASCII words, no Vietnamese)."""
    parser = _VisibleText()
    parser.feed(html)
    return [
        t
        for t in parser.texts
        if t not in SAME_IN_BOTH and t not in ASCII_VIETNAMESE and ASCII_WORDS.match(t)
    ]


@pytest.fixture
def walked_pages(api, client):
    """Render every page in Vietnamese, as the users who use them."""
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    [check] = api.items("vanphong", dossier["id"], "check_dossier")
    pages: dict[str, str] = {"login": client.get("/login").get_data(as_text=True)}
    login(client, "vanphong")
    for name, url in {
        "inbox": "/work",
        "work_item": f"/work/{check['id']}",
        "tracking": "/dossiers",
        "tracking_empty": "/dossiers?q=khong+co+ho+so+nao",
        "dossier": f"/dossiers/{dossier['id']}",
        "process_map": "/process-map",
        "not_found": "/dossiers/999999",
    }.items():
        pages[name] = client.get(url).get_data(as_text=True)
    pages["invalid_form"] = client.post(f"/work/{check['id']}", data={}).get_data(as_text=True)
    api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    pages["conflict"] = client.post(f"/work/{check['id']}", data={}).get_data(as_text=True)
    [ballot] = api.items("hoidong1", dossier["id"], "council_vote")
    member = client.application.test_client()
    login(member, "hoidong1")
    pages["vote"] = member.get(f"/work/{ballot['id']}").get_data(as_text=True)
    pages["forbidden"] = member.get(f"/work/{check['id']}").get_data(as_text=True)
    officer = client.application.test_client()
    login(officer, "truongphong_dn")
    pages["new_dossier_forbidden"] = officer.get("/dossiers/new").get_data(as_text=True)
    pages["empty_inbox"] = officer.get("/work").get_data(as_text=True)
    creator = client.application.test_client()
    login(creator, "canbo_ns")
    pages["new_dossier"] = creator.get("/dossiers/new").get_data(as_text=True)
    pages.update(_admin_pages(api, client.application.test_client()))
    return pages


def _admin_pages(api, admin) -> dict[str, str]:
    """The administrator's pages, with a draft whose check finds a problem of each kind the
    shipped checks report on a drawn diagram: a missing form, an unknown role, a refused
    condition."""
    login(admin, "admin")
    response = upload(admin, 1, three_problems().encode("utf-8"), "broken.bpmn")
    assert response.status_code == 302, response.status_code
    draft = response.headers["Location"].rstrip("/").split("/")[-2]
    return {
        f"admin_{name}": admin.get(url).get_data(as_text=True)
        for name, url in {
            "catalogue": "/admin/processes",
            "version_with_problems": f"{VERSIONS}/{draft}",
            "modeler_with_problems": f"{VERSIONS}/{draft}/modeler",
            "forms": f"{VERSIONS}/{draft}/forms",
            "form": f"{VERSIONS}/1/forms/check_dossier.json",
            "rules": f"{VERSIONS}/1/rules/award_rules.dmn",
            "compare": f"/admin/processes/award_nomination/compare?a=1&b={draft}",
            "moves": "/admin/processes/award_nomination/moves",
            "users": "/admin/users",
            "new_user": "/admin/users/new",
            "units": "/admin/units",
            "roles": "/admin/roles",
            "calendar": "/admin/calendar?year=2026",
        }.items()
    }


def test_no_page_shows_english_in_vietnamese_mode(walked_pages, db):
    # Names and codes of people and units are data, written as their owners write them.
    data = set(db.scalars(select(User.full_name))) | set(db.scalars(select(OrgUnit.code)))
    found = {
        name: [text for text in english_on(html) if text not in data]
        for name, html in walked_pages.items()
    }
    assert {name: texts for name, texts in found.items() if texts} == {}


def test_english_mode_switches_the_interface(api, client):
    dossier = api.start()
    [item] = api.items("canbo_ns", dossier["id"], "prepare_dossier")
    login(client, "canbo_ns")
    client.get("/language/en?next=/work")
    page = client.get("/work").get_data(as_text=True)
    assert "My work" in page
    assert "Việc của tôi" not in page
    # The step's form speaks English too when the form file gives English labels.
    form = client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert "Submit to the head of the unit" in form
    assert "Date of birth" in form
    client.get("/language/vi?next=/work")
    assert "Trình lãnh đạo đơn vị" in client.get(f"/work/{item['id']}").get_data(as_text=True)
    assert "Việc của tôi" in client.get("/work").get_data(as_text=True)


def test_the_detector_catches_english():
    assert english_on("<p>Nothing is waiting for you.</p><p>Không có việc</p>") == [
        "Nothing is waiting for you."
    ]
    assert english_on('<button aria-label="Close dialog">×</button>') == ["Close dialog"]


@pytest.mark.parametrize(
    ("size", "vietnamese", "english"),
    [
        (0, "0 B", "0 B"),
        (1023, "1023 B", "1023 B"),
        (1024, "1 KB", "1 KB"),
        (1025, "2 KB", "2 KB"),
        (10 * 1024 * 1024 - 1, "10,0 MB", "10.0 MB"),
        (2_621_440, "2,5 MB", "2.5 MB"),
    ],
)
def test_file_sizes_read_the_same_on_every_page(app, size, vietnamese, english):
    from flask import session

    from webapp.i18n import format_file_size

    for language, expected in (("vi", vietnamese), ("en", english)):
        with app.test_request_context("/"):
            session["lang"] = language
            assert format_file_size(size) == expected


def test_the_checks_problems_read_in_vietnamese(walked_pages):
    for name in ("admin_version_with_problems", "admin_modeler_with_problems"):
        text = " ".join(unescape(walked_pages[name]).split())
        assert "Bước “Kiểm tra hồ sơ” dùng biểu mẫu “missing_form.json” mà phiên bản này" in text
        assert "ghi vai trò “deputy_director” nhưng vai trò này không tồn tại" in text
        assert (
            "Biểu thức “__import__('os').system('id') == 0” bị từ chối: "
            "không được dùng tên “__import__” (tên bắt đầu bằng _)"
        ) in text
        assert "Chi tiết kỹ thuật" not in text


# --- the modeler's own labels -----------------------------------------------------------------

PROPERTIES_PANEL = ROOT / "node_modules" / "@bpmn-io" / "properties-panel" / "dist" / "index.esm.js"
TRANSLATE_CALL = re.compile(r"translate\((?:'([^']*)'|`([^`]*)`)")
TEMPLATE_CHOICE = re.compile(r"\$\{[^}?]*\?\s*'([^']*)'\s*:\s*'([^']*)'\s*\}")


def panel_labels(source: str) -> set[str]:
    """Every text the properties panel's own controls pass to translate(): the quoted ones, and
    each reading of a template that picks between two words (`item${n != 1 ? 's' : ''}`)."""
    labels: set[str] = set()
    for quoted, template in TRANSLATE_CALL.findall(source):
        if quoted:
            labels.add(quoted)
            continue
        readings = [template]
        while any(TEMPLATE_CHOICE.search(r) for r in readings):
            readings = [
                r[: m.start()] + choice + r[m.end() :]
                for r in readings
                if (m := TEMPLATE_CHOICE.search(r))
                for choice in m.groups()
            ]
        labels.update(readings)
    return labels


def test_the_panel_label_reader_expands_templates():
    source = (
        "title: translate('Toggle section'), x = translate(`List contains {numOfItems} "
        "item${items.length != 1 ? 's' : ''}`, {numOfItems})"
    )
    assert panel_labels(source) == {
        "Toggle section",
        "List contains {numOfItems} items",
        "List contains {numOfItems} item",
    }


def test_the_vocabulary_covers_every_label_of_the_bundled_properties_panel():
    """An English label of the properties panel that the vocabulary misses would show in
    English in the modeler (as "Open pop-up editor" did): every one the installed panel can
    show is in the catalog's bpmn-js context."""
    from webapp.admin.diagram_vocabulary import BPMN_TEXTS

    labels = panel_labels(PROPERTIES_PANEL.read_text(encoding="utf-8"))
    assert "Open pop-up editor" in labels  # the reader finds what it must
    assert sorted(labels - set(BPMN_TEXTS)) == []


def test_the_modeler_speaks_vietnamese_roles_by_name(app, client):
    """The modeler's texts (its bpmn-js table and its own strings) are all translated, and its
    lane role list shows each role's name, not its code."""
    login(client, "admin")
    html = client.get(f"{VERSIONS}/1/modeler").get_data(as_text=True)
    config = json.loads(
        re.search(
            r'<script type="application/json" id="modeler-config">(.*?)</script>', html, re.S
        ).group(1)  # type: ignore[union-attr]
    )
    untranslated = [
        english
        for english, shown in {**config["bpmnTexts"], **config["strings"]}.items()
        if shown == english and english not in SAME_IN_BOTH and re.search("[a-z]{3}", english)
    ]
    assert untranslated == []
    assert config["bpmnTexts"]["Open pop-up editor"] == "Mở trình soạn thảo trong cửa sổ riêng"
    labels = {role["value"]: role["label"] for role in config["roles"]}
    assert labels["unit_officer"] == "Cán bộ đơn vị"
    assert all(label != code for code, label in labels.items())


def test_people_pages_name_roles_not_codes(client):
    login(client, "admin")
    users = client.get("/admin/users").get_data(as_text=True)
    row = users[users.index('data-username="canbo_ns"') :]
    row = row[: row.index("</tr>")]
    assert "Cán bộ đơn vị" in row
    assert "unit_officer" not in re.sub(r'data-role="[^"]*"', "", row)
    assert "BN-QLNS" not in row
