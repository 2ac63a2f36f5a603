#!/usr/bin/env bash
# The README's run command: set up what is missing, build, and run the Lifecycle worker on embedded defaults
# (a private PostgreSQL cluster and the temporal-dev server, both under .lifecycle/). Extra arguments go to the
# worker (e.g. --Lifecycle:Http:Url=http://127.0.0.1:9090). Stop it with Ctrl-C.
# Once the worker is healthy, scripts/demo-seed.sh seeds a demo template through the API and prints the API token and
# curl lines (LIFECYCLE_DEMO=0 skips it; it is off by default against a configured Temporal server).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

ensure_dotnet
ensure_postgres

configuration=Release
echo "run: building the worker ($configuration)" >&2
dotnet build src/Worker/Lifecycle.Worker.csproj -c "$configuration" --nologo -v quiet -clp:ErrorsOnly
if [[ -f src/ProcessProvider/Lifecycle.ProcessProvider.csproj ]]; then
  dotnet build src/ProcessProvider/Lifecycle.ProcessProvider.csproj -c "$configuration" --nologo -v quiet -clp:ErrorsOnly
fi
if [[ -f temporal-dev/temporal ]]; then
  echo "run: building temporal-dev (when stale)" >&2
  bash temporal-dev/temporal build
fi

worker=(dotnet "src/Worker/bin/$configuration/net10.0/Lifecycle.Worker.dll" "$@")
demo="${LIFECYCLE_DEMO:-}"
if [[ -z "$demo" ]]; then
  demo=$([[ -z "${LIFECYCLE_TEMPORAL_ADDRESS:-}" ]] && echo 1 || echo 0)
fi
if [[ "$demo" != 1 ]]; then
  exec "${worker[@]}"
fi

# Where the seed finds the worker: the same settings the worker reads (a --Lifecycle:Http:Url=… argument wins).
http_url="${LIFECYCLE_HTTP_URL:-http://127.0.0.1:8080}"
for argument in "$@"; do
  case "$argument" in
    --Lifecycle:Http:Url=*) http_url="${argument#*=}" ;;
  esac
done
data_dir="${LIFECYCLE_DATA_DIR:-.lifecycle}"

"${worker[@]}" &
worker_pid=$!
trap 'kill -TERM "$worker_pid" 2>/dev/null || true' INT TERM
bash scripts/demo-seed.sh "$http_url" "$data_dir" "$worker_pid" || echo "run: demo seed failed; the worker keeps running" >&2
status=0
wait "$worker_pid" || status=$?
# A trapped Ctrl-C interrupts the first wait; wait again for the worker's own clean shutdown.
if kill -0 "$worker_pid" 2>/dev/null; then
  wait "$worker_pid" || status=$?
fi
exit "$status"
