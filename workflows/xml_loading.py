"""Parse BPMN and DMN bytes safely: no DTD, no entities, no network, bounded size."""

from __future__ import annotations

from lxml import etree

from workflows.errors import DiagramError, Problem

MAX_XML_BYTES = 5 * 1024 * 1024
# A rule table holds at most a few hundred rules (bounds.MAX_DMN_RULES): 1 MiB is generous,
# and refusing a larger file before parsing spares the worker tens of MB of tree.
MAX_DMN_BYTES = 1024 * 1024

# huge_tree=False keeps libxml2's depth and text-size limits on; no entity is ever resolved.
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def parse_xml(data: bytes | str, file_name: str) -> etree._Element:
    """Return the root element of `data`, or raise DiagramError saying why it is refused."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    limit = MAX_DMN_BYTES if file_name.lower().endswith(".dmn") else MAX_XML_BYTES
    if len(data) > limit:
        raise DiagramError(
            [
                Problem(
                    "file_too_large",
                    f"{file_name} is {len(data)} bytes; at most {limit} are accepted",
                    file_name=file_name,
                )
            ]
        )
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise DiagramError(
            [
                Problem(
                    "doctype_refused",
                    f"{file_name} declares a DOCTYPE or entities, which diagrams never need",
                    file_name=file_name,
                )
            ]
        )
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise DiagramError(
            [
                Problem(
                    "not_xml",
                    f"{file_name} is not well-formed XML: {exc.msg}",
                    None,
                    file_name,
                    line,
                    {"reason": str(exc.msg)},
                )
            ]
        ) from exc
    if root is None or root.getroottree().docinfo.doctype:
        raise DiagramError(
            [Problem("doctype_refused", f"{file_name} declares a DOCTYPE", file_name=file_name)]
        )
    return root
