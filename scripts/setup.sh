# Shared set-up for scripts/run.sh and scripts/test.sh (sourced, not run): checks the .NET SDK and installs
# PostgreSQL's server programs from Debian's packages when they are missing. Safe under CI (no prompts, no stdin).

die() {
  echo "$*" >&2
  exit 1
}

# The directory holding initdb and pg_ctl: pg_config's bindir, else the newest /usr/lib/postgresql/*/bin.
postgres_bindir() {
  local dir
  dir="$(pg_config --bindir 2>/dev/null || true)"
  if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
    echo "$dir"
    return 0
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 || die "the .NET SDK is missing: install .NET 10 (https://dot.net) and run this again"
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

ensure_postgres() {
  if postgres_bindir >/dev/null; then
    return 0
  fi
  local as_root=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "PostgreSQL is missing and this user cannot install it: run 'apt-get install -y postgresql' as root, or set LIFECYCLE_DATABASE_URL"
    as_root=(sudo)
  fi
  echo "setup: installing PostgreSQL (apt-get install postgresql)" >&2
  # Lifecycle runs its own private clusters; do not let the package create and start a system-wide one.
  if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
    "${as_root[@]}" mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | "${as_root[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null \
    || die "setup: apt-get update failed"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql </dev/null >/dev/null \
    || die "setup: apt-get install postgresql failed"
  postgres_bindir >/dev/null || die "setup: PostgreSQL's initdb and pg_ctl are still missing after apt-get install postgresql"
}
