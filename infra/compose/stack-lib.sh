# shellcheck shell=bash
# Helpers of the scripts that operate a running compose stack (infra/backup.sh, infra/restore.sh). Source it after
# compose-lib.sh, don't run it.
#
# Which stack: the options -p PROJECT and --env-file FILE, parsed by stack_option; otherwise what compose itself
# would take: COMPOSE_PROJECT_NAME from the environment, else from the env file (default .env beside
# docker-compose.yml), else the folder's name. COMPOSE_FILE (compose's own variable) names other compose files.
# The compose tool: COMPOSE (e.g. "docker-compose"), else `docker compose` when the CLI has it, else docker-compose.

STACK_PROJECT="" STACK_ENV_FILE=""

# stack_option NAME VALUE: 0 when NAME was a stack option (VALUE taken), 1 otherwise.
stack_option() {
    case "$1" in
        -p|--project-name) STACK_PROJECT="$2" ;;
        --env-file) STACK_ENV_FILE="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")" ;;
        *) return 1 ;;
    esac
}

# The value of VAR in the env file, if any (compose's syntax: VAR=value, no quotes handled beyond plain ones).
env_file_value() {
    local file="${STACK_ENV_FILE:-$REPO_DIR/.env}"
    [ -f "$file" ] || return 0
    sed -n "s/^$1=//p" "$file" | tail -n 1 | sed "s/^[\"']//; s/[\"']\$//"
}

# Resolves STACK_PROJECT as compose would, lower-cased.
stack_resolve() {
    [ -n "$STACK_PROJECT" ] || STACK_PROJECT="${COMPOSE_PROJECT_NAME:-}"
    [ -n "$STACK_PROJECT" ] || STACK_PROJECT="$(env_file_value COMPOSE_PROJECT_NAME)"
    [ -n "$STACK_PROJECT" ] || STACK_PROJECT="$(basename "$REPO_DIR")"
    STACK_PROJECT="$(printf '%s' "$STACK_PROJECT" | tr '[:upper:]' '[:lower:]')"
    if [ -n "${COMPOSE:-}" ]; then
        read -r -a STACK_COMPOSE <<<"$COMPOSE"
    elif docker_answers && "$DOCKER" compose version >/dev/null 2>&1; then
        STACK_COMPOSE=("$DOCKER" compose)
    else
        STACK_COMPOSE=(docker-compose)
    fi
}

# compose ARGS...: the compose tool on this stack, run from the repository (so that docker-compose.override.yml is
# read as `docker compose up` there would).
stack_compose() {
    local args=(-p "$STACK_PROJECT")
    [ -z "$STACK_ENV_FILE" ] || args=(--env-file "$STACK_ENV_FILE" "${args[@]}")
    (cd "$REPO_DIR" && "${STACK_COMPOSE[@]}" "${args[@]}" "$@")
}

# The id of the stack's container of SERVICE (running or not), or nothing.
stack_container() {
    docker_cli ps -aq --filter "label=com.docker.compose.project=$STACK_PROJECT" \
        --filter "label=com.docker.compose.service=$1" | head -n 1
}

# The id of the stack's running container of SERVICE, or die.
stack_running_container() {
    local id
    id="$(docker_cli ps -q --filter "label=com.docker.compose.project=$STACK_PROJECT" \
        --filter "label=com.docker.compose.service=$1" | head -n 1)"
    [ -n "$id" ] || die "no running container of service $1 in project $STACK_PROJECT (wrong -p or --env-file?)"
    printf '%s\n' "$id"
}

# The stack's volume VOLUME (as named in docker-compose.yml), or nothing.
stack_volume() {
    docker_cli volume ls -q --filter "label=com.docker.compose.project=$STACK_PROJECT" \
        --filter "label=com.docker.compose.volume=$1" | head -n 1
}

# Waits until every container of the stack that has a health check is healthy: 0, or 1 after TIMEOUT seconds.
stack_wait_healthy() {
    local timeout="$1" start id state pending
    start="$(date +%s)"
    while :; do
        pending=""
        for id in $(docker_cli ps -aq --filter "label=com.docker.compose.project=$STACK_PROJECT"); do
            state="$(docker_cli inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo gone)"
            case "$state" in
                healthy|running) ;;
                *) pending="$pending $(docker_cli inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$id" 2>/dev/null):$state" ;;
            esac
        done
        [ -z "$pending" ] && return 0
        if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
            warn "not healthy after ${timeout}s:$pending"
            return 1
        fi
        sleep 2
    done
}
