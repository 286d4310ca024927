"""gunicorn settings shared by `make run`, the end-to-end tests and production (see docs/deployment.md)."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
# Flask-SocketIO needs exactly one worker per process; scale out with more processes sharing REDIS_URL.
worker_class = "gevent"
workers = 1
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "2000"))
timeout = 60
graceful_timeout = 10
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# Behind a reverse proxy, trust its X-Forwarded-* headers (set FORWARDED_ALLOW_IPS to the proxy's address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's runtime control socket lives at one path per user: two shops (or the tests and `make run`)
# on one machine would fight over it. Nothing here uses it.
control_socket_disable = True
