# shellcheck shell=bash
# Shared helpers for the infra/*.sh scripts. Source it, don't run it.
#
# Environment knobs (all optional):
#   MESSAGING_INFRA_STATE_DIR  logs + pid files        (default /tmp/messaging-infra)
#   DOCKER_HOST                engine endpoint         (default unix:///var/run/docker.sock)
#   DOCKERD_EXTRA_ARGS         extra flags for dockerd (word-split)
#   REDIS_PORT                 (default 6379)
#   RABBITMQ_AMQP_PORT         only used for readiness checks (default 5672)

# Daemons and admin tools live in sbin; make sure it is searched.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

# shellcheck disable=SC2034  # used by the scripts that source this file
INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="${MESSAGING_INFRA_STATE_DIR:-/tmp/messaging-infra}"
REDIS_PORT="${REDIS_PORT:-6379}"
RABBITMQ_AMQP_PORT="${RABBITMQ_AMQP_PORT:-5672}"
export DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"

log()  { printf '[infra] %s\n' "$*"; }
warn() { printf '[infra] WARNING: %s\n' "$*" >&2; }
die()  { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# Seconds since the epoch with millisecond precision, and "elapsed since $1".
now_ms()     { date +%s%3N; }
elapsed_s()  { local d=$(( $(now_ms) - $1 )); printf '%d.%03ds' $((d / 1000)) $((d % 1000)); }

ensure_state_dir() { mkdir -p "$STATE_DIR"; }

# --- docker CLI ---------------------------------------------------------------
# Debian's docker.io ships a 20.10 client in /usr/bin/docker that matches the
# 20.10 engine (API 1.41). /usr/local/bin/docker (28.x) comes first in PATH on
# these machines; it negotiates down to 1.41 by itself, but we prefer the
# matching client and pin the API version for any other client we fall back to.
pick_docker_cli() {
    if [ -x /usr/bin/docker ]; then
        DOCKER=/usr/bin/docker
    elif command -v docker >/dev/null 2>&1; then
        DOCKER="$(command -v docker)"
        export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"
    else
        DOCKER=""
    fi
}
pick_docker_cli

docker_cli() {
    [ -n "$DOCKER" ] || die "no docker CLI found (install docker.io or run infra/services-up.sh)"
    "$DOCKER" "$@"
}

docker_answers() {
    [ -n "$DOCKER" ] || return 1
    "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# --- processes ----------------------------------------------------------------
# PID 1 on these machines does not reap orphans, so a dead daemon can linger as
# a zombie: "kill -0" would still succeed. Look at the state field instead.
proc_state() { # prints R/S/D/Z/... or nothing if the pid does not exist
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    stat="${stat##*) }"
    printf '%s' "${stat%% *}"
}
proc_alive() {
    local st
    [ -n "${1:-}" ] || return 1
    st="$(proc_state "$1")"
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
proc_starttime() { # field 22 of /proc/PID/stat: start time in clock ticks since boot
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    stat="${stat##*) }"
    # after the comm field, field 3 (state) is word 1, so field 22 is word 20
    printf '%s' "$(printf '%s' "$stat" | cut -d' ' -f20)"
}
proc_comm() { cat "/proc/$1/comm" 2>/dev/null || true; }

# Live (non-zombie) pids whose comm is exactly $1.
pids_by_comm() {
    local p c
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        c="$(cat "/proc/$p/comm" 2>/dev/null)" || continue
        if [ "$c" = "$1" ] && proc_alive "$p"; then printf '%s\n' "$p"; fi
    done
}

# Pid files written by services-up.sh: "<pid> <starttime> <comm>" on one line.
# The start time guards against killing an unrelated process that reused the pid.
pidfile_path() { printf '%s/%s.pid' "$STATE_DIR" "$1"; }
write_pidfile() { # name pid
    printf '%s %s %s\n' "$2" "$(proc_starttime "$2")" "$(proc_comm "$2")" >"$(pidfile_path "$1")"
}
# Prints the pid recorded for $1 if that exact process is still alive.
owned_pid() {
    local f pid start comm
    f="$(pidfile_path "$1")"
    [ -r "$f" ] || return 1
    read -r pid start comm <"$f" || return 1
    proc_alive "$pid" || return 1
    [ "$(proc_starttime "$pid")" = "$start" ] || return 1
    [ "$(proc_comm "$pid")" = "$comm" ] || return 1
    printf '%s' "$pid"
}

# Start a daemon fully detached (own session, no stdin, output to a log file)
# so it survives the calling shell / job group. Sets STARTED_PID.
spawn_detached() { # logfile cmd...
    local logfile="$1"; shift
    # shellcheck disable=SC2094
    {
        printf '\n===== %s: %s\n' "$(date -u +%FT%TZ)" "$*"
    } >>"$logfile"
    # A daemon must not inherit any descriptor beyond stdio: 8/9 are the lock
    # fds of build-test-images.sh/services-up.sh, and a caller run under
    # `flock FILE cmd` (as a shared machine's lock around test runs) passes its lock on too; an
    # inherited lock would be held for the daemon's whole life.
    (
        for fd in /proc/self/fd/*; do
            fd="${fd##*/}"
            [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
        done
        exec setsid nohup "$@" </dev/null >>"$logfile" 2>&1
    ) &
    # shellcheck disable=SC2034  # read by the caller
    STARTED_PID=$!
}

# --- RabbitMQ node name ---------------------------------------------------------
# Node name: rabbit@<short hostname>, which must resolve (it does here: /etc/hosts
# maps "vm" to 127.0.0.1). If it doesn't, use rabbit@localhost instead of editing
# /etc/hosts.
if [ -n "${RABBITMQ_NODENAME:-}" ]; then
    RABBIT_NODE="$RABBITMQ_NODENAME"
elif getent hosts "$(hostname -s 2>/dev/null || hostname)" >/dev/null 2>&1; then
    RABBIT_NODE="rabbit@$(hostname -s 2>/dev/null || hostname)"
else
    RABBIT_NODE="rabbit@localhost"
    export RABBITMQ_NODENAME="$RABBIT_NODE"
fi

# --- TCP ----------------------------------------------------------------------
port_open() { # host port
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# --- packages -----------------------------------------------------------------
APT_UPDATED="${APT_UPDATED:-0}"
apt_install() {
    [ "$(id -u)" = 0 ] || die "packages missing ($*) and not root: install them first"
    command -v apt-get >/dev/null 2>&1 || die "packages missing ($*) and no apt-get"
    ensure_state_dir
    if [ "$APT_UPDATED" != 1 ]; then
        log "apt-get update (log: $STATE_DIR/apt.log)"
        apt-get update >>"$STATE_DIR/apt.log" 2>&1 || { tail -20 "$STATE_DIR/apt.log" >&2; die "apt-get update failed"; }
        APT_UPDATED=1
        export APT_UPDATED
    fi
    log "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >>"$STATE_DIR/apt.log" 2>&1 \
        || { tail -30 "$STATE_DIR/apt.log" >&2; die "apt-get install $* failed"; }
}

# Static busybox path (Debian: /bin/busybox from busybox-static; with usrmerge
# /bin -> /usr/bin). Prints nothing if there is no *static* busybox.
static_busybox() {
    local b
    for b in /bin/busybox /usr/bin/busybox; do
        [ -x "$b" ] || continue
        # ldd prints "not a dynamic executable" (exit 1) for static binaries
        if ! ldd "$b" >/dev/null 2>&1; then printf '%s' "$b"; return 0; fi
    done
    return 0
}

# ensure_packages "binary:package" ... — installs (one apt-get update, one
# apt-get install) the packages of all missing binaries.
ensure_packages() {
    local spec bin pkg missing=()
    for spec in "$@"; do
        bin="${spec%%:*}"; pkg="${spec#*:}"
        if [ "$bin" = busybox-static ]; then
            [ -n "$(static_busybox)" ] && continue
        elif command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || [ -x "/sbin/$bin" ]; then
            continue
        fi
        case " ${missing[*]:-} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "missing packages: ${missing[*]}"
    apt_install "${missing[@]}"
}
