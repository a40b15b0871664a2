#!/usr/bin/env bash
# Makes the dashboard's screenshots again (docs/screenshots/<view>-<width>.png, shown in the README): every view at
# 1280 and 390 px, taken by Playwright in Debian's chromium of real services on the running system
# (tests/Messaging.IntegrationTests/Dashboard/DashboardScreenshots.cs, Category=Screenshots; not in infra/test.sh).
#
# Usage: bash infra/dashboard-screenshots.sh        (about a minute; MESSAGING_SCREENSHOTS_DIR=<folder> to write elsewhere)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash infra/services-up.sh
bash infra/cleanup-containers.sh messaging.instance=it-tests
dotnet test tests/Messaging.IntegrationTests --nologo --filter "Category=Screenshots"
ls -l "${MESSAGING_SCREENSHOTS_DIR:-docs/screenshots}"
