"""Round pages: movements, rounds (đợt xét), a round's page with its steps, lists and history."""

from webapp.rounds import ministry_views, package_views, papers_views, views  # noqa: F401 - registers the routes on bp
from webapp.rounds.blueprint import bp

__all__ = ["bp"]
