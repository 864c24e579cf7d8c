"""What the submission package's manifest says to a person, in the request's language: kind
labels and the CSV's column headers (shared by the round and the dossier download)."""

from __future__ import annotations

from flask import Response, current_app, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.dossier_view import ATTACHMENT_KIND_LABELS
from webapp.services.submission_package import MAX_PACKAGE_BYTES, Package, Wording

PAPER_KIND_LABELS = {
    "submission": _l("Submission memo (tờ trình) with its list"),
    "minutes": _l("Council minutes"),
    "decision": _l("Draft award decision with its list of awardees"),
    "notice": _l("Notice of non-award"),
    "written_opinion": _l("Written-opinion form for an absent council member"),
}


def wording() -> Wording:
    """The manifest's labels and CSV headers, translated now."""
    return Wording(
        attachment_kinds={k: str(v) for k, v in ATTACHMENT_KIND_LABELS.items()},
        paper_kinds={k: str(v) for k, v in PAPER_KIND_LABELS.items()},
        csv_headers=(
            _("Path in the package"),
            _("Size (bytes)"),
            _("SHA-256"),
            _("Document kind"),
            _("Source"),
            _("Source id"),
            _("Process version"),
        ),
    )


def max_bytes() -> int:
    """The bound on a package's size (PACKAGE_MAX_BYTES in the configuration, 500 MB)."""
    return int(current_app.config.get("PACKAGE_MAX_BYTES", MAX_PACKAGE_BYTES))


def too_large_message() -> str:
    """The refusal shown when the package would be larger than the bound."""
    return _(
        "The package would be larger than %(size)s MB: download the files separately or ask "
        "the administrator.",
        size=max(1, max_bytes() // (1024 * 1024)),
    )


def send_package(package: Package) -> Response:
    """The ZIP as a download (its temporary file is closed once sent), with its SHA-256."""
    response = send_file(
        package.handle,
        mimetype="application/zip",
        as_attachment=True,
        download_name=package.file_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Digest"] = f"sha-256={package.sha256}"
    response.content_length = package.size
    return response
