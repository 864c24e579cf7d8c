"""The rounds blueprint."""

from flask import Blueprint

bp = Blueprint("rounds", __name__)
