#!/usr/bin/env bash
# Everything `make test` checks: lint, migrations, the whole suite twice — on SQLite and on a
# throwaway PostgreSQL (its clock moved 400 days ahead) — browser tests included, and the API
# fuzzed against its own schema (scripts/schemathesis.sh). Fails if any of them fails, or a
# suite runs no test.
# Each run includes tests/integration: a real redis-server and `celery -A cxoffice worker`
# processes on a database of their own (a SQLite file, or a fresh database on the PostgreSQL server).
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
logs=$(mktemp -d /tmp/cxoffice-test.XXXXXX)
trap 'rm -rf "$logs"' EXIT

step() { printf '\n==== %s ====\n' "$*"; }

step "Lint (ruff) and migrations"
$BIN/ruff check . || exit 1
$BIN/ruff format --check . || exit 1
env -u DATABASE_URL $BIN/python manage.py makemigrations --check --dry-run || exit 1

run_suite() {  # name, then the command prefix that provides the database
  local name=$1; shift
  step "Test suite on $name"
  "$@" $BIN/python -m pytest -p no:cacheprovider 2>&1 | tee "$logs/$name.log"
  return "${PIPESTATUS[0]}"
}

run_suite SQLite env -u DATABASE_URL
sqlite_rc=$?
# The PostgreSQL run lives 400 days in the future (this process's clock only, see
# tests/conftest.py): an expectation that leans on the day the suite runs fails here, today.
run_suite PostgreSQL env CXOFFICE_TEST_CLOCK_SHIFT_DAYS=400 scripts/with_postgres.sh
pg_rc=$?

step "API contract: schemathesis against a live server of this checkout"
scripts/schemathesis.sh 2>&1 | tee "$logs/schemathesis.log"
st_rc=${PIPESTATUS[0]}

summary() {  # the final "=== N passed … ===" line of a run
  grep -E '^=+ .*(passed|failed|error|no tests ran).* =+$' "$logs/$1.log" | tail -n 1
}
step "Summary"
ok=0
for name in SQLite PostgreSQL; do
  line=$(summary "$name")
  printf '%-11s %s\n' "$name:" "${line:-no pytest summary (the run did not finish)}"
  # pytest exits 5 when it collected no test: that is a failure too.
  if ! grep -qE '[0-9]+ passed' <<<"$line"; then ok=1; fi
done
[ "$sqlite_rc" -eq 0 ] || { echo "SQLite run failed (exit $sqlite_rc)"; ok=1; }
[ "$pg_rc" -eq 0 ] || { echo "PostgreSQL run failed (exit $pg_rc)"; ok=1; }
printf '%-11s %s\n' "API:" "$(grep -E '^schemathesis( figures|: )' "$logs/schemathesis.log" | tr '\n' ' ')"
[ "$st_rc" -eq 0 ] || { echo "schemathesis found what the schema does not say (exit $st_rc)"; ok=1; }
[ $ok -eq 0 ] && echo "All green." || echo "FAILED."
exit $ok
