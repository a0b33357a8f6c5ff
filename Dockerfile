# The statistics service, for docker-compose.yml and deployments: one image for every role
# (SERVICE_ROLE=all: API + CDC ingest in one process, the default; api and ingest: apart, as the two
# compose services). The HEALTHCHECK probes /health/ready on PORT, which both roles serve.
# Build stage: every dependency and the TypeScript build; run stage: production dependencies, the
# compiled code and the files it reads at run time, as the unprivileged `node` user.
# Debian's Chromium renders the PDF exports (Puppeteer downloads no browser at install).

FROM node:20-bookworm-slim AS build
# Compilers for native modules (better-sqlite3, …) when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# Read at run time, located from the project root (package.json + clickhouse/migrations).
COPY clickhouse/migrations clickhouse/migrations
COPY state/migrations state/migrations
COPY apps/demo/sql apps/demo/sql
# Exports, the SQLite state store and the embedded engine's data: a volume in docker-compose.yml.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# Readiness, not liveness: the container is healthy once the snapshot is in and ClickHouse,
# Postgres and the state store answer (a first snapshot of a large database takes a while); for
# SERVICE_ROLE=ingest, once changes stream and its feed reaches Redis.
HEALTHCHECK --interval=15s --timeout=5s --start-period=300s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/apps/service/src/main.js"]
