#!/usr/bin/env bash
# The OpenAPI schema is a contract: fuzz every operation of a live server of this checkout with
# schemathesis and fail on any server error, response that breaks its own schema, status code the
# schema does not document, or schema-violating request the server accepts.
#
#   scripts/schemathesis.sh            # what `make test` runs
#   ST_MAX_EXAMPLES=50 ST_SEED=7 scripts/schemathesis.sh
#
# A throwaway SQLite file gets the demo data and a superuser token; `manage.py runserver` (as in
# `make demo`) serves it on a free loopback port; schemathesis runs with a fixed seed and a fixed
# number of cases per operation (bounded time), and its JSON report is summarised here.
# One operation is left out: DELETE auth/token/ would revoke the fuzzer's own token and leave the
# rest of the run answering 401 (tests/accounts/test_api_tokens.py covers it).
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
SEED=${ST_SEED:-20261206}
MAX_EXAMPLES=${ST_MAX_EXAMPLES:-8}
WORKERS=${ST_WORKERS:-2}
work=$(mktemp -d /tmp/cxoffice-st.XXXXXX)
report=${ST_REPORT_DIR:-$work/report}  # keep the report and logs by naming a folder
mkdir -p "$report"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

export DATABASE_URL="sqlite:///$work/cxoffice.sqlite3"
export DJANGO_DEBUG=false
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
unset CELERY_BROKER_URL

$BIN/python manage.py migrate --noinput -v 0 || exit 1
$BIN/python manage.py load_demo >"$work/demo.log" 2>&1 || { cat "$work/demo.log"; exit 1; }
token=$($BIN/python manage.py shell --no-imports -c "
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
user, _ = get_user_model().objects.get_or_create(username='fuzzer', defaults={'is_staff': True, 'is_superuser': True})
print(Token.objects.get_or_create(user=user)[0].key)" | tail -n 1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
$BIN/python manage.py runserver "127.0.0.1:$port" --noreload >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/api/schema/" && break
  sleep 0.3
done

echo "schemathesis: seed $SEED, $MAX_EXAMPLES cases per operation, $WORKERS workers"
started=$(date +%s)
$BIN/st run "http://127.0.0.1:$port/api/schema/" \
  --checks all \
  ${ST_EXCLUDE:+--exclude-checks $ST_EXCLUDE} \
  --header "Authorization: Token $token" \
  --exclude-operation-id auth_token_destroy \
  --seed "$SEED" --max-examples "$MAX_EXAMPLES" --workers "$WORKERS" \
  --phases examples,coverage,fuzzing \
  --no-color --request-timeout 60 \
  --report ndjson --report-dir "$report" >"$report/st.log" 2>&1
st_rc=$?
elapsed=$(( $(date +%s) - started ))
sed -n '/=== SUMMARY ===/,$p' "$report/st.log"
$BIN/python scripts/schemathesis_summary.py "$report" "$elapsed" "$st_rc"
rc=$?
cp "$work/server.log" "$report/server.log"
if grep -q "Traceback" "$work/server.log"; then
  echo "the server logged a traceback:"; grep -B2 -A20 "Traceback" "$work/server.log" | head -n 80
  rc=1
fi
exit $rc
