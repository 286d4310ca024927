#!/usr/bin/env bash
# Prepare the database and serve the shop: what `make run` and the end-to-end tests both execute.
#   1. apply migrations (SQLite at instance/shop.db unless DATABASE_URL is set)
#   2. load the demo catalog the first time (when the catalog is empty)
#   3. serve with gunicorn + gevent, as in production
# Ctrl-C (or SIGTERM) stops everything this script started, gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export FLASK_APP=app
export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-5000}"

"$VENV/bin/flask" db upgrade
"$VENV/bin/flask" shop load-demo

children=()
stop() {
    trap - INT TERM
    # SIGTERM is gunicorn's graceful stop; a terminal's Ctrl-C would otherwise reach every process at once.
    [ ${#children[@]} -eq 0 ] || kill -TERM "${children[@]}" 2>/dev/null || true
    wait
    exit 0
}
trap stop INT TERM

# setsid: the children get their own process group, so only this script receives the terminal's Ctrl-C.
setsid "$VENV/bin/gunicorn" -c gunicorn.conf.py wsgi:app &
children+=("$!")

echo "Serving the shop at http://${HOST}:${PORT}/  (Ctrl-C to stop)"
wait -n
status=$?
echo "A server process exited (status $status); stopping." >&2
stop
