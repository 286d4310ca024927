#!/usr/bin/env bash
# Prepare the database and serve the shop: what `make run` and the end-to-end tests both execute.
#   1. apply migrations (SQLite at instance/shop.db unless DATABASE_URL is set)
#   2. load the demo catalog the first time (when the catalog is empty)
#   3. serve with gunicorn + gevent, as in production
# Ctrl-C stops the server (exec: the signal goes straight to gunicorn).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export FLASK_APP=app
export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-5000}"

"$VENV/bin/flask" db upgrade
"$VENV/bin/flask" shop load-demo

echo "Serving the shop at http://${HOST}:${PORT}/  (Ctrl-C to stop)"
exec "$VENV/bin/gunicorn" -c gunicorn.conf.py wsgi:app
