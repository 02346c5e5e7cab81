# Sourced by scripts/test.sh and scripts/serve.sh: make sure PostgreSQL and Redis answer on the
# addresses the server and the tests use, starting the local ones where installed and stopped.

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_port() { # host port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do port_open "$1" "$2" && return 0; sleep 0.1; done
  return 1
}

# host and port of a postgresql:// or redis:// URL (defaults 5432 / 6379)
url_host() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; echo "${rest%%:*}"; }
url_port() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; [[ $rest == *:* ]] && echo "${rest##*:}" || echo "$2"; }
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }

ensure_postgres() { # url
  local host port; host=$(url_host "$1"); port=$(url_port "$1" 5432)
  port_open "$host" "$port" && return 0
  if is_local "$host" && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql)" ]; then
    echo "Starting PostgreSQL..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
    wait_port "$host" "$port" 30 && return 0
  fi
  cat >&2 <<MSG
PostgreSQL is not reachable at $host:$port.
  Debian/Ubuntu: sudo apt-get install postgresql   (then: sudo pg_ctlcluster <version> main start)
  Docker:        docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16
  Or point DATABASE_URL / TEST_DATABASE_URL at an existing server.
MSG
  return 1
}

ensure_redis() { # url
  local host port; host=$(url_host "$1"); port=$(url_port "$1" 6379)
  port_open "$host" "$port" && return 0
  if is_local "$host" && command -v redis-server >/dev/null; then
    echo "Starting Redis..."
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    wait_port "$host" "$port" 15 && return 0
  fi
  cat >&2 <<MSG
Redis is not reachable at $host:$port.
  Debian/Ubuntu: sudo apt-get install redis-server
  Docker:        docker run -d -p 6379:6379 redis:7
  Or point REDIS_URL / TEST_REDIS_URL at an existing server.
MSG
  return 1
}
