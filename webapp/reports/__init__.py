"""The Office's pages: the award history of a person or collective (eligibility check) and the
movement report with its Excel file for the Ministry."""

from webapp.reports import (  # noqa: F401 - registers the routes on bp
    award_history_views,
    movement_report_views,
)
from webapp.reports.blueprint import bp
from webapp.reports.office import may_open_reports

bp.add_app_template_global(may_open_reports, "may_open_reports")

__all__ = ["bp"]
