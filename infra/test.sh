#!/usr/bin/env bash
# The test command: starts whatever the tests need (dockerd, RabbitMQ, Redis, the local test
# images), removes containers a previous run may have left, runs every test project, and ends
# with one line "N passed, N failed[, N skipped]" of the real totals.
#
# Usage: bash infra/test.sh [extra dotnet test arguments, e.g. --filter Category!=Slow]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash infra/services-up.sh || { echo "[test] services did not come up"; echo "0 passed, 1 failed"; exit 1; }
bash infra/cleanup-containers.sh messaging.instance=it-tests

log="$(mktemp -t messaging-test.XXXXXX.log)"
dotnet test Messaging.sln --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

bash infra/cleanup-containers.sh messaging.instance=it-tests

# Each test assembly prints: "Passed!  - Failed:     0, Passed:    21, Skipped:     0, Total:    21, ..."
read -r passed failed skipped < <(grep -E '(Passed|Failed)! +- Failed: ' "$log" | awk -F'[:,]' \
    '{ f += $2; p += $4; s += $6 } END { printf "%d %d %d\n", p, f, s }')
assemblies=$(grep -cE '(Passed|Failed)! +- Failed: ' "$log")
rm -f "$log"

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # The run broke outside any test (build error, crashed test host): count it as a failure.
    failed=1
fi
echo "[test] $assemblies test assemblies, dotnet test exit code $status"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$status" -eq 0 ]
