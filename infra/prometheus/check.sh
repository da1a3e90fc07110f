#!/usr/bin/env bash
# Checks the metrics of a running `./seedstream up` with a real Prometheus (Debian: apt-get install
# prometheus): scrapes it with infra/prometheus/prometheus.yml for a while, then asks Prometheus's
# HTTP API for the trainer's step and a Kafka consumer-lag series, and prints what it answered.
#   infra/prometheus/check.sh [METRICS_PORT (9404)] [SECONDS (30)]
set -euo pipefail
PORT="${1:-9404}"
WAIT="${2:-30}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d)"
trap 'kill "$PROM" 2>/dev/null || true; rm -rf "$WORK"' EXIT
sed "s/127.0.0.1:9404/127.0.0.1:${PORT}/" "$HERE/prometheus.yml" > "$WORK/prometheus.yml"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
    --web.listen-address=127.0.0.1:9099 >"$WORK/prometheus.log" 2>&1 &
PROM=$!
echo "prometheus scraping 127.0.0.1:${PORT} for ${WAIT} s..." >&2
sleep "$WAIT"
query() {
    curl -fsS --get "http://127.0.0.1:9099/api/v1/query" --data-urlencode "query=$1"
}
STEP="$(query 'seedstream_trainer_step')"
LAG="$(query 'sum(kafka_consumer_fetch_manager_records_lag)')"
UP="$(query 'up{job="seedstream"}')"
echo "up: $UP"
echo "trainer step: $STEP"
echo "consumer lag: $LAG"
if ! grep -q '"result":\[{' <<<"$STEP"; then
    echo "check.sh: Prometheus has no seedstream_trainer_step series (see $WORK/prometheus.log)" >&2
    exit 1
fi
echo "check.sh: Prometheus scraped seedstream and answered queries over its HTTP API" >&2
