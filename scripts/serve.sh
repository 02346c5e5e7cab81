#!/usr/bin/env bash
# `npm run serve`: from a fresh checkout to a running server (API and worker in one process) with
# embedded defaults: local PostgreSQL and Redis (started if installed and stopped), files on local
# disk under ./data, keys created on first start. Any variable of the README's table overrides them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/session_community}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export STORAGE_DRIVER=${STORAGE_DRIVER:-fs}

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)..."
  npm ci
fi
echo "Building..."
npm run -s build
ensure_postgres "$DATABASE_URL"
ensure_redis "$REDIS_URL"
npm run -s db:migrate
exec node dist/src/main.js
