"""The Office's reports blueprint: award history look-up and the movement report."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
