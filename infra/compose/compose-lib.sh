# shellcheck shell=bash
# Helpers shared by infra/compose-images.sh and infra/compose-test.sh. Source it, don't run it.

case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
export PATH

COMPOSE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA_DIR="$(cd "$COMPOSE_DIR/.." && pwd)"
REPO_DIR="$(cd "$INFRA_DIR/.." && pwd)"
export DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"
# The classic builder (BuildKit/buildx is not available offline here). docker-compose 1.x
# builds through the Engine API itself unless COMPOSE_DOCKER_CLI_BUILD=1.
export DOCKER_BUILDKIT=0
export COMPOSE_DOCKER_CLI_BUILD="${COMPOSE_DOCKER_CLI_BUILD:-0}"

log()  { printf '[compose] %s\n' "$*"; }
warn() { printf '[compose] WARNING: %s\n' "$*" >&2; }
die()  { printf '[compose] ERROR: %s\n' "$*" >&2; exit 1; }

now_ms()    { date +%s%3N; }
elapsed_s() { local d=$(( $(now_ms) - $1 )); printf '%d.%03ds' $((d / 1000)) $((d % 1000)); }

# Debian's docker.io client (20.10, API 1.41) matches the engine here; another client
# (e.g. a newer one first in PATH) is used with the API version pinned.
if [ -x /usr/bin/docker ]; then
    DOCKER=/usr/bin/docker
elif command -v docker >/dev/null 2>&1; then
    DOCKER="$(command -v docker)"
    export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"
else
    DOCKER=""
fi
docker_cli() {
    [ -n "$DOCKER" ] || die "no docker CLI found (install docker.io or run infra/services-up.sh)"
    "$DOCKER" "$@"
}
docker_answers() { [ -n "$DOCKER" ] && "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
image_id() { docker_cli image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
image_label() { # image label -> value or empty
    docker_cli image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null | sed 's/^<no value>$//' || true
}

# apt-get install the packages whose command is missing: ensure_packages cmd:package ...
ensure_packages() {
    local spec missing=()
    for spec in "$@"; do
        command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}) and not root: install them first"
    log "apt-get install -y ${missing[*]}"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; } \
        >>"${TMPDIR:-/tmp}/messaging-compose-apt.log" 2>&1 \
        || { tail -n 20 "${TMPDIR:-/tmp}/messaging-compose-apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
}
