"""Error pages and JSON error bodies in the user's language; a 500 never leaks internals."""

from typing import NoReturn

from flask import Flask, jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from lms.accounts.permissions import wants_json
from lms.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you "
                                "entered and try again.")),
    403: (_l("Not allowed"), _l("Your account does not have permission to open this page. If "
                                "you need it, ask your training administrator.")),
    404: (_l("Page not found"), _l("There is no page at this address. Check the link, or go "
                                   "back to the dashboard.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("File too large"), _l("The upload is larger than this portal accepts. Choose a "
                                   "smaller file.")),
    429: (_l("Too many attempts"), _l("Too many requests in a short time. Wait a few minutes and "
                                      "try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred on our side. The error "
                                         "has been logged; please try again later.")),
}


def abort_with_message(code: int, message: str) -> NoReturn:
    """Abort with an HTTP error whose page shows ``message`` (already translated)."""
    error = default_exceptions[code]()
    error.user_message = message  # type: ignore[attr-defined]
    raise error


def render_error(code: int, message: str | None = None):
    title, default_message = MESSAGES.get(code, MESSAGES[400])
    text = str(message or default_message)
    if wants_json():
        return jsonify(error=str(title), message=text), code
    return render_template("errors/error.html", code=code, title=title, message=text), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_error(400, _l("The form has expired or was sent without its security "
                                    "token. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        description = None
        # Our own aborts may carry a translated message; werkzeug's default texts are English.
        if getattr(error, "user_message", None):
            description = error.user_message
        return render_error(error.code, description)

    @app.errorhandler(InternalServerError)
    def _server_error(error):
        db.session.rollback()
        return render_error(500)
