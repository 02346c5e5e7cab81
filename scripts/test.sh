#!/usr/bin/env bash
# `npm test`: the one test command (README, .ci/run). Runs the unit tier first (pure, seconds), then
# starts PostgreSQL and Redis where installed and stopped, builds (prisma generate + tsc), type-checks
# the tests too, lints, runs the real migrate command on a scratch database, then the integration tier
# (global setup starts s3rver and the template DB). Arguments go to both jest runs.
# Ends with one line "N passed, N failed" over both tiers and a non-zero exit on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
status=0

step() { printf '\n== %s\n' "$*"; }

# One jest tier (jest.config.js projects) into test-artifacts/jest-<tier>.json.
# --forceExit: a test that leaks a handle must not hang CI; the leak still shows in the output.
# --passWithNoTests: a path argument may select tests of one tier only.
run_tier() {
  local tier=$1; shift
  rm -f "test-artifacts/jest-$tier.json"
  npx jest --selectProjects "$tier" --ci --forceExit --passWithNoTests --json --outputFile="test-artifacts/jest-$tier.json" "$@" || status=1
}

mkdir -p test-artifacts
step "jest: unit tier (no services; the client is generated first)"
npm run -s db:generate >/dev/null 2>&1 || echo "prisma generate failed (the build step below shows why)"
run_tier unit "$@"
[ "$status" -ne 0 ] && echo "unit tier failed (see above); going on with the rest"

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

step "jest: integration tier"
run_tier integration "$@"

# Totals from jest's own JSON over both tiers; a suite that could not run at all counts as one failed
# test, and so does a tier that wrote no results.
read -r passed failed < <(node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0;
  for (const file of process.argv.slice(1)) {
    if (!fs.existsSync(file)) { failed += 1; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
    passed += r.numPassedTests;
    failed += r.numFailedTests + broken;
  }
  console.log(passed, failed);' "$PWD/test-artifacts/jest-unit.json" "$PWD/test-artifacts/jest-integration.json")
passed=${passed:-0} failed=${failed:-1}
[ "$failed" -gt 0 ] && status=1
[ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && { echo "jest ran no test"; failed=1; status=1; }
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && { echo "build, type-check, lint or migrate failed (see above)"; failed=1; }
echo "$passed passed, $failed failed"
exit "$status"
