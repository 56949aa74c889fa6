"""The WSGI entry point for gunicorn."""

from kommune_ikt.app import create_app

app = create_app()
