#!/usr/bin/env bash
# Prepare the database and serve the shop: what `make run` and the end-to-end tests both execute.
#   1. apply migrations (SQLite at instance/shop.db unless DATABASE_URL is set)
#   2. load the demo catalog the first time (when the catalog is empty)
#   3. without STRIPE_SECRET_KEY: start localstripe (fake Stripe) and register the webhook with it
#   4. serve with gunicorn + gevent, as in production
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

# Payments: without Stripe keys, a local fake Stripe (localstripe, a separate GPL process never imported by
# the shop) serves the API and Stripe.js, and delivers signed webhooks to this shop.
if [ -z "${STRIPE_SECRET_KEY:-}" ]; then
    LOCALSTRIPE_PORT="${LOCALSTRIPE_PORT:-8420}"
    export STRIPE_API_BASE="http://127.0.0.1:${LOCALSTRIPE_PORT}"
    export STRIPE_SECRET_KEY="sk_test_localstripe" STRIPE_PUBLISHABLE_KEY="pk_test_localstripe"
    export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-whsec_localstripe}"
    # LOCALSTRIPE_ARGS=--from-scratch forgets earlier payments (the tests); by default they are kept.
    # shellcheck disable=SC2086
    setsid "$VENV/bin/localstripe" --port "$LOCALSTRIPE_PORT" ${LOCALSTRIPE_ARGS:-} &
    children+=("$!")
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "$STRIPE_API_BASE/js.stripe.com/v3/" 2>/dev/null && break
        sleep 0.1
    done
    # Registrations live in localstripe's memory: made again at every start.
    curl -fsS -X POST "$STRIPE_API_BASE/_config/webhooks/shop" -H "Content-Type: application/json" \
        -d "{\"url\": \"http://${HOST}:${PORT}/payments/webhook\", \"secret\": \"${STRIPE_WEBHOOK_SECRET}\",
             \"events\": [\"payment_intent.succeeded\", \"payment_intent.payment_failed\"]}" \
        || { echo "localstripe did not start on port $LOCALSTRIPE_PORT" >&2; stop; }
    echo "Payments: localstripe at $STRIPE_API_BASE (test card 4242 4242 4242 4242)"
fi

# setsid: the children get their own process group, so only this script receives the terminal's Ctrl-C.
setsid "$VENV/bin/gunicorn" -c gunicorn.conf.py wsgi:app &
children+=("$!")

echo "Serving the shop at http://${HOST}:${PORT}/  (Ctrl-C to stop)"
wait -n
status=$?
echo "A server process exited (status $status); stopping." >&2
stop
