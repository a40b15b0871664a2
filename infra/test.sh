#!/usr/bin/env bash
# The test command: starts whatever the tests need (dockerd, RabbitMQ, Redis, the local test
# images), removes containers a previous run may have left, runs every test project, and ends
# with one line "N passed, N failed[, N skipped]" of the real totals.
#
# Two runs, one after the other (never side by side): first the whole solution without the fault
# tests (Category!=Fault), then the fast subset of tests/Messaging.FaultTests
# (Category=Fault&Speed=Fast), which restarts RabbitMQ and so must not overlap the other projects.
# The full fault set is infra/fault-tests.sh (docs/FAULTS.md).
#
# Usage: bash infra/test.sh [extra dotnet test arguments, e.g. --filter Category!=Slow]
#        (a --filter given here is combined with each run's own filter)
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

log="$(mktemp -t messaging-test.XXXXXX.log)"
dotnet test Messaging.sln --nologo --filter "$(with_user_filter 'Category!=Fault')" "${args[@]}" 2>&1 | tee "$log"
main_status=${PIPESTATUS[0]}

bash infra/cleanup-containers.sh messaging.instance=it-tests

# After the main run, alone: the fast fault tests (kill -9, broker restart, FLUSHALL, engine away, SIGSTOP).
dotnet test tests/Messaging.FaultTests --nologo --filter "$(with_user_filter 'Category=Fault&Speed=Fast')" "${args[@]}" 2>&1 | tee -a "$log"
fault_status=${PIPESTATUS[0]}
status=$(( main_status != 0 ? main_status : fault_status ))

bash infra/cleanup-containers.sh messaging.instance=fault-tests

# Last, the container packaging end to end: images from Dockerfile.*, the compose stack on local
# stand-ins of the public base images, the README's request through it (infra/compose-test.sh, which
# ends with its own "N passed, N failed"). MESSAGING_SKIP_COMPOSE_TEST=1 leaves it out (it takes minutes).
compose_passed=0 compose_failed=0 compose_status=0
if [ "${MESSAGING_SKIP_COMPOSE_TEST:-0}" != 1 ]; then
    compose_log="$(mktemp -t messaging-compose.XXXXXX.log)"
    bash infra/compose-test.sh 2>&1 | tee "$compose_log"
    compose_status=${PIPESTATUS[0]}
    read -r compose_passed compose_failed < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$compose_log" | tail -n 1 | awk '{ print $1, $3 }')
    rm -f "$compose_log"
    compose_passed=${compose_passed:-0}
    compose_failed=${compose_failed:-0}
    if [ "$compose_status" -ne 0 ] && [ "$compose_failed" -eq 0 ]; then compose_failed=1; fi
fi

# Each test assembly prints: "Passed!  - Failed:     0, Passed:    21, Skipped:     0, Total:    21, ..."
read -r passed failed skipped < <(grep -E '(Passed|Failed)! +- Failed: ' "$log" | awk -F'[:,]' \
    '{ f += $2; p += $4; s += $6 } END { printf "%d %d %d\n", p, f, s }')
assemblies=$(grep -cE '(Passed|Failed)! +- Failed: ' "$log")
rm -f "$log"

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then # status: the two dotnet test runs
    # The run broke outside any test (build error, crashed test host): count it as a failure.
    failed=1
fi
echo "[test] $assemblies test assemblies, dotnet test exit codes $main_status (main run) and $fault_status (fault tests);" \
     "compose test: $compose_passed passed, $compose_failed failed (exit $compose_status)"
passed=$((passed + compose_passed))
failed=$((failed + compose_failed))
[ "$status" -ne 0 ] || status=$compose_status
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$status" -eq 0 ]
