"""The Office's pages: the award history of a person or collective (eligibility check) and the
movement report with its Excel file for the Ministry."""

from webapp.reports import award_history_views  # noqa: F401 - registers the routes on bp
from webapp.reports.blueprint import bp

__all__ = ["bp"]
