"""Bring a dossier to its council vote and cast ballots, through the API as the demo users."""

from __future__ import annotations

MEMBERS = ["giamdoc", "hoidong1", "hoidong2", "hoidong3", "hoidong4"]


def at_vote(api):
    """A new dossier whose council vote has just opened (five ballots waiting)."""
    dossier = api.start()
    api.do("canbo_ns", dossier["id"], "prepare_dossier", {"decision": "submit"})
    api.do("truongphong_ns", dossier["id"], "approve_at_unit", {"decision": "approve"})
    api.do("vanphong", dossier["id"], "check_dossier", {"decision": "approve"})
    return dossier


def vote(api, dossier, members, opinion="agree"):
    """Each of `members` casts a ballot with the same opinion on every nominee."""
    for member in members:
        votes = {str(n["id"]): opinion for n in dossier["nominees"]}
        api.do(member, dossier["id"], "council_vote", {"votes": votes})
