"""The sentences of notifications and mail: English msgids of the catalog, sent in Vietnamese.

The pages translate the same msgids in the reader's language (Flask-Babel); mail is written in
the event's transaction, far from any request, so it reads the compiled Vietnamese catalog
with the standard library's gettext.
"""

from __future__ import annotations

import gettext
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

CATALOG_DIR = Path(__file__).resolve().parents[2] / "translations"
MAIL_LANGUAGE = "vi"


def N_(message: str) -> str:  # noqa: N802 - the catalog's marker for text translated later
    """Mark `message` for the catalog; translated where it is shown."""
    return message


# What each kind of notification says, filled with its parameters.
SENTENCES: dict[str, str] = {
    "new_step": N_("Dossier %(code)s (%(title)s) waits for you at the step “%(step)s”."),
    "returned": N_("Dossier %(code)s (%(title)s) was returned to your unit: “%(step)s”."),
    "decision": N_("A decision was made on dossier %(code)s (%(title)s): %(result)s."),
    "reminder": N_("Reminder: the step “%(step)s” of dossier %(code)s is due on %(due)s."),
    "overdue": N_("Overdue: the step “%(step)s” of dossier %(code)s was due on %(due)s."),
    "overdue_summary": N_("%(count)s steps are overdue today."),
    "overdue_escalation": N_(
        "Overdue and not yet taken: the step “%(step)s” of dossier %(code)s (%(title)s) was due on "
        "%(due)s."
    ),
    "export_ready": N_(
        "The Excel file of the dossier list you asked for (%(rows)s dossiers) is ready."
    ),
}
SUBJECTS: dict[str, str] = {
    "new_step": N_("New step for you: %(step)s, dossier %(code)s"),
    "returned": N_("Dossier %(code)s returned to your unit"),
    "decision": N_("Decision on dossier %(code)s"),
    "reminder": N_("Reminder: %(step)s, dossier %(code)s, due %(due)s"),
    "overdue": N_("Overdue: %(step)s, dossier %(code)s"),
    "overdue_summary": N_("Overdue steps today: %(count)s"),
    "overdue_escalation": N_("Overdue, for your attention: %(step)s, dossier %(code)s"),
    "export_ready": N_("Excel file ready: %(rows)s dossiers"),
    "digest": N_("Your notifications of %(day)s"),
}
# A dossier's outcome, as the decision sentence names it.
RESULTS: dict[str, str] = {
    "awarded": N_("awarded"),
    "partly_awarded": N_("partly awarded"),
    "refused": N_("not awarded"),
    "withdrawn": N_("withdrawn"),
    "round_result": N_("the council's results of the round reached the dossier"),
}
GREETING = N_("Hello,")
OPEN_LINK = N_("Open: %(link)s")
SIGNATURE = N_("Award dossier system — an automatic message, please do not reply.")
SUMMARY_LINE = N_("%(code)s — %(step)s — due %(due)s — with %(who)s")


@lru_cache(maxsize=1)
def _catalog() -> gettext.NullTranslations:
    return gettext.translation(
        "messages", str(CATALOG_DIR), languages=[MAIL_LANGUAGE], fallback=True
    )


def in_mail_language(message: str, params: dict[str, Any] | None = None) -> str:
    """`message` from the catalog in the mail's language, filled with `params`."""
    text = _catalog().gettext(message)
    return text % params if params else text


def mail_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the mail shows them (an outcome's code read as words)."""
    shown = dict(params)
    if kind == "decision" and params.get("result") in RESULTS:
        shown["result"] = in_mail_language(RESULTS[params["result"]])
    return shown


def mail_of(kind: str, params: dict[str, Any], link: str | None) -> tuple[str, str]:
    """Subject and body of the mail of one notification, in Vietnamese."""
    shown = mail_params(kind, params)
    subject = in_mail_language(SUBJECTS[kind], shown)
    lines = [in_mail_language(GREETING), "", in_mail_language(SENTENCES[kind], shown)]
    if link:
        lines += ["", in_mail_language(OPEN_LINK, {"link": link})]
    lines += ["", "--", in_mail_language(SIGNATURE)]
    return subject, "\n".join(lines)


def local_day(moment: datetime, time_zone: str) -> str:
    """dd/mm/yyyy of `moment` in the application's time zone."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%d/%m/%Y")
