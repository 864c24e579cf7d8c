"""The dossiers blueprint, shared by the tracking/dossier pages and the creation page."""

from flask import Blueprint

bp = Blueprint("dossiers", __name__)
