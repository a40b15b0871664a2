#!/usr/bin/env bash
# Totals of the test runs whose TRX files (dotnet test --logger trx) lie under the given folders:
# prints "PASSED FAILED SKIPPED FILES" (four numbers) from each file's <ResultSummary><Counters .../>,
# the count the test platform itself wrote, never from console text. Failed counts the failed, error,
# timeout and aborted tests; skipped the tests not executed.
#
# Usage: bash infra/trx-totals.sh DIR...      e.g.  read -r passed failed skipped files < <(bash infra/trx-totals.sh "$dir")
set -uo pipefail

counter() { # counters-element name -> number (0 when absent)
    local value
    value="$(grep -o " $2=\"[0-9]*\"" <<<"$1" | grep -o '[0-9]\+')"
    printf '%d' "${value:-0}"
}

passed=0 failed=0 skipped=0 files=0
while IFS= read -r -d '' trx; do
    counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
    [ -n "$counters" ] || { echo "[trx-totals] no <Counters> in $trx" >&2; failed=$((failed + 1)); continue; }
    files=$((files + 1))
    passed=$((passed + $(counter "$counters" passed)))
    failed=$((failed + $(counter "$counters" failed) + $(counter "$counters" error) + $(counter "$counters" timeout) + $(counter "$counters" aborted)))
    skipped=$((skipped + $(counter "$counters" notExecuted)))
done < <(find "$@" -name '*.trx' -type f -print0 2>/dev/null)
echo "$passed $failed $skipped $files"
