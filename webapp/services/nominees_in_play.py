"""Which nominees a step still decides on: those no level has rejected or finally decided.

A nominee's `result` is the product's record of where it stands (see `dossier_effects`):
`pending` until the council votes, `passed` or `failed` after the tally, `refused` or `awarded`
once a decision is taken. A nominee the council failed, or a decision refused, is not offered
again at a later step, and a step's data may not decide on it (the page form and the API check
the same list).
"""

from __future__ import annotations

from collections.abc import Iterable

from webapp.models import Dossier, Nominee

# Results after which no later step decides on the nominee. A nominee not yet stored (a form
# preview's sample) has no result yet and is in play.
CLOSED_RESULTS = frozenset({"failed", "refused", "awarded"})


def is_in_play(nominee: Nominee) -> bool:
    """Whether later steps still decide on this nominee."""
    return nominee.result not in CLOSED_RESULTS


def nominees_in_play(nominees: Iterable[Nominee]) -> list[Nominee]:
    """The nominees still decided on, in their order."""
    return [n for n in nominees if is_in_play(n)]


def nominee_ids_in_play(dossier: Dossier) -> list[str]:
    """The ids (as the forms' keys, strings) of the dossier's nominees still decided on."""
    return [str(n.id) for n in nominees_in_play(dossier.nominees)]


def nominee_ids_out_of_play(dossier: Dossier) -> list[str]:
    """The ids of the dossier's nominees an earlier level rejected or finally decided."""
    return [str(n.id) for n in dossier.nominees if not is_in_play(n)]
