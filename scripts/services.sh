# Sourced by scripts/test.sh and scripts/serve.sh: make sure PostgreSQL and Redis answer on the
# addresses the server and the tests use, starting the local ones where installed and stopped.
# With INSTALL_MISSING=1 (npm run serve) a missing local one is installed first when that can be
# done safely: as root with apt-get (Debian/Ubuntu), as scripts/test.sh installs chromium.
# Elsewhere the message names the exact command to run.

PG_ETC=${PG_ETC:-/etc/postgresql} # Debian's cluster configuration (a test points it elsewhere)

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

can_apt_install() { [ "${INSTALL_MISSING:-0}" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_install() { # package
  echo "Installing $1 (apt-get install $1)..."
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1") >/dev/null; then
    echo "apt-get install $1 failed (see above)" >&2
    return 1
  fi
}

# The exact way to get a missing service here: as root on Debian/Ubuntu `npm run serve` does it.
install_hint() { # package docker-command
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then echo "  Install it:    apt-get install -y $1   (npm run serve does this itself)"
    else echo "  Install it:    sudo apt-get install -y $1   (or run npm run serve as root: it installs and starts it)"; fi
  else
    echo "  Debian/Ubuntu: apt-get install -y $1"
  fi
  echo "  Docker:        $2"
}

pg_version() { ls "$PG_ETC" 2>/dev/null | sort -V | tail -1; }
pg_installed() { command -v pg_ctlcluster >/dev/null && [ -n "$(pg_version)" ]; }

ensure_postgres() { # url
  local host port installed_now=0; host=$(url_host "$1"); port=$(url_port "$1" 5432)
  port_open "$host" "$port" && return 0
  if is_local "$host" && ! pg_installed && can_apt_install; then
    apt_install postgresql && installed_now=1
  fi
  if is_local "$host" && pg_installed; then
    local version; version=$(pg_version)
    if [ "$installed_now" = 1 ]; then
      # The fresh cluster asks local TCP clients for a password, and the default DATABASE_URL
      # (postgresql://postgres@127.0.0.1) has none: trust loopback connections of this new
      # cluster only, as a development install does. Never done to a cluster that was there.
      local hba="$PG_ETC/$version/main/pg_hba.conf"
      echo "Configuring the new PostgreSQL $version cluster: trust connections from this machine ($hba)"
      printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' > "$hba"
      pg_ctlcluster --skip-systemctl-redirect "$version" main reload >/dev/null 2>&1 || true
    fi
    if ! port_open "$host" "$port"; then
      echo "Starting PostgreSQL..."
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
    wait_port "$host" "$port" 30 && return 0
  fi
  if ! is_local "$host"; then
    echo "PostgreSQL is not reachable at $host:$port: check DATABASE_URL / TEST_DATABASE_URL." >&2
  elif pg_installed; then
    echo "PostgreSQL is installed but does not answer at $host:$port (pg_lsclusters shows its clusters and ports)." >&2
  else
    { echo "PostgreSQL is not installed and nothing answers at $host:$port."
      install_hint postgresql "docker run -d -p $port:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:17.6"
      echo "  Or point DATABASE_URL / TEST_DATABASE_URL at an existing server."; } >&2
  fi
  return 1
}

ensure_redis() { # url
  local host port; host=$(url_host "$1"); port=$(url_port "$1" 6379)
  port_open "$host" "$port" && return 0
  if is_local "$host" && ! command -v redis-server >/dev/null && can_apt_install; then
    apt_install redis-server || true
  fi
  if is_local "$host" && command -v redis-server >/dev/null; then
    echo "Starting Redis..."
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    wait_port "$host" "$port" 15 && return 0
  fi
  if ! is_local "$host"; then
    echo "Redis is not reachable at $host:$port: check REDIS_URL / TEST_REDIS_URL." >&2
  elif command -v redis-server >/dev/null; then
    echo "Redis is installed but did not start on $host:$port (see /var/log/redis/ci.log)." >&2
  else
    { echo "Redis is not installed and nothing answers at $host:$port."
      install_hint redis-server "docker run -d -p $port:6379 redis:7.4.5"
      echo "  Or point REDIS_URL / TEST_REDIS_URL at an existing server."; } >&2
  fi
  return 1
}
