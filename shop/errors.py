"""Error pages: a clear message in the shop's layout, never a debug page."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _wants_json() -> bool:
    return request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


def _render(status: int, title: str, message: str):
    if _wants_json():
        return {"error": title, "message": message}, status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _render(
            400,
            _("Your session expired"),
            _(
                "The form was open too long or cookies are blocked. "
                "Please go back, reload the page and try again."
            ),
        )

    @app.errorhandler(404)
    def not_found(error: HTTPException):
        return _render(404, _("Page not found"), _("We could not find this page. It may have been removed."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _render(error.code or 500, error.name, error.description or "")

    @app.errorhandler(500)
    def server_error(error: Exception):
        return _render(
            500, _("Something went wrong"), _("An unexpected error happened on our side. Please try again.")
        )
