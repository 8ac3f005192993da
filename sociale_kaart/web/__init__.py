"""Web views: one blueprint per audience (public pages, the JSON API, ...)."""

from __future__ import annotations

from flask import current_app

from ..config import Settings
from ..db import Database


def get_db() -> Database:
    return current_app.extensions["sociale_kaart.db"]


def get_search():
    return current_app.extensions["sociale_kaart.search"]


def get_settings() -> Settings:
    return current_app.extensions["sociale_kaart.settings"]
