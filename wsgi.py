"""Production entry point: `gunicorn -c gunicorn.conf.py wsgi:app`.

gevent must patch the standard library before anything else is imported, or blocking calls (database,
Stripe, SMTP, Redis) stall every connection and the Redis message queue refuses to start.
"""

from gevent import monkey

monkey.patch_all()

from app import create_app  # noqa: E402  (must come after monkey-patching)

app = create_app()
