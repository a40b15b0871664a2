#!/usr/bin/env bash
# The full fault test set (tests/Messaging.FaultTests, every [Trait("Category", "Fault")] test):
# kill -9 of the worker, RabbitMQ stop_app/start_app, Redis restart and FLUSHALL, the engine going
# away (through a socket proxy, dockerd itself is never stopped), SIGSTOP past the lock TTL, two
# workers with 200 creations. About 8 minutes. What each one proves: docs/FAULTS.md.
#
# It restarts RabbitMQ (every connection on the broker drops), so do not run it while other test
# runs use the broker. It uses its own vhost (messaging-faults), its own redis-server (a child
# process on a free port), the container label messaging.instance=fault-tests, host ports
# 16000-16999 and the network messaging-faults-net.
#
# Usage: bash infra/fault-tests.sh [extra dotnet test arguments]
# Tables: tests/Messaging.FaultTests/TestResults/fault-tables.md (override: FAULT_TESTS_RESULTS),
#         worker and redis logs per scenario under .../logs/.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash infra/services-up.sh || { echo "[fault-tests] services did not come up"; exit 1; }
bash infra/cleanup-containers.sh messaging.instance=fault-tests

results="${FAULT_TESTS_RESULTS:-tests/Messaging.FaultTests/TestResults}"
mkdir -p "$results"
rm -rf "$results/fault-tables.md" "$results/fault-summary.md" "$results/logs"

log="$(mktemp -t messaging-fault-tests.XXXXXX.log)"
start=$(date +%s)
dotnet test tests/Messaging.FaultTests --filter Category=Fault --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
took=$(( $(date +%s) - start ))

bash infra/cleanup-containers.sh messaging.instance=fault-tests

# The console logger shows a passed test's output only at "detailed": print the tables from the file.
if [ -f "$results/fault-tables.md" ]; then
    echo
    echo "==================== fault test summary ($results/fault-summary.md) ===================="
    cat "$results/fault-summary.md"
    echo
    echo "==================== fault test tables ($results/fault-tables.md) ===================="
    grep -v '^<!--' "$results/fault-tables.md"
fi

# At verbosity "normal" dotnet test ends with "Total tests: N / Passed: N / Failed: N" (not the one-line summary).
read -r passed failed < <(awk '/^Total tests:/ { on = 1; next } on && /^ +Passed: / { p = $2 } on && /^ +Failed: / { f = $2 }
    END { printf "%d %d\n", p, f }' "$log")
rm -f "$log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
fi
echo "[fault-tests] dotnet test exit code $status, ${took} s"
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ]
