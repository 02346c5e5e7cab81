# syntax=docker/dockerfile:1
# One image for every role: `api`, `worker`, `all`, `migrate`, `init-keys` and `cli …`
# (docker/entrypoint.sh). Build: `docker build -t session-community-server .`
ARG NODE_IMAGE=node:24-slim

# --- build: all dependencies, compile TypeScript, generate the Prisma client, then drop dev deps
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Toolchain for the native addons (better-sqlite3 for `import pysogs`); it stays in this stage only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Only npm packages are downloaded, as in CI (.ci/run): native addons compile here instead of
# fetching prebuilt binaries, and Prisma 7 runs through the pg driver adapter and its bundled
# WebAssembly query compiler, so no native engine is needed at build or run time.
ENV npm_config_build_from_source=true \
    PRISMA_SCHEMA_ENGINE_BINARY=/bin/false \
    PRISMA_SKIP_POSTINSTALL_GENERATE=1 \
    CI=true
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY prisma ./prisma
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production node_modules, compiled code and the migrations; nothing fetched at start
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    ADMIN_PORT=3001 \
    KEY_FILE=/data/key_x25519 \
    MASTER_KEY_FILE=/data/master_key \
    STORAGE_DIR=/data/files
WORKDIR /app
# The runtime never installs anything: npm and corepack leave the image.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
 && mkdir -p /data /keys \
 && chown 1000:1000 /data /keys \
 && chmod 0700 /data /keys
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/prisma ./prisma
# The shipped worker plugins (greeter, flood guard), named by path in PLUGINS_DIR/NAME.json.
COPY --chown=root:root plugins ./plugins
COPY --chown=root:root --chmod=0755 docker/entrypoint.sh /usr/local/bin/entrypoint
COPY --chown=root:root --chmod=0755 docker/community-server /usr/local/bin/community-server
# Numeric uid (the image's `node` user) so Kubernetes can verify runAsNonRoot. The code is owned by
# root and not writable, so the root filesystem can be mounted read-only. The writable paths are
# mounts given by Compose/Helm: /data (keys and fs storage by default), /keys (Compose keeps the keys
# there), /tmp. Empty named volumes mounted on /data or /keys inherit the uid 1000 owner from here.
USER 1000:1000
# Only the public port: the admin port (3001) is for the container's own network, never published.
EXPOSE 3000
# Liveness of whichever role runs here: the admin listener answers /healthz (no curl in slim).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ADMIN_PORT||3001)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/local/bin/entrypoint"]
CMD ["all"]
