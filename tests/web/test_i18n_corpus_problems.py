"""Every problem the corpus of diagrams drawn elsewhere produces reads in Vietnamese.

Each of the 160 files of SpiffWorkflow's own test suite (/work/shared/corpus) is checked as an
administrator's upload is: a .bpmn through the modeler's upload (a new draft with the forms and
rules of version 1), a .dmn as a rule file sent with the shipped diagram. Every problem must have
a Vietnamese sentence and title with no English left in them; the engine's raw words may only be
the marked technical detail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import session

from tests.conftest import actor_named
from tests.hostile.builders import SHIPPED_BPMN, content, diagram_for, shipped_files
from tests.hostile.cases import CASES, Case
from tests.web.pages import login
from tests.workflows.test_checks import CORPUS
from webapp.admin import problem_text as texts
from webapp.admin.problem_text import described
from webapp.services import diagram_drafts, process_versions
from webapp.services.errors import DiagramProblemsError

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "webapp" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
KEY = "award_nomination"
CORPUS_FILES = sorted(CORPUS.rglob("*.bpmn")) + sorted(CORPUS.rglob("*.dmn"))
# The hostile corpus's files the check refuses at upload (the others are refused at run time,
# or by the server's body limit before anything is read).
HOSTILE = [
    c for c in CASES if "check" in c.expect and c.apply in {"upload", "upload_rules", "upload_form"}
]
# Common English words a sentence left untranslated would show (beyond the msgids' own).
COMMON_ENGLISH = frozenset(
    re.findall(
        r"\w+",
        """a an the is are was were be been has have had not no with without of and or for from
        this that which who what when where there here it its to in on at by as can cannot could
        must may should would will only one exactly found missing available invalid error unknown
        supported implemented specified required task process flow gateway event element
        condition default identifier diagram file step rule table decision name did you mean
        following does do""",
    )
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # an identifier (custom_function) is one word


def _problem_msgids() -> list[str]:
    """The English sentences and titles the page may show for a problem."""
    found: list[str] = []
    for table in (texts.PROBLEM_LABELS, texts.SENTENCES, texts.REFUSED, texts.DEFINITIONS):
        found.extend(str(value._args[0]) for value in table.values())
    found.extend(str(value._args[0]) for _param, value in texts.WITHOUT.values())
    found.extend(str(value._args[0]) for value in texts.REFUSED_WITHOUT_REASON.values())
    found.extend(str(value._args[0]) for _pattern, value in texts.REASONS)
    return found


def _english_vocabulary() -> set[str]:
    """Words of the English msgids and common English, less those the Vietnamese also uses
    (technical names such as DMN or camunda:decisionRef, and unaccented Vietnamese syllables)."""
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    english: set[str] = set(COMMON_ENGLISH)
    vietnamese: set[str] = set()
    for msgid in _problem_msgids():
        english.update(w.lower() for w in _WORD.findall(re.sub(r"%\(\w+\)s", " ", msgid)))
        entry = catalog.get(msgid)
        if entry is not None and entry.string:
            vietnamese.update(w.lower() for w in _WORD.findall(str(entry.string)))
    return {w for w in english if len(w) > 1 and w not in vietnamese}


ENGLISH = _english_vocabulary()


def english_left(text: str, quoted: Iterable[str]) -> list[str]:
    """English words of `text` once the names and values it quotes are taken out."""
    for value in sorted((q for q in quoted if q), key=len, reverse=True):
        text = text.replace(value, " ")
    return [w for w in _WORD.findall(text) if w.lower() in ENGLISH]


def test_the_detector_finds_english_and_spares_vietnamese_and_quoted_names():
    assert {"The", "step", "has"} <= set(english_left("The step “Review” has no form.", ["Review"]))
    named = "Approve the request"
    assert english_left(f"Bước “{named}” chưa có biểu mẫu.", [named]) == []
    assert english_left("Bước “X” gọi quy trình not found.", ["X"]) == ["not", "found"]
    assert english_left("Tệp a.dmn dùng camunda:decisionRef trong DMN 1.3.", ["a.dmn"]) == []


@pytest.fixture
def vietnamese(app):
    with app.test_request_context("/"):
        session["lang"] = "vi"
        yield


def _uploaded(db: Any, path: Path) -> list[dict[str, Any]]:
    """The problems an administrator's upload of `path` gets, as the pages list them: a .bpmn
    through the modeler (with version 1's forms and rules) and through the API with the rule
    files beside it; a .dmn as a rule file of the shipped diagram."""
    admin = actor_named(db, "admin")
    if path.suffix == ".dmn":
        bpmn, files = process_versions.read_bundle_dir(ROOT / "bpmn", KEY)
        files[path.name] = path.read_text(encoding="utf-8-sig")
        return list(process_versions.create_version(db, admin, KEY, bpmn, files).problems or [])
    beside = {d.name: d.read_text(encoding="utf-8-sig") for d in path.parent.glob("*.dmn")}
    text = path.read_bytes().decode("utf-8-sig")
    problems = list(process_versions.create_version(db, admin, KEY, text, beside).problems or [])
    try:
        drawn = diagram_drafts.upload_diagram(db, admin, KEY, 1, path.read_bytes(), path.name)
    except DiagramProblemsError as refused:
        return problems + refused.problems
    return problems + list(drawn.problems or [])


def _hostile_upload(db: Any, case: Case) -> list[dict[str, Any]]:
    """The problems of a hostile case uploaded as tests/hostile/harness.py uploads it."""
    text = content(case)
    files = shipped_files()
    bpmn = diagram_for(case, text) if case.apply == "upload" else SHIPPED_BPMN
    if case.apply == "upload_rules":
        files["award_rules.dmn"] = text
    elif case.apply == "upload_form":
        files[f"forms/{case.form}"] = text
    version = process_versions.create_version(db, actor_named(db, "admin"), KEY, bpmn, files)
    return list(version.problems or [])


def _quoted(problem: Mapping[str, Any]) -> list[str]:
    params = problem.get("params") or {}
    return [str(problem.get("file") or ""), *(str(v) for v in params.values())]


def test_the_corpus_is_all_there():
    assert len(CORPUS_FILES) == 160


def _assert_vietnamese(problems: list[dict[str, Any]]) -> None:
    for problem in described(problems):
        where = f"{problem['code']} ({problem['message']})"
        assert problem["sentence"], f"{where} has no sentence, only the engine's words"
        assert problem["code"] in texts.PROBLEM_LABELS, f"{where} has no title"
        for shown in (problem["label"], problem["sentence"]):
            assert english_left(shown, _quoted(problem)) == [], f"{where}: English in “{shown}”"
            assert re.search(r"[^\x00-\x7f“”…]", shown), f"{where}: no Vietnamese in “{shown}”"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_problem_of_a_corpus_file_reads_in_vietnamese(db, vietnamese, path):
    _assert_vietnamese(_uploaded(db, path))


@pytest.mark.parametrize("case", HOSTILE, ids=[c.name for c in HOSTILE])
def test_every_problem_of_a_hostile_upload_reads_in_vietnamese(db, vietnamese, case):
    problems = _hostile_upload(db, case)
    if case.expect == ("check",):
        assert problems, "the check let it through"
    _assert_vietnamese(problems)


ENGINE_SAMPLES = [
    "camunda/data/DMNMultiInstance.bpmn",  # a decision named the Camunda way
    "bpmn/data/exclusive_gateway_no_default.bpmn",
    "bpmn/data/data_object_invalid.bpmn",  # the BPMN schema
    "bpmn/data/call_activity_end_event.bpmn",  # a called process not in the file
]


@pytest.mark.parametrize("name", ENGINE_SAMPLES)
def test_the_version_page_shows_the_engines_words_only_as_the_marked_detail(client, name):
    from tests.web.test_admin_modeler import upload

    login(client, "admin")
    answer = upload(client, 1, (CORPUS / name).read_bytes(), Path(name).name)
    assert answer.status_code == 302
    number = int(re.search(r"/versions/(\d+)/modeler", answer.headers["Location"]).group(1))
    html = client.get(f"/admin/processes/{KEY}/versions/{number}").get_data(as_text=True)
    rows = re.findall(r'<tr data-problem-code="[^"]+">.*?</tr>', html, re.S)
    assert rows
    for row in rows:
        shown = re.sub(r'<span class="problem-technical">.*?</span></span>', " ", row, flags=re.S)
        shown = unescape(re.sub(r"<code[^>]*>.*?</code>|<[^>]+>", " ", shown, flags=re.S))
        names = [*re.findall(r"“([^”]*)”", shown), f"{KEY}.bpmn", Path(name).name]
        assert english_left(shown, names) == [], shown
