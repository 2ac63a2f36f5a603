#!/usr/bin/env bash
# The README's run command: set up what is missing, build, and run the Lifecycle worker on embedded defaults
# (a private PostgreSQL cluster and the temporal-dev server, both under .lifecycle/). Extra arguments go to the
# worker (e.g. --Lifecycle:Http:Url=http://127.0.0.1:9090). Stop it with Ctrl-C.
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

exec dotnet "src/Worker/bin/$configuration/net10.0/Lifecycle.Worker.dll" "$@"
