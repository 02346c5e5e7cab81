#!/usr/bin/env bash
# npm run bench [-- --quick] [-- --only=idle_poll,floor]: builds dist/ (the server, then bench/ with its
# own tsconfig.bench.json: the production build leaves bench/ out), then runs
# bench/main.ts. Needs PostgreSQL and Redis as for the tests (BENCH_DATABASE_URL, BENCH_REDIS_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build
npm run -s build:bench
exec node dist/bench/main.js "$@"
