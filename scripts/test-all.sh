#!/usr/bin/env bash
# Runs every test of the workspace. This is the README's test command and exactly what .ci/run runs
# after it has started PostgreSQL.
#
# Without ZHIBU_TEST_POSTGRES_URL the PostgreSQL storage suite says "SKIPPED" loudly and passes;
# with ZHIBU_REQUIRE_POSTGRES=1 (set by .ci/run) a missing PostgreSQL is a failure instead.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --workspace --locked "$@"
