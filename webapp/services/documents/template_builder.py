"""Builds the project's own DOCX templates (Decree 30/2020 layout) with python-docx.

The built files are committed under webapp/data/document_templates/; run
`python -m webapp.services.documents.template_builder` after changing this module.
Jinja tags inside the paragraphs are filled by docxtpl (render.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.table import Table

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "data" / "document_templates"
FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 12
CENTER = WD_ALIGN_PARAGRAPH.CENTER
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY


def _new() -> DocumentObject:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.orientation = WD_ORIENT.PORTRAIT
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(BODY_PT)
    # East-Asian/complex-script font names too, so Word does not fall back for diacritics.
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(_qn(attr), FONT)
    style.paragraph_format.space_after = Pt(3)
    return document


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _para(
    container: DocumentObject,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    size: int | None = None,
    indent: bool = False,
) -> None:
    paragraph = container.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1)
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)


def _widths(table: Table, widths: list[float]) -> None:
    """Column widths both in the grid (what LibreOffice reads) and on every cell (Word)."""
    grid = table._tbl.tblGrid
    for column, width in zip(grid.findall(_qn("w:gridCol")), widths, strict=False):
        column.set(_qn("w:w"), str(int(Cm(width).twips)))
    for row in table.rows:
        for index, width in enumerate(widths):
            row.cells[index].width = Cm(width)


def _cell_lines(cell: object, lines: list[tuple[str, dict[str, bool]]], size: int = 13) -> None:
    first = True
    for text, style in lines:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()  # type: ignore[attr-defined]
        first = False
        paragraph.alignment = CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(text)
        run.bold = style.get("bold", False)
        run.italic = style.get("italic", False)
        run.underline = style.get("underline", False)
        run.font.size = Pt(size)


def _header(document: DocumentObject, number_tag: str = "{{ number }}") -> None:
    """Parent body over issuing body and the number on the left; the national motto and
    the place/date line on the right."""
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    left, right = table.rows[0].cells
    _widths(table, [6.0, 10.0])
    _cell_lines(
        left,
        [
            ("{{ parent_body }}", {}),
            ("{{ issuing_body }}", {"bold": True, "underline": True}),
            ("", {}),
            ("Số: " + number_tag, {}),
        ],
        12,
    )
    _cell_lines(
        right,
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", {"bold": True}),
            ("Độc lập - Tự do - Hạnh phúc", {"bold": True, "underline": True}),
            ("", {}),
            ("{{ place }}, ngày {{ day }} tháng {{ month }} năm {{ year }}", {"italic": True}),
        ],
        12,
    )
    _para(document)


def _bases(document: DocumentObject) -> None:
    _para(document, "{%p for basis in legal_bases %}")
    _para(document, "{{ basis }};", italic=True, indent=True, align=JUSTIFY)
    _para(document, "{%p endfor %}")


def _grid(
    document: DocumentObject, heads: list[str], cells: list[str], widths: list[float]
) -> None:
    """A bordered table: a header row, then one row per item of `rows` (docxtpl's row loop)."""
    table: Table = document.add_table(rows=3, cols=len(heads))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, head in enumerate(heads):
        _cell_lines(table.rows[0].cells[index], [(head, {"bold": True})], TABLE_PT)
    _cell_lines(table.rows[1].cells[0], [("{%tr for row in rows %}", {})], TABLE_PT)
    for index, tag in enumerate(cells):
        _cell_lines(table.rows[2].cells[index], [(tag, {})], TABLE_PT)
    # docxtpl needs the loop's end in a row of its own after the repeated row.
    end = table.add_row()  # type: ignore[no-untyped-call]
    _cell_lines(end.cells[0], [("{%tr endfor %}", {})], TABLE_PT)
    _widths(table, widths)


def _signatures(document: DocumentObject, *, recipients: bool, left: str, right: str) -> None:
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    first, second = table.rows[0].cells
    _widths(table, [7.5, 8.5])
    if recipients:
        lines = [
            ("Nơi nhận:", {"bold": True, "italic": True}),
            ("{%p for recipient in recipients %}", {}),
            ("- {{ recipient }}", {}),
            ("{%p endfor %}", {}),
        ]
        _cell_lines(first, lines, 12)
        for paragraph in first.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    elif left:
        _cell_lines(
            first,
            [
                (left, {"bold": True}),
                ("", {}),
                ("", {}),
                ("", {}),
                ("{{ left_signer }}", {"bold": True}),
            ],
        )
    _cell_lines(
        second,
        [(right, {"bold": True}), ("", {}), ("", {}), ("", {}), ("{{ signer }}", {"bold": True})],
    )


def _list_heading(document: DocumentObject, title: str) -> None:
    """The list on a landscape A4 page of its own (six columns need the width)."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    section.left_margin, section.right_margin = Cm(2), Cm(1.5)
    _para(document, title, bold=True, align=CENTER)
    _para(document, "{{ list_subtitle }}", italic=True, align=CENTER)


LIST_HEADS = [
    "STT",
    "Họ tên / Tên tập thể",
    "Chức vụ, đơn vị",
    "Hình thức đề nghị",
    "Tóm tắt thành tích",
    "Ghi chú",
]
LIST_CELLS = [
    "{{ row.index }}",
    "{{ row.name }}",
    "{{ row.position_unit }}",
    "{{ row.form_name }}",
    "{{ row.achievement }}",
    "{{ row.note }}",
]
LIST_WIDTHS = [1.2, 5.0, 5.5, 4.2, 7.0, 3.3]


def submission() -> DocumentObject:
    """Tờ trình with its nominee list (danh sách đề nghị) as an appendix."""
    document = _new()
    _header(document)
    _para(document, "TỜ TRÌNH", bold=True, align=CENTER)
    _para(document, "Về việc đề nghị tặng {{ form_name }}", bold=True, align=CENTER)
    _para(document, "Kính gửi: {{ recipient }}.", align=CENTER)
    _bases(document)
    _para(document, "{{ intro }}", indent=True, align=JUSTIFY)
    _para(document, "{{ counts_text }}", indent=True, align=JUSTIFY)
    _para(document, "(Có danh sách và hồ sơ kèm theo)", italic=True, align=CENTER)
    _para(document, "{{ closing }}", indent=True, align=JUSTIFY)
    _signatures(document, recipients=True, left="", right="{{ signer_title }}")
    _list_heading(document, "DANH SÁCH ĐỀ NGHỊ TẶNG {{ form_name_upper }}")
    _grid(document, LIST_HEADS, LIST_CELLS, LIST_WIDTHS)
    return document


def minutes() -> DocumentObject:
    """Biên bản họp Hội đồng Thi đua - Khen thưởng with the tally per nominee."""
    document = _new()
    _header(document)
    _para(document, "BIÊN BẢN", bold=True, align=CENTER)
    _para(document, "Họp Hội đồng Thi đua - Khen thưởng {{ council_of }}", bold=True, align=CENTER)
    _para(document, "Xét đề nghị khen thưởng: {{ subject_name }}", italic=True, align=CENTER)
    _para(document, "Thời gian: {{ meeting_when }}.", indent=True)
    _para(document, "Địa điểm: {{ meeting_place }}.", indent=True)
    _para(document, "Chủ trì: {{ chair }}; Thư ký: {{ secretary }}.", indent=True)
    _para(
        document,
        "Thành viên Hội đồng: {{ members_total }}; có mặt: {{ present_count }}; "
        "vắng mặt: {{ absent_count }}.",
        indent=True,
    )
    _para(document, "Có mặt: {{ present_names }}.", indent=True)
    _para(
        document,
        "Vắng mặt (gửi phiếu lấy ý kiến bằng văn bản): {{ absent_names }}.",
        indent=True,
    )
    _para(document, "Hình thức biểu quyết: {{ form_of_vote }}.", indent=True)
    _para(document, "Kết quả biểu quyết đối với từng trường hợp như sau:", indent=True)
    _grid(
        document,
        ["STT", "Họ tên / Tên tập thể", "Đơn vị", "Hình thức", "Đồng ý", "Kết quả"],
        [
            "{{ row.index }}",
            "{{ row.name }}",
            "{{ row.unit }}",
            "{{ row.form_name }}",
            "{{ row.tally }}",
            "{{ row.result }}",
        ],
        [1.3, 3.7, 3.2, 3.0, 2.4, 2.4],
    )
    _para(document)
    _para(document, "Kết luận: {{ conclusion }}", indent=True, align=JUSTIFY)
    _para(document, "Cuộc họp kết thúc vào hồi … giờ … cùng ngày.", indent=True)
    _signatures(document, recipients=False, left="THƯ KÝ", right="CHỦ TỊCH HỘI ĐỒNG")
    return document


def decision() -> DocumentObject:
    """Dự thảo quyết định khen thưởng with its list of awardees."""
    document = _new()
    _header(document)
    _para(document, "DỰ THẢO", bold=True, italic=True, align=CENTER, size=12)
    _para(document, "QUYẾT ĐỊNH", bold=True, align=CENTER)
    _para(document, "Về việc tặng {{ form_name }}", bold=True, align=CENTER)
    _para(document, "{{ decider_title }}", bold=True, align=CENTER)
    _bases(document)
    _para(document, "QUYẾT ĐỊNH:", bold=True, align=CENTER)
    _para(document, "Điều 1. {{ article_1 }}", indent=True, align=JUSTIFY)
    _para(document, "Điều 2. {{ article_2 }}", indent=True, align=JUSTIFY)
    _para(document, "Điều 3. {{ article_3 }}", indent=True, align=JUSTIFY)
    _signatures(document, recipients=True, left="", right="{{ signer_title }}")
    _list_heading(document, "DANH SÁCH ĐƯỢC TẶNG {{ form_name_upper }}")
    _grid(
        document,
        ["STT", "Họ tên / Tên tập thể", "Chức vụ, đơn vị", "Ghi chú"],
        ["{{ row.index }}", "{{ row.name }}", "{{ row.position_unit }}", "{{ row.note }}"],
        [1.5, 8.0, 11.0, 5.7],
    )
    return document


def notice() -> DocumentObject:
    """Thông báo không khen thưởng, with the reason for each nominee."""
    document = _new()
    _header(document)
    _para(document, "THÔNG BÁO", bold=True, align=CENTER)
    _para(document, "Về kết quả xét đề nghị tặng {{ form_name }}", bold=True, align=CENTER)
    _para(document, "Kính gửi: {{ recipient }}.", align=CENTER)
    _para(document, "{{ intro }}", indent=True, align=JUSTIFY)
    _grid(
        document,
        ["STT", "Họ tên / Tên tập thể", "Đơn vị", "Lý do"],
        ["{{ row.index }}", "{{ row.name }}", "{{ row.unit }}", "{{ row.reason }}"],
        [1.2, 4.5, 4.3, 6.0],
    )
    _para(document)
    _para(document, "{{ closing }}", indent=True, align=JUSTIFY)
    _signatures(document, recipients=True, left="", right="{{ signer_title }}")
    return document


def written_opinion() -> DocumentObject:
    """Phiếu lấy ý kiến for a council member who is absent from the meeting."""
    document = _new()
    _header(document, "{{ number }}")
    _para(document, "PHIẾU LẤY Ý KIẾN", bold=True, align=CENTER)
    _para(
        document,
        "Thành viên Hội đồng Thi đua - Khen thưởng {{ council_of }}",
        bold=True,
        align=CENTER,
    )
    _para(document, "Xét đề nghị khen thưởng: {{ subject_name }}", italic=True, align=CENTER)
    _para(document, "Họ và tên thành viên: {{ member }}", indent=True)
    _para(document, "{{ instruction }}", indent=True, align=JUSTIFY)
    _grid(
        document,
        ["STT", "Họ tên / Tên tập thể", "Đơn vị", "Hình thức", "Đồng ý", "Không đồng ý"],
        [
            "{{ row.index }}",
            "{{ row.name }}",
            "{{ row.unit }}",
            "{{ row.form_name }}",
            "☐",
            "☐",
        ],
        [1.3, 4.0, 3.4, 3.3, 2.0, 2.0],
    )
    _para(document)
    _signatures(document, recipients=False, left="", right="THÀNH VIÊN HỘI ĐỒNG")
    return document


BUILDERS: dict[str, Callable[[], DocumentObject]] = {
    "submission": submission,
    "minutes": minutes,
    "decision": decision,
    "notice": notice,
    "written_opinion": written_opinion,
}


# Where one style names another: it is based on it, linked to it, or followed by it.
STYLE_LINKS = ("w:basedOn", "w:link", "w:next")
STYLE_REFERENCES = ("w:pStyle", "w:rStyle", "w:tblStyle", "w:numStyle")
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def styles_in_use(document: DocumentObject) -> set[str]:
    """The ids of the styles `document` uses: the defaults, those its parts name, and the
    styles those are based on, linked to or followed by."""
    styles = document.styles.element
    by_id = {style.get(_qn("w:styleId")): style for style in styles.findall(_qn("w:style"))}
    used = {key for key, style in by_id.items() if style.get(_qn("w:default")) in ("1", "true")}
    for part in document.part.package.iter_parts():
        element = getattr(part, "element", None)
        if element is not None and element is not styles:
            for tag in STYLE_REFERENCES:
                used |= {node.get(_qn("w:val")) for node in element.iter(_qn(tag))}
    pending = list(used)
    while pending:
        style = by_id.get(pending.pop())
        if style is None:
            continue
        for tag in STYLE_LINKS:
            named = style.find(_qn(tag))
            if named is not None and named.get(_qn("w:val")) not in used:
                used.add(named.get(_qn("w:val")))
                pending.append(named.get(_qn("w:val")))
    return used


def slimmed(document: DocumentObject) -> DocumentObject:
    """`document` without what python-docx's blank document carries and a paper never uses:
    Word 2010's stylesWithEffects part (438 KB) and the style definitions nothing uses
    (153 of them, 330 KB). Every render parsed and compressed them again: two thirds of its
    time."""
    used = styles_in_use(document)
    styles = document.styles.element
    for style in styles.findall(_qn("w:style")):
        if style.get(_qn("w:styleId")) not in used:
            styles.remove(style)
    for rel_id, rel in list(document.part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            document.part.drop_rel(rel_id)
    return document


def build_all(target: Path = TEMPLATE_DIR) -> list[Path]:
    """Write every template as <kind>.docx under `target`."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, builder in BUILDERS.items():
        path = target / f"{kind}.docx"
        slimmed(builder()).save(str(path))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in build_all(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE_DIR):
        print(written_path)
