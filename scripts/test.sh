#!/usr/bin/env bash
# `npm test`: the one test command (README, .ci/run). Starts PostgreSQL and Redis where installed and
# stopped, builds (prisma generate + tsc), type-checks the tests too, lints, runs the real migrate command
# on a scratch database, then every jest test (global setup starts s3rver and the template DB).
# Ends with one line "N passed, N failed" and a non-zero exit on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
RESULTS=test-artifacts/jest-results.json
status=0

step() { printf '\n== %s\n' "$*"; }

step "services"
if ! ensure_postgres "$TEST_DATABASE_URL" || ! ensure_redis "$TEST_REDIS_URL"; then
  echo "0 passed, 1 failed"
  exit 1
fi

step "browser (Debian chromium) for the web page test"
# The headless-browser test (test/integration/web/browser.spec.ts) drives Debian's chromium and skips
# with a message when it is absent; install it where apt and root are available.
if [ -x /usr/bin/chromium ]; then
  echo "chromium present"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 ||
    echo "could not install chromium: the browser test will be skipped"
else
  echo "no /usr/bin/chromium and no apt-get as root: the browser test will be skipped"
fi

step "build (prisma generate, tsc)"
npm run -s build || status=1

step "type-check (src and test)"
npx tsc --noEmit -p tsconfig.json || status=1

step "lint (eslint, prettier --check)"
npm run -s lint || status=1

step "migrate command on a fresh database"
migrate_db="scs_t_cli_$$"
migrate_url="${TEST_DATABASE_URL%/*}/$migrate_db"
if DATABASE_URL=$migrate_url npm run -s db:migrate && DATABASE_URL=$migrate_url npm run -s db:migrate; then
  :
else
  echo "npm run db:migrate failed"; status=1
fi
psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$migrate_db\" WITH (FORCE)" >/dev/null 2>&1 ||
  node -e "const {Client}=require('pg');const c=new Client({connectionString:process.argv[1]});c.connect().then(()=>c.query('DROP DATABASE IF EXISTS \"'+process.argv[2]+'\" WITH (FORCE)')).finally(()=>c.end())" "$TEST_DATABASE_URL" "$migrate_db"

step "jest"
mkdir -p test-artifacts
rm -f "$RESULTS"
# --forceExit: a test that leaks a handle must not hang CI; the leak still shows in the output.
npx jest --ci --forceExit --json --outputFile="$RESULTS" "$@" || status=1

# Totals from jest's own JSON; a suite that could not run at all counts as one failed test.
if [ -f "$RESULTS" ]; then
  read -r passed failed < <(node -e '
    const r = require(process.argv[1]);
    const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
    console.log(r.numPassedTests, r.numFailedTests + broken);' "$PWD/$RESULTS")
else
  passed=0 failed=1
fi
[ "$failed" -gt 0 ] && status=1
[ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && { echo "jest ran no test"; failed=1; status=1; }
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && { echo "build, type-check, lint or migrate failed (see above)"; failed=1; }
echo "$passed passed, $failed failed"
exit "$status"
