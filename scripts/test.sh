#!/usr/bin/env bash
# The README's test command: set up what is missing, build the solution once, run every test project, and end with
# one line "N passed, M failed[, K skipped]" counted from every project's TRX results. Exits non-zero when a test
# failed, a test project did not run to the end, or no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

ensure_dotnet
ensure_postgres

configuration=Release
results="$PWD/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

summary() {
  echo "$1 passed, $2 failed${3:+, $3 skipped}"
}

echo "test: building Lifecycle.sln ($configuration)" >&2
if ! dotnet build Lifecycle.sln -c "$configuration" --nologo -v quiet -clp:ErrorsOnly; then
  echo "test: the build failed" >&2
  summary 0 0
  exit 1
fi
if [[ -f temporal-dev/temporal ]]; then
  echo "test: building temporal-dev (when stale)" >&2
  if ! bash temporal-dev/temporal build; then
    echo "test: temporal-dev failed to build" >&2
    summary 0 0
    exit 1
  fi
fi

echo "test: running every test project" >&2
# One project at a time, each with its own TRX file: the default TRX names are timestamps, which collide when two
# projects finish in the same second.
test_exit=0
for project in $(dotnet sln Lifecycle.sln list 2>/dev/null | grep -E '\.csproj$'); do
  grep -q '<IsTestProject>true</IsTestProject>' "$project" || continue
  name="$(basename "$project" .csproj)"
  dotnet test "$project" -c "$configuration" --no-build --nologo --logger "trx;LogFileName=$name.trx" \
    --results-directory "$results" </dev/null || test_exit=1
done

# Test clusters belong to their test process; if one was killed, stop its server and remove its files.
if bindir="$(postgres_bindir)"; then
  for dir in /tmp/lifecycle-pg-test-*; do
    [[ -d "$dir" ]] || continue
    pid="${dir##*-}"
    if ! kill -0 "$pid" 2>/dev/null; then
      if [[ -f "$dir/data/postmaster.pid" ]]; then
        if [[ "$(id -u)" -eq 0 ]]; then
          runuser -u postgres -- "$bindir/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 || true
        else
          "$bindir/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 || true
        fi
      fi
      rm -rf "$dir"
    fi
  done
fi

passed=0 failed=0 skipped=0 total=0 files=0
counter() {
  sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$2"
}
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  files=$((files + 1))
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  total=$((total + $(counter total "$counters")))
  passed=$((passed + $(counter passed "$counters")))
  failed=$((failed + $(counter failed "$counters") + $(counter error "$counters") + $(counter timeout "$counters") + $(counter aborted "$counters")))
  # xunit's skipped tests are counted in total but not executed.
  skipped=$((skipped + $(counter total "$counters") - $(counter executed "$counters")))
done

projects="$(grep -l '<IsTestProject>true</IsTestProject>' $(dotnet sln Lifecycle.sln list 2>/dev/null | grep -E '\.csproj$') 2>/dev/null | wc -l)"
status=0
if (( files < projects )); then
  echo "test: $((projects - files)) of $projects test projects produced no results (crashed or did not start)" >&2
  status=1
fi
if (( test_exit != 0 )); then
  status=1
fi
if (( failed > 0 )); then
  status=1
fi
if (( total == 0 )); then
  echo "test: no test ran" >&2
  status=1
fi

if (( skipped > 0 )); then
  summary "$passed" "$failed" "$skipped"
else
  summary "$passed" "$failed"
fi
exit "$status"
