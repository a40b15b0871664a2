#!/usr/bin/env bash
# End-to-end test of the container packaging: docker-compose.yml, Dockerfile.api,
# Dockerfile.worker, Dockerfile.audit, Dockerfile.edge and .env.example, on this machine's Docker engine.
#
# This script prepares the machine; the checks are the xunit project tests/Messaging.ComposeTests
# (Category=Compose, 77 tests, the default filter), which brings the stack up, checks it from outside and tears it down.
# The same project holds the rolling upgrade (Category=Upgrade, docs/FAULTS.md scenario 12, a few minutes more):
#   bash infra/compose-test.sh --filter Category=Upgrade --logger "console;verbosity=detailed"
# and backup + restore (Category=Backup, BackupRestoreTests, about 3 minutes more):
#   bash infra/compose-test.sh --filter Category=Backup
# What it does:
#   1. installs the compose tool when none is there (Debian's docker-compose 1.29);
#   2. makes sure the images exist: infra/build-test-images.sh (nginx:alpine) and
#      infra/compose-images.sh (stand-ins of the public base images + NuGet feed), unless --no-images;
#   3. runs `dotnet test tests/Messaging.ComposeTests` with the remaining arguments (test.sh adds
#      --logger trx and its results folder), each test listed as Passed/Failed.
# The tests: fresh passwords (infra/compose-secrets.sh), an env file from .env.example with test values (random token, free
# host ports, a service port block away from the host suites', the socket's real group,
# MESSAGING_INSTANCE=compose-test, NUGET_SOURCE=/nuget-feed); `config -q`; `up -d --build` as project
# messaging-compose-test; every service healthy; the README's request through the API on its
# published port (202, running, port in range, the page, labels and network, the audit trail's
# entries, DELETE); the isolation of the api, worker and audit containers; the broker's management UI
# and Redis's append-only file; each process on its own broker and Redis user, refused what is not its job
# (ProcessUsersTests); the edge (EdgeTests): a verified HTTPS request by name through Caddy, services still unable to
# reach each other, the admin socket mounted only by the two edge containers, no other port facing the network. Always (fixture disposal) `down -v` and removal of the containers
# labelled messaging.instance=compose-test.
#
# Usage: infra/compose-test.sh [--no-images] [--keep] [dotnet test arguments...]
#   --no-images  do not run the image scripts (the images must exist)
#   --keep       leave the stack running for a look (the tear-down command is written to
#                $MESSAGING_COMPOSE_LOGS/compose-test-keep.txt)
# Environment (read by the tests): COMPOSE_TEST_PROJECT (default messaging-compose-test),
# COMPOSE_TEST_COMPOSE (the compose command; default `docker compose` when it works, else
# `docker-compose`), COMPOSE_TEST_NUGET_SOURCE (default /nuget-feed; empty = restore from nuget.org),
# COMPOSE_TEST_TIMEOUT (seconds to wait for healthy services, default 240), MESSAGING_COMPOSE_LOGS
# (default /tmp/messaging-compose: the env file, the compose logs).
set -uo pipefail
# shellcheck source=compose/compose-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/compose/compose-lib.sh"

DO_IMAGES=1
TEST_ARGS=()
for arg in "$@"; do
    case "$arg" in
        --no-images) DO_IMAGES=0 ;;
        --keep) export COMPOSE_TEST_KEEP=1 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) TEST_ARGS+=("$arg") ;;
    esac
done
LOG_DIR="${MESSAGING_COMPOSE_LOGS:-/tmp/messaging-compose}"
mkdir -p "$LOG_DIR"

docker_answers || die "docker engine not answering on $DOCKER_HOST (run infra/services-up.sh first)"
if [ -z "${COMPOSE_TEST_COMPOSE:-}" ] && ! "$DOCKER" compose version >/dev/null 2>&1; then
    ensure_packages docker-compose:docker-compose
fi

if [ "$DO_IMAGES" = 1 ]; then
    t0="$(now_ms)"
    # A failure here is reported by the tests too (the images test, then the bring-up): they still run,
    # so that the totals say what broke.
    if bash "$INFRA_DIR/build-test-images.sh" >"$LOG_DIR/compose-test-images.log" 2>&1 \
        && bash "$INFRA_DIR/compose-images.sh" >>"$LOG_DIR/compose-test-images.log" 2>&1; then
        log "stand-in images and NuGet feed ready ($(elapsed_s "$t0"))"
    else
        tail -n 20 "$LOG_DIR/compose-test-images.log"
        warn "the image scripts failed (log $LOG_DIR/compose-test-images.log)"
    fi
fi

cd "$REPO_DIR" || die "no repository at $REPO_DIR"
# Without a filter: the compose tests, not the rolling upgrade (Category=Upgrade, minutes more; docs/FAULTS.md scenario 12).
case " ${TEST_ARGS[*]} " in
    *" --filter "*|*" --filter="*) ;;
    *) TEST_ARGS+=(--filter Category=Compose) ;;
esac
exec dotnet test tests/Messaging.ComposeTests --nologo --logger "console;verbosity=normal" "${TEST_ARGS[@]}"
