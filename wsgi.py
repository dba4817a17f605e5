"""The one entry for gunicorn and ``flask --app wsgi``: ``gunicorn -w 4 wsgi:app``."""

from lms import create_app

app = create_app()
