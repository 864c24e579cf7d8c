"""The Atom feed of published awardees, built with feedgen."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time

from feedgen.feed import FeedGenerator
from flask_babel import gettext as _

from webapp.public.citation import citation
from webapp.services.recognition import PublicAwardee

# An entry without a publication time (older data) is dated by its decision, else this.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _updated(awardee: PublicAwardee) -> datetime:
    if awardee.published_at is not None:
        when = awardee.published_at
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    if awardee.decision_date is not None:
        return datetime.combine(awardee.decision_date, time.min, tzinfo=UTC)
    return _EPOCH


def atom_feed(
    awardees: Iterable[PublicAwardee],
    *,
    title: str,
    home_url: str,
    self_url: str,
    entry_url: Callable[[PublicAwardee], str],
) -> bytes:
    """The feed as bytes: one entry per awardee, its summary the citation and the decision."""
    listed = list(awardees)
    feed = FeedGenerator()
    feed.id(home_url)
    feed.title(title)
    feed.link(href=home_url, rel="alternate")
    feed.link(href=self_url, rel="self")
    feed.language("vi")
    feed.updated(max((_updated(a) for a in listed), default=_EPOCH))
    for awardee in reversed(listed):  # feedgen prepends: the newest ends up first
        entry = feed.add_entry()
        url = entry_url(awardee)
        entry.id(url)
        entry.link(href=url)
        heading = awardee.name
        if awardee.unit and awardee.unit != awardee.name:
            heading = f"{awardee.name} — {awardee.unit}"
        entry.title(heading)
        summary = citation(awardee)
        if awardee.decision_number:
            summary += " " + _("Decision No. %(number)s.", number=awardee.decision_number)
        entry.summary(summary)
        entry.updated(_updated(awardee))
    return bytes(feed.atom_str(pretty=True))
