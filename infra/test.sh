#!/usr/bin/env bash
# The test command: starts whatever the tests need (dockerd, RabbitMQ, Redis, the local test
# images), removes containers a previous run may have left, runs every test project, and ends
# with one line "N passed, N failed[, N skipped]" of the real totals.
#
# Three steps: first the whole solution without the fault, compose and swarm tests
# (Category!=Fault&Category!=Compose&Category!=Swarm; the integration tests beside the other projects), then the swarm
# end-to-end tests (Category=Swarm, on a one-node swarm their fixture makes and leaves), then the fast subset of
# tests/Messaging.FaultTests (Category=Fault&Speed=Fast), which restarts RabbitMQ and so must not
# overlap the other projects, beside the compose tests (infra/compose-test.sh; the stack has its own broker). The
# totals come from the TRX files of all of them. The full fault set is infra/fault-tests.sh (docs/FAULTS.md).
#
# Usage: bash infra/test.sh [extra dotnet test arguments, e.g. --filter Requires!=Docker]
#        (a --filter given here is combined with each run's own filter)
# Exits non-zero when a test failed or a run broke (build error, crashed test host).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash infra/services-up.sh || { echo "[test] services did not come up"; echo "0 passed, 1 failed"; exit 1; }
bash infra/cleanup-containers.sh messaging.instance=it-tests
bash infra/cleanup-containers.sh messaging.instance=fault-tests

user_filter=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --filter) user_filter="${2:-}"; shift 2 || shift ;;
        --filter=*) user_filter="${1#--filter=}"; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
with_user_filter() { # own filter -> combined with the caller's
    if [ -n "$user_filter" ]; then printf '(%s)&(%s)' "$user_filter" "$1"; else printf '%s' "$1"; fi
}

# Every run writes TRX files (--logger trx) into a folder of its own under $results; the totals are
# summed from them (infra/trx-totals.sh), never from console text.
results="$(mktemp -d -t messaging-test.XXXXXX)"
run() { # NAME dotnet-test-arguments...
    local name="$1"; shift
    dotnet test "$@" --nologo --logger trx --results-directory "$results/$name" "${args[@]}"
}

# The main run in two halves side by side, after one build: the integration tests (minutes, mostly waiting on the
# engine and the broker) and every other project (unit, API and worker tests on in-memory harnesses and their own
# Redis key prefixes; nothing of theirs touches the integration tests' containers, queues or ports). The second
# half's console output is printed when it is done, so the two do not interleave. The compose project stays out of
# it whatever its categories (the rolling upgrade, backup and restore): only infra/compose-test.sh prepares its stack.
main_status=0
if dotnet build Messaging.sln --nologo -v q -clp:ErrorsOnly "${args[@]}"; then
    others_log="$results/others.log"
    run others Messaging.sln --no-build \
        --filter "$(with_user_filter 'Category!=Fault&Category!=Compose&FullyQualifiedName!~Messaging.IntegrationTests&FullyQualifiedName!~Messaging.ComposeTests')" \
        >"$others_log" 2>&1 &
    others=$!
    # Left out here, each with a command of its own (README, "Test it"): the swarm tests (below), the two-node swarm
    # fault scenarios (Category=SwarmFault, docs/FAULTS.md), the dashboard's screenshots and measurements, and the long
    # scenarios marked Category=Extended.
    run integration tests/Messaging.IntegrationTests --no-build --filter "$(with_user_filter 'Category!=Fault&Category!=Compose&Category!=Screenshots&Category!=DashboardMeasurements&Category!=Swarm&Category!=SwarmFault&Category!=Extended')"
    integration_status=$?
    wait "$others"
    others_status=$?
    cat "$others_log"
    [ "$integration_status" -eq 0 ] && [ "$others_status" -eq 0 ] || main_status=1
else
    echo "[test] the build failed"
    main_status=1
fi

bash infra/cleanup-containers.sh messaging.instance=it-tests

# Then alone, on a one-node swarm (Scheduler:Mode=swarm): the swarm end-to-end tests (79 s here). Their fixture makes
# the swarm on the shared engine and leaves it at the end (the engine ends inactive, as found); they cannot run beside
# the main run, whose worker takes the same queues. README, "Services on Docker Swarm".
run swarm tests/Messaging.IntegrationTests --no-build --filter "$(with_user_filter 'Category=Swarm')"
swarm_status=$?
docker swarm leave --force >/dev/null 2>&1 || true # only if a crashed run left one (the fixture leaves it itself)

# Last, two runs side by side (they share nothing but the engine and the CPU):
# - the fast fault tests (kill -9, broker restart, FLUSHALL, engine away, SIGTERM), after the main run because they
#   restart the host's RabbitMQ and so must not overlap the other projects;
# - the container packaging end to end: images from Dockerfile.*, the compose stack on local stand-ins of the public
#   base images with its own RabbitMQ and Redis (so the broker restart does not touch it), the README's request
#   through it (infra/compose-test.sh runs tests/Messaging.ComposeTests). MESSAGING_SKIP_COMPOSE_TEST=1 leaves it out
#   (it takes minutes). Its console output is printed when both are done, so the two do not interleave.
compose_status=skipped
if [ "${MESSAGING_SKIP_COMPOSE_TEST:-0}" != 1 ]; then
    compose_log="$results/compose.log"
    # --no-build: the solution is built; two builds at once would write the same obj/ folders.
    bash infra/compose-test.sh --filter "$(with_user_filter 'Category=Compose')" --no-build \
        --logger trx --results-directory "$results/compose" "${args[@]}" >"$compose_log" 2>&1 &
    compose=$!
fi

run faults tests/Messaging.FaultTests --no-build --filter "$(with_user_filter 'Category=Fault&Speed=Fast')"
fault_status=$?

bash infra/cleanup-containers.sh messaging.instance=fault-tests
# The fault harness's own services network (its workers make it); refused, and left, while a container uses it.
docker network rm messaging-faults-net >/dev/null 2>&1 || true

if [ -n "${compose:-}" ]; then
    wait "$compose"
    compose_status=$?
    cat "$compose_log"
fi

read -r passed failed skipped files < <(bash infra/trx-totals.sh "$results")
status=0
for code in "$main_status" "$swarm_status" "$fault_status" "$compose_status"; do
    [ "$code" = skipped ] || [ "$code" -eq 0 ] || status=1
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # A run broke outside any test (build error, crashed test host, failed clean-up): count it as a failure.
    failed=1
fi
echo "[test] $files TRX files in $results; dotnet test exit codes: $main_status (main run), $swarm_status (swarm)," \
     "$fault_status (fault tests), $compose_status (compose tests)"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
