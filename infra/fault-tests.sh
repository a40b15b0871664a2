#!/usr/bin/env bash
# The full fault test set (tests/Messaging.FaultTests, every [Trait("Category", "Fault")] test):
# kill -9 of the worker, RabbitMQ stop_app/start_app, Redis restart and FLUSHALL, the engine going
# away (through a socket proxy: the shared dockerd is never stopped), a real dockerd restart (of an
# engine of the test's own, infra/second-engine.sh), SIGSTOP past the lock TTL, two workers with 200
# creations. About 8 minutes. What each one proves: docs/FAULTS.md.
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

trx="$(mktemp -d -t messaging-fault-tests.XXXXXX)"
start=$(date +%s)
dotnet test tests/Messaging.FaultTests --filter Category=Fault --logger "console;verbosity=normal" \
    --logger trx --results-directory "$trx" "$@"
status=$?
took=$(( $(date +%s) - start ))

bash infra/cleanup-containers.sh messaging.instance=fault-tests
# The harness's own services network (its workers make it); refused, and left, while a container uses it.
docker network rm messaging-faults-net >/dev/null 2>&1 || true

# The console logger shows a passed test's output only at "detailed": print the tables from the file.
if [ -f "$results/fault-tables.md" ]; then
    echo
    echo "==================== fault test summary ($results/fault-summary.md) ===================="
    cat "$results/fault-summary.md"
    echo
    echo "==================== fault test tables ($results/fault-tables.md) ===================="
    grep -v '^<!--' "$results/fault-tables.md"
fi

# The totals from the run's TRX file, not from console text.
read -r passed failed _ _ < <(bash infra/trx-totals.sh "$trx")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
fi
echo "[fault-tests] dotnet test exit code $status, ${took} s, TRX in $trx"
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ]
