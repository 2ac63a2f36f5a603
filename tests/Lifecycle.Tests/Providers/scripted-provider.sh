#!/bin/bash
# A GARM external provider for tests that fails on demand and records every call.
#
# GARM_PROVIDER_CONFIG_FILE is its control file, a bash file sourced on every call (so a test may rewrite it
# between calls). Every setting is optional except STATE_DIR:
#
#   STATE_DIR=/abs/dir            where calls.log, stdin/, instances/ and counters live (created if missing)
#   CREATE_FAIL_BEFORE_ID=N       the first N CreateInstance calls exit 1 before any id exists (nothing is created)
#   CREATE_ERROR_STATUS=N         the next N creates make the instance but print it with status "error" and a fault
#   CREATE_FAIL_MESSAGE="..."     stderr of a failed create / the fault of an error-status create (default: quota exceeded)
#   DELETE_FAIL=N                 the first N DeleteInstance calls exit 1; -1 = every call fails
#   DELETE_FAIL_MESSAGE="..."     stderr of a failed delete (default: delete refused)
#   HANG="Cmd1 Cmd2"              these commands never finish: the script waits on a `sleep` child; "<script pid> <sleep pid>"
#                                 is appended to $STATE_DIR/hang.pids so a test can check both are gone after the kill
#   HOLD="Cmd1 Cmd2"              these commands (logged first) wait until the file $STATE_DIR/release exists, then go on
#                                 as usual: a test holds a build in flight and releases it
#   GARBAGE="Cmd1 Cmd2"           these commands print 300+ bytes of non-JSON to stdout and exit 0
#   EXIT_<Command>=N              this command exits N at once with "scripted exit N" on stderr (e.g. EXIT_GetInstance=30)
#
# Counts are per command since STATE_DIR was made, the current call included.
# calls.log has one line per call, tab-separated:
#   seq  command  GARM_INSTANCE_ID  GARM_POOL_ID  name-from-stdin  GARM_CONTROLLER_ID  GARM_INTERFACE_VERSION  GARM_POOL_EXTRASPECS
# and stdin/<seq>.json holds the stdin of call <seq> (CreateInstance only).
# Instances live in instances/<name> as "provider_id<TAB>pool_id<TAB>status"; the provider id is "sp-<name>".

PATH=/usr/bin:/bin
set -u

if [ -z "${GARM_PROVIDER_CONFIG_FILE:-}" ] || [ ! -f "$GARM_PROVIDER_CONFIG_FILE" ]; then
  echo "missing control file (GARM_PROVIDER_CONFIG_FILE=${GARM_PROVIDER_CONFIG_FILE:-})" >&2
  exit 1
fi
# shellcheck disable=SC1090
source "$GARM_PROVIDER_CONFIG_FILE"
: "${STATE_DIR:?STATE_DIR must be set in the control file}"
CREATE_FAIL_BEFORE_ID=${CREATE_FAIL_BEFORE_ID:-0}
CREATE_ERROR_STATUS=${CREATE_ERROR_STATUS:-0}
CREATE_FAIL_MESSAGE=${CREATE_FAIL_MESSAGE:-quota exceeded}
DELETE_FAIL=${DELETE_FAIL:-0}
DELETE_FAIL_MESSAGE=${DELETE_FAIL_MESSAGE:-delete refused}
HANG=${HANG:-}
HOLD=${HOLD:-}
GARBAGE=${GARBAGE:-}

COMMAND=${GARM_COMMAND:-}
INSTANCE_ID=${GARM_INSTANCE_ID:-}
POOL_ID=${GARM_POOL_ID:-}
mkdir -p "$STATE_DIR/stdin" "$STATE_DIR/instances"

STDIN=""
NAME=""
if [ "$COMMAND" = "CreateInstance" ]; then
  STDIN=$(cat)
  NAME=$(printf '%s' "$STDIN" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p' | head -n 1)
fi

# Record the call and count it, one call at a time.
exec 9>"$STATE_DIR/lock"
flock 9
SEQ=$(( $(cat "$STATE_DIR/seq" 2>/dev/null || echo 0) + 1 ))
echo "$SEQ" >"$STATE_DIR/seq"
COUNT=$(( $(cat "$STATE_DIR/count.$COMMAND" 2>/dev/null || echo 0) + 1 ))
echo "$COUNT" >"$STATE_DIR/count.$COMMAND"
[ -n "$STDIN" ] && printf '%s' "$STDIN" >"$STATE_DIR/stdin/$SEQ.json"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SEQ" "$COMMAND" "$INSTANCE_ID" "$POOL_ID" "$NAME" \
  "${GARM_CONTROLLER_ID:-}" "${GARM_INTERFACE_VERSION:-}" "${GARM_POOL_EXTRASPECS:-}" >>"$STATE_DIR/calls.log"
flock -u 9
exec 9>&-

has_word() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

if has_word "$HANG" "$COMMAND"; then
  sleep 3600 &
  echo "$$ $!" >>"$STATE_DIR/hang.pids"
  wait
  exit 1
fi

if has_word "$HOLD" "$COMMAND"; then
  while [ ! -f "$STATE_DIR/release" ]; do sleep 0.05; done
fi

if has_word "$GARBAGE" "$COMMAND"; then
  printf 'this is not JSON: the provider printed its debug log to stdout. '
  printf 'line 2 %.0s' $(seq 1 40)
  exit 0
fi

exit_var="EXIT_$COMMAND"
if [ -n "${!exit_var:-}" ]; then
  echo "scripted exit ${!exit_var}" >&2
  exit "${!exit_var}"
fi

instance_json() { # name provider_id status fault
  local fault=""
  [ -n "$4" ] && fault=",\"provider_fault\":\"$(printf '%s' "$4" | base64 -w0)\""
  printf '{"provider_id":"%s","name":"%s","os_type":"linux","os_name":"scripted","os_version":"1","os_arch":"amd64","addresses":[{"address":"10.0.0.1","type":"private"}],"status":"%s"%s}' \
    "$2" "$1" "$3" "$fault"
}

# Finds an instance by name or provider id; sets FOUND_NAME, FOUND_PROVIDER_ID, FOUND_POOL, FOUND_STATUS.
find_instance() {
  local id=$1 name=$1
  case "$id" in sp-*) name=${id#sp-} ;; esac
  [ -f "$STATE_DIR/instances/$name" ] || return 1
  IFS=$'\t' read -r FOUND_PROVIDER_ID FOUND_POOL FOUND_STATUS <"$STATE_DIR/instances/$name"
  FOUND_NAME=$name
}

case "$COMMAND" in
  CreateInstance)
    if [ -z "$NAME" ]; then echo "missing bootstrap params" >&2; exit 1; fi
    if [ "$COUNT" -le "$CREATE_FAIL_BEFORE_ID" ]; then
      echo "$CREATE_FAIL_MESSAGE" >&2
      exit 1
    fi
    if [ "$COUNT" -le $((CREATE_FAIL_BEFORE_ID + CREATE_ERROR_STATUS)) ]; then
      printf 'sp-%s\t%s\t%s\n' "$NAME" "$POOL_ID" "error" >"$STATE_DIR/instances/$NAME"
      instance_json "$NAME" "sp-$NAME" "error" "$CREATE_FAIL_MESSAGE"
      exit 0
    fi
    printf 'sp-%s\t%s\t%s\n' "$NAME" "$POOL_ID" "running" >"$STATE_DIR/instances/$NAME"
    instance_json "$NAME" "sp-$NAME" "running" ""
    ;;
  DeleteInstance)
    if [ "$DELETE_FAIL" -eq -1 ] || [ "$COUNT" -le "$DELETE_FAIL" ]; then
      echo "$DELETE_FAIL_MESSAGE" >&2
      exit 1
    fi
    if ! find_instance "$INSTANCE_ID"; then echo "instance $INSTANCE_ID not found" >&2; exit 30; fi
    rm -f "$STATE_DIR/instances/$FOUND_NAME"
    ;;
  GetInstance)
    if ! find_instance "$INSTANCE_ID"; then echo "instance $INSTANCE_ID not found" >&2; exit 30; fi
    instance_json "$FOUND_NAME" "$FOUND_PROVIDER_ID" "$FOUND_STATUS" ""
    ;;
  ListInstances)
    printf '['
    sep=""
    for f in "$STATE_DIR"/instances/*; do
      [ -f "$f" ] || continue
      IFS=$'\t' read -r pid pool status <"$f"
      [ "$pool" = "$POOL_ID" ] || continue
      printf '%s' "$sep"
      instance_json "$(basename "$f")" "$pid" "$status" ""
      sep=","
    done
    printf ']'
    ;;
  StartInstance | StopInstance)
    if ! find_instance "$INSTANCE_ID"; then echo "instance $INSTANCE_ID not found" >&2; exit 30; fi
    status=running
    [ "$COMMAND" = "StopInstance" ] && status=stopped
    printf '%s\t%s\t%s\n' "$FOUND_PROVIDER_ID" "$FOUND_POOL" "$status" >"$STATE_DIR/instances/$FOUND_NAME"
    ;;
  RemoveAllInstances)
    for f in "$STATE_DIR"/instances/*; do
      [ -f "$f" ] || continue
      IFS=$'\t' read -r _ pool _ <"$f"
      if [ -z "$POOL_ID" ] || [ "$pool" = "$POOL_ID" ]; then rm -f "$f"; fi
    done
    ;;
  GetVersion)
    echo "scripted-provider v1"
    ;;
  *)
    echo "unknown GARM_COMMAND: $COMMAND" >&2
    exit 1
    ;;
esac
