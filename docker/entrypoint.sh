#!/bin/sh
# Container entrypoint: one image, every role (Dockerfile). Nothing is installed or fetched here.
#   api | worker | all      the server (ROLE selects the listeners and/or BullMQ processors)
#   migrate                 create/migrate the database (npm run db:migrate), then exit
#   init-keys               create KEY_FILE and MASTER_KEY_FILE if absent (mode 0600), then exit
#   import-key server|master  write stdin to KEY_FILE / MASTER_KEY_FILE if that file is absent
#   cli ARGS… | community-server ARGS…   the admin CLI
#   anything else           run as given (e.g. `sh`)
set -eu
APP="${APP_DIR:-/app}/dist/src"

case "${1:-all}" in
  api|worker|all)
    ROLE="$1"
    export ROLE
    exec node "$APP/main.js"
    ;;
  migrate)
    exec node "$APP/database/migrate-cli.js"
    ;;
  init-keys)
    # The server's own create-if-absent code, so the key formats stay the app's (protocol §2.1).
    exec node -e '
      const { loadOrCreateServerKey } = require(process.argv[1] + "/config/server-key.js");
      const { loadOrCreateMasterKey } = require(process.argv[1] + "/files/encryption/master-keys.js");
      const key = loadOrCreateServerKey(process.env.KEY_FILE);
      loadOrCreateMasterKey(process.env.MASTER_KEY_FILE);
      console.log("Server public key " + key.publicKeyHex);
    ' "$APP"
    ;;
  import-key)
    case "${2:-}" in
      server) target="$KEY_FILE" ;;
      master) target="$MASTER_KEY_FILE" ;;
      *) echo "usage: import-key server|master < FILE" >&2; exit 64 ;;
    esac
    if [ -e "$target" ]; then
      echo "$target already exists; refusing to overwrite a key (delete it first if you mean to replace it)" >&2
      exit 1
    fi
    umask 077
    cat > "$target"
    echo "Imported $2 key into $target"
    exec "$0" init-keys
    ;;
  cli|community-server)
    shift
    exec node "$APP/cli/main.js" "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
