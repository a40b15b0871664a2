#!/usr/bin/env bash
# Force-remove every container (running or not) that carries a label, and
# nothing else (no images, no networks, no volumes).
#
# Usage: infra/cleanup-containers.sh [LABEL]
#   LABEL is "key=value" or just "key"; default messaging.instance=it-tests.
# Exit 0 also when the engine is not running (nothing to clean then; a warning
# is printed).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LABEL="${1:-messaging.instance=it-tests}"
[ -n "$LABEL" ] || die "empty label"

if ! docker_answers; then
    warn "docker engine not answering on $DOCKER_HOST; nothing cleaned"
    exit 0
fi

mapfile -t ids < <(docker_cli ps -aq --no-trunc --filter "label=$LABEL")
if [ "${#ids[@]}" -eq 0 ]; then
    log "cleanup: no containers with label $LABEL"
    exit 0
fi
log "cleanup: removing ${#ids[@]} container(s) with label $LABEL"
# Containers may vanish concurrently (e.g. --rm ones); only fail if some are still there.
docker_cli rm -f "${ids[@]}" >/dev/null 2>&1 || true
mapfile -t left < <(docker_cli ps -aq --filter "label=$LABEL")
if [ "${#left[@]}" -gt 0 ]; then
    die "cleanup: could not remove: ${left[*]}"
fi
log "cleanup: done"
