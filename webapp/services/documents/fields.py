"""The fields a paper's template may use, per document kind, with what each holds.

This is the one list the administrator's page shows, the upload check enforces and the check's
trial rendering fills; tests/services/test_version_templates.py builds every context of
context.py and dossier_context.py and fails when a context gains or loses a key this list does
not describe. Descriptions are English msgids of the catalog, translated at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _l(text: str) -> str:
    """Marks a description for the translation catalog; the page translates it."""
    return text


@dataclass(frozen=True)
class Field:
    """One value a template may print: `kind` is text, number, texts (a list of lines, for
    `{%p for x in ... %}`) or rows (a list of records, for `{%tr for row in rows %}`)."""

    name: str
    description: str
    kind: str = "text"
    items: tuple[Field, ...] = ()


INDEX = Field("index", _l("Row number (1, 2, 3, …)"), "number")
NAME = Field("name", _l("Name of the individual or collective"))
ROW_FORM = Field("form_name", _l("Award form of the row"))
ROW_UNIT = Field("unit", _l("Unit of the individual or collective"))
POSITION_UNIT = Field("position_unit", _l("Position and unit"))

COMMON = (
    Field("parent_body", _l("Parent body in the header (e.g. UBND TỈNH BẮC NINH)")),
    Field("issuing_body", _l("Issuing body in the header (e.g. SỞ TÀI CHÍNH)")),
    Field("number", _l("Number and symbol of the paper (e.g. 58/TTr-STC)")),
    Field("place", _l("Place in the place/date line")),
    Field("day", _l("Day of the date, two digits")),
    Field("month", _l("Month of the date, two digits")),
    Field("year", _l("Year of the date")),
    Field("form_name", _l("Full name of the award form")),
    Field("form_name_upper", _l("Full name of the award form in capitals")),
    Field("recipients", _l("Recipients (Nơi nhận), one per line"), "texts"),
    Field("signer", _l("Name of the signer")),
    Field("signer_title", _l("Title of the signer (e.g. GIÁM ĐỐC)")),
)

RECIPIENT = Field("recipient", _l("Addressee (Kính gửi)"))
LEGAL_BASES = Field("legal_bases", _l("Legal bases (Căn cứ …), one per line"), "texts")
INTRO = Field("intro", _l("Opening paragraph"))
CLOSING = Field("closing", _l("Closing paragraph"))
LIST_SUBTITLE = Field("list_subtitle", _l("Subtitle of the attached list"))
COUNCIL_OF = Field("council_of", _l("Body whose council it is (Sở Tài chính)"))
SUBJECT_NAME = Field("subject_name", _l("What the council considers (the round's name)"))

FIELDS: dict[str, tuple[Field, ...]] = {
    "submission": (
        *COMMON,
        RECIPIENT,
        LEGAL_BASES,
        INTRO,
        Field("counts_text", _l("Sentence with the numbers of individuals and collectives")),
        CLOSING,
        LIST_SUBTITLE,
        Field(
            "rows",
            _l("The nominees proposed"),
            "rows",
            (
                INDEX,
                NAME,
                POSITION_UNIT,
                ROW_FORM,
                Field("achievement", _l("Summary of the achievements")),
                Field(
                    "note",
                    _l("Note: the council's tally (members who agreed out of all, and the share)"),
                ),
            ),
        ),
    ),
    "minutes": (
        *COMMON,
        COUNCIL_OF,
        SUBJECT_NAME,
        Field("meeting_when", _l("Date of the meeting, in words")),
        Field("meeting_place", _l("Place of the meeting")),
        Field("chair", _l("Chair of the council")),
        Field("secretary", _l("Secretary of the council")),
        Field("members_total", _l("Number of council members"), "number"),
        Field("present_count", _l("Number of members present"), "number"),
        Field("absent_count", _l("Number of members absent"), "number"),
        Field("present_names", _l("Names of the members present")),
        Field("absent_names", _l("Names of the members absent")),
        Field("form_of_vote", _l("Form of vote (secret ballot or open vote)")),
        Field(
            "rows",
            _l("The nominees voted on"),
            "rows",
            (
                INDEX,
                NAME,
                ROW_UNIT,
                ROW_FORM,
                Field("tally", _l("Members who agreed out of all members, and the share")),
                Field("result", _l("Result (Đạt / Không đạt)")),
            ),
        ),
        Field("conclusion", _l("The council's conclusion")),
        Field("left_signer", _l("Name of the secretary who signs on the left")),
    ),
    "decision": (
        *COMMON,
        Field("decider_title", _l("Title of the deciding authority")),
        LEGAL_BASES,
        Field("article_1", _l("Article 1 (who is awarded)")),
        Field("article_2", _l("Article 2 (effect)")),
        Field("article_3", _l("Article 3 (who carries it out)")),
        LIST_SUBTITLE,
        Field(
            "rows",
            _l("The awardees"),
            "rows",
            (INDEX, NAME, POSITION_UNIT, Field("note", _l("Note"))),
        ),
    ),
    "notice": (
        *COMMON,
        RECIPIENT,
        INTRO,
        CLOSING,
        Field(
            "rows",
            _l("The nominees not awarded"),
            "rows",
            (INDEX, NAME, ROW_UNIT, Field("reason", _l("Reason they were not awarded"))),
        ),
    ),
    "written_opinion": (
        *COMMON,
        COUNCIL_OF,
        SUBJECT_NAME,
        Field("member", _l("Name of the council member giving the opinion")),
        Field("instruction", _l("How to fill in the form")),
        Field(
            "rows",
            _l("The nominees to give an opinion on"),
            "rows",
            (INDEX, NAME, ROW_UNIT, ROW_FORM),
        ),
    ),
}

KINDS = tuple(FIELDS)
# What each kind is called, for the pages (English msgids).
KIND_NAMES = {
    "submission": _l("Submission (tờ trình) with its list"),
    "minutes": _l("Council minutes"),
    "decision": _l("Draft decision"),
    "notice": _l("Notice of non-award"),
    "written_opinion": _l("Written-opinion form"),
}


def fields_of(kind: str) -> dict[str, Field]:
    """The top-level fields of a kind by name (KeyError for an unknown kind)."""
    return {f.name: f for f in FIELDS[kind]}


def _sample(field: Field) -> Any:
    if field.kind == "number":
        return 1
    if field.kind == "texts":
        return ["…"]
    if field.kind == "rows":
        return [{item.name: _sample(item) for item in field.items}]
    return "…"


def sample_context(kind: str) -> dict[str, Any]:
    """A context with every field of `kind` filled with a placeholder (one row per list): what
    the upload check renders a template with."""
    return {f.name: _sample(f) for f in FIELDS[kind]}
