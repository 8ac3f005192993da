"""Error pages in plain Dutch (or English), and JSON errors for the API (always Dutch)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    @app.before_request
    def reject_undecodable_query():
        """A query string that is not UTF-8 cannot be a real search; say so instead of
        failing later where the URL is rebuilt."""
        try:
            request.query_string.decode("utf-8")
        except UnicodeDecodeError:
            if request.path.startswith("/api/"):
                message = gettext("de zoekvraag is geen geldige UTF-8")
                return jsonify({"error": {"param": "q", "message": message}}), 400
            return render_template("errors/400.html"), 400
        return None

    @app.errorhandler(403)
    def forbidden(_error):
        if request.path.startswith(("/api/", "/hsds/")):
            return jsonify({"error": {"param": None,
                                      "message": gettext("geen toegang")}}), 403
        return render_template("errors/403.html"), 403

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(404)
    def not_found(_error):
        if request.path.startswith("/api/"):
            return jsonify({"error": {"param": "path", "message": gettext("niet gevonden")}}), 404
        return render_template("errors/404.html"), 404

    @app.errorhandler(405)
    def method_not_allowed(_error):
        if request.path.startswith("/api/"):
            return jsonify({"error": {"param": "method",
                                      "message": gettext("alleen GET is toegestaan")}}), 405
        return render_template("errors/404.html"), 405

    @app.errorhandler(429)
    def too_many_requests(_error):
        if request.path.startswith(("/api/", "/hsds/")):
            return jsonify({"error": {"param": "rate",
                                      "message": gettext("te veel verzoeken; probeer het "
                                                         "over een minuut opnieuw")}}), 429
        return render_template("errors/429.html"), 429

    # issue 12: the database is away (restart, network, failover): a clean 503 in Dutch,
    # and the next request tries again (pool_pre_ping replaces the dead connections).
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    for exception in (OperationalError, InterfaceError, DisconnectionError, PoolTimeout):
        app.register_error_handler(exception, database_unavailable)

    # A value the database refuses (PostgreSQL: a NUL character in text, a number out of
    # range) came from the request: the request is at fault, not the server.
    from sqlalchemy.exc import DataError

    @app.errorhandler(DataError)
    def refused_value(error):
        log.warning("database refused a value on %s: %s", request.path, type(error).__name__)
        if request.path.startswith(("/api/", "/hsds/")):
            message = gettext("een waarde in het verzoek is ongeldig")
            return jsonify({"error": {"param": None, "message": message}}), 400
        return render_template("errors/400.html"), 400

    @app.errorhandler(500)
    def server_error(error):
        log.error("server error on %s: %s", request.path, error)
        if request.path.startswith("/api/"):
            return jsonify({"error": {"param": None, "message": gettext("interne fout")}}), 500
        return render_template("errors/500.html"), 500


def database_unavailable(error):
    """503 with a Dutch message (JSON for the APIs); a failed replica read is retried once on
    the primary by sending the visitor to the same address again."""
    from flask import redirect

    from ..db import replica_used

    replica = replica_used()
    if replica is not None and request.method in ("GET", "HEAD"):
        replica.mark_down()
        return redirect(request.full_path if request.query_string else request.path, 307)
    log.warning("database unavailable on %s: %s", request.path, type(error).__name__)
    message = gettext("de gegevens zijn even niet bereikbaar; probeer het over een halve "
                      "minuut opnieuw")
    headers = {"Retry-After": "30", "Cache-Control": "no-store"}
    if request.path.startswith(("/api/", "/hsds/")):
        return jsonify({"error": {"param": None, "message": message}}), 503, headers
    try:
        body = render_template("errors/503.html")
    except Exception:  # the page itself may need the database (signed-in user): plain HTML
        body = ("<!doctype html><html lang=\"nl\"><meta charset=\"utf-8\">"
                "<title>Even niet beschikbaar</title><h1>Even niet beschikbaar</h1>"
                f"<p>{message.capitalize()}.</p></html>")
    return body, 503, headers
