#!/usr/bin/env bash
# Seeds the demo through the HTTP API once the worker answers /healthz: an organization, an admin user, a template on
# the built-in `process` provider and an active version whose preset wants 3 prebuilds. Run by scripts/run.sh; safe
# to run again (the ids of a finished seed are kept in <data dir>/demo.env and reused when they still exist).
# Usage: demo-seed.sh <base url> <data dir> [worker pid]
set -euo pipefail

base="${1%/}"
data_dir="$2"
worker_pid="${3:-}"
state="$data_dir/demo.env"

say() { echo "demo: $*" >&2; }

# The value of the first "<name>":"<value>" pair in compact JSON (the API writes no spaces).
json_string() { grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }

# Waits for /healthz (PostgreSQL and Temporal up), giving up when the worker exits or after 5 minutes.
for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "$base/healthz" 2>/dev/null; then
    break
  fi
  if [[ -n "$worker_pid" ]] && ! kill -0 "$worker_pid" 2>/dev/null; then
    exit 0
  fi
  sleep 1
done
curl -fsS -o /dev/null "$base/healthz" || { say "the worker did not become healthy at $base/healthz; no demo seeded"; exit 0; }

token="${LIFECYCLE_API_TOKEN:-}"
if [[ -z "$token" && -f "$data_dir/api-token" ]]; then
  token="$(cat "$data_dir/api-token")"
fi
[[ -n "$token" ]] || { say "no API token (set LIFECYCLE_API_TOKEN); no demo seeded"; exit 0; }
auth=(-H "Authorization: Bearer $token")

# api METHOD PATH [JSON]: prints the body; fails with the API's error on a non-2xx answer.
api() {
  local out status
  out="$(curl -sS -X "$1" "${auth[@]}" -H 'Content-Type: application/json' ${3:+--data "$3"} -w '\n%{http_code}' "$base$2")"
  status="${out##*$'\n'}"
  out="${out%$'\n'*}"
  if [[ "$status" != 2* ]]; then
    say "$1 $2 answered $status: $out"
    return 1
  fi
  printf '%s' "$out"
}

preset_id="" admin_id=""
if [[ -f "$state" ]]; then
  # shellcheck disable=SC1090
  source "$state"
  if ! api GET "/api/v1/presets/$preset_id" >/dev/null 2>&1; then
    preset_id=""
  fi
fi

if [[ -z "$preset_id" ]]; then
  suffix="$(date +%s)"
  org_id="$(api POST /api/v1/organizations "{\"name\":\"demo-$suffix\"}" | json_string id)"
  admin_id="$(api POST /api/v1/users "{\"username\":\"admin-$suffix\",\"email\":\"admin@example.com\",\"roles\":[\"owner\",\"template-admin\"],\"organization_ids\":[\"$org_id\"]}" | json_string id)"
  template_id="$(api POST /api/v1/templates "{\"organization_id\":\"$org_id\",\"name\":\"demo-dev\",\"display_name\":\"Demo dev box\",\"provider_name\":\"process\",\"default_ttl_ms\":300000,\"bootstrap_timeout_ms\":300000}" | json_string id)"
  version="$(api POST "/api/v1/templates/$template_id/versions" '{"name":"v1","message":"demo","activate":true,"presets":[{"name":"small","desired_instances":3,"parameters":{"size":"small"}}]}')"
  preset_id="$(printf '%s' "$version" | grep -o '"presets":\[{"id":"[^"]*"' | cut -d'"' -f6)"
  printf 'org_id=%s\nadmin_id=%s\ntemplate_id=%s\npreset_id=%s\n' "$org_id" "$admin_id" "$template_id" "$preset_id" > "$state"
  say "seeded organization demo-$suffix, admin user admin-$suffix, template demo-dev (process provider), version v1 with preset small wanting 3 prebuilds"
else
  say "demo already seeded (ids in $state)"
fi

say "API token: $token"
say "watch the prebuilds become ready:"
echo "  curl -s -H 'Authorization: Bearer $token' $base/api/v1/presets/$preset_id" >&2
# A ready prebuild is handed over (200, claimed_from_prebuild: true); with none ready yet a fresh workspace is made (201).
claim="curl -s -X POST -H 'Authorization: Bearer $token' -H 'Content-Type: application/json' $base/api/v1/workspaces/claim --data '{\"preset_id\":\"$preset_id\",\"owner_id\":\"$admin_id\",\"name\":\"my-workspace\"}'"
say "claim one:"
echo "  $claim" >&2
say "then watch it (its id is in the claim's answer): it stops itself 5 minutes after the claim (the template's default TTL):"
echo "  curl -s -H 'Authorization: Bearer $token' $base/api/v1/workspaces/<id>" >&2
