#!/usr/bin/env bash
# Ensure Caddy (Debian's caddy, the edge proxy) runs as a daemon whose only listener is its admin endpoint on a
# unix socket; the routes come later from the edge host (src/Messaging.Edge) through that socket. Idempotent: a
# Caddy already answering on the socket is left alone. Called by infra/services-up.sh, and by the edge tests to
# bring Caddy back after they killed it.
#
#   admin socket  $STATE_DIR/caddy/admin.sock   (CADDY_ADMIN_SOCKET)
#   log           $STATE_DIR/caddy.log, pid file $STATE_DIR/caddy.pid (infra/services-down.sh stops it)
#
# Caddy keeps no configuration across restarts (persist off): a restarted Caddy serves nothing until the edge
# host's next sync, which is what the restart test checks.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_state_dir
ensure_packages caddy:caddy curl:curl
CADDY_DIR="$STATE_DIR/caddy"
CADDY_ADMIN_SOCKET="${CADDY_ADMIN_SOCKET:-$CADDY_DIR/admin.sock}"

caddy_answers() { curl -sf -o /dev/null --max-time 2 --unix-socket "$CADDY_ADMIN_SOCKET" http://localhost/config/; }

if caddy_answers; then
    log "caddy: already answering on unix:$CADDY_ADMIN_SOCKET"
    exit 0
fi
mkdir -p "$CADDY_DIR/xdg"
# A socket file left by a killed Caddy would make the new one fail to listen.
rm -f "$CADDY_ADMIN_SOCKET"
cat >"$CADDY_DIR/initial.json" <<JSON
{"admin":{"listen":"unix/$CADDY_ADMIN_SOCKET","origins":["localhost"],"config":{"persist":false}}}
JSON
t0="$(now_ms)"
XDG_DATA_HOME="$CADDY_DIR/xdg" XDG_CONFIG_HOME="$CADDY_DIR/xdg" \
    spawn_detached "$STATE_DIR/caddy.log" caddy run --config "$CADDY_DIR/initial.json"
for _ in $(seq 80); do
    caddy_answers && break
    proc_alive "$STARTED_PID" || { tail -n 20 "$STATE_DIR/caddy.log" >&2; die "caddy exited during start-up (see $STATE_DIR/caddy.log)"; }
    sleep 0.25
done
caddy_answers || die "caddy does not answer on unix:$CADDY_ADMIN_SOCKET (see $STATE_DIR/caddy.log)"
write_pidfile caddy "$STARTED_PID"
log "caddy: up after $(elapsed_s "$t0") (pid $STARTED_PID, admin unix:$CADDY_ADMIN_SOCKET)"
