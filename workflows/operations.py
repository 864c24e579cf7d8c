"""Service-task operations a diagram may call: a fixed whitelist of pure functions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from fractions import Fraction
from typing import Any

from workflows.errors import ProcessRuntimeError


def _share(value: Any) -> Fraction:
    """A quorum or threshold as an exact fraction (DMN cells give floats such as 2/3)."""
    return Fraction(str(value)).limit_denominator(1000)


# The counts of a secret vote's ballot box, handed in by the application for the one engine
# turn that may count them: the engine's data only knows THAT each member voted. A provider,
# read only if the tally runs, so that no ballot but the last one reads the running totals.
SealedCounts = Callable[[], Mapping[str, Mapping[str, int]]]
_SEALED_COUNTS: ContextVar[SealedCounts | None] = ContextVar("sealed_counts", default=None)


@contextmanager
def sealed_counts(provider: SealedCounts | None) -> Iterator[None]:
    """Within the block, tally_votes counts choices from `provider()` (nominee -> choice -> n),
    the ballot box of a secret vote, instead of from the ballots; None changes nothing."""
    token = _SEALED_COUNTS.set(provider)
    try:
        yield
    finally:
        _SEALED_COUNTS.reset(token)


def tally_votes(
    ballots: Mapping[str, Mapping[str, str]] | None,
    members: list[str],
    nominees: list[str],
    quorum: Any,
    threshold: Any,
) -> dict[str, Any]:
    """Count the council's ballots per nominee.

    A nominee passes when enough members took part (quorum, a share of all members) and the
    members who agreed reach the threshold, a share of ALL members: absent members count as not
    agreeing. A ballot with no opinion at all (the vote was closed before the member voted) is
    an absence. In a secret vote each ballot only says that the member voted, and the choices
    come from the ballot box (see `sealed_counts`).
    """
    ballots = {m: b for m, b in (ballots or {}).items() if m in set(members) and b}
    total = len(members)
    voted = len(ballots)
    provider = _SEALED_COUNTS.get()
    sealed = provider() if provider is not None else None
    quorum_met = total > 0 and Fraction(voted, total) >= _share(quorum)
    per_nominee: dict[str, dict[str, Any]] = {}
    passed: list[str] = []
    failed: list[str] = []
    for nominee in nominees:
        if sealed is not None:
            box = sealed.get(str(nominee)) or {}
            agree, disagree = int(box.get("agree", 0)), int(box.get("disagree", 0))
            if agree + disagree > voted:
                raise ProcessRuntimeError("the ballot box holds more ballots than members voted")
        else:
            agree = sum(1 for b in ballots.values() if b.get(nominee) == "agree")
            disagree = sum(1 for b in ballots.values() if b.get(nominee) == "disagree")
        ok = quorum_met and Fraction(agree, total) >= _share(threshold)
        per_nominee[nominee] = {
            "agree": agree,
            "disagree": disagree,
            "members": total,
            "passed": ok,
        }
        (passed if ok else failed).append(nominee)
    return {
        "members": total,
        "voted": voted,
        "quorum_met": quorum_met,
        "passed": passed,
        "failed": failed,
        "nominees": per_nominee,
    }


OPERATIONS: dict[str, Callable[..., Any]] = {"tally_votes": tally_votes}


def call_operation(name: str, params: Mapping[str, Any]) -> Any:
    """Run the whitelisted operation `name` with `params`."""
    operation = OPERATIONS.get(name)
    if operation is None:
        raise ProcessRuntimeError(f"unknown service operation '{name}'")
    try:
        return operation(**params)
    except TypeError as exc:
        raise ProcessRuntimeError(f"service operation '{name}': {exc}") from exc
