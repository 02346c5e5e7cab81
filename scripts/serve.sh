#!/usr/bin/env bash
# `npm run serve`: from a fresh checkout to a running server (API and worker in one process) with
# the configuration's defaults (src/config/config.schema.ts, which `npm run cli` reads too): local
# PostgreSQL and Redis (installed with apt-get when missing and run as root on Debian/Ubuntu, started
# if installed and stopped; INSTALL_MISSING=0 never installs), files on local disk under ./data, keys
# created on first start. Any variable of the README's table overrides them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
source scripts/build-stamp.sh

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)..."
  npm ci
fi
build_if_changed
database_url=$(node dist/src/cli/main.js config get DATABASE_URL)
redis_url=$(node dist/src/cli/main.js config get REDIS_URL)
INSTALL_MISSING=${INSTALL_MISSING:-1}
ensure_postgres "$database_url"
ensure_redis "$redis_url"
npm run -s db:migrate
exec node dist/src/main.js
