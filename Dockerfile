# The rollout worker and the `rollout` CLI in one image.
#
#   docker build -t model-rollout .
#   docker run -e TEMPORAL_ADDRESS=temporal:7233 model-rollout --plan /plans/three-regions.yaml   # every queue
#   docker run model-rollout --regions eu-west-1 --no-control                                   # one region's queue
#   docker run --entrypoint rollout model-rollout status <rollout-id>                           # the CLI
#
# Runs as a non-root user, with the worker's memory settings (src/worker-runtime.ts, kept in step by
# test/deploy.test.ts), serves GET /livez and /readyz on :8080 for a scheduler (src/health.ts) and Prometheus metrics
# on :9464/metrics (one worker per container, so a fixed port cannot collide).
# Databricks credentials come from the region: DATABRICKS_* variables, or a ~/.databrickscfg mounted at
# /home/rollout/.databrickscfg (or DATABRICKS_CONFIG_FILE); see examples/deploy/kubernetes/.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# The Temporal core's native library ships for five platforms (about 27 MB each): keep this one's.
RUN case "$(uname -m)" in x86_64) keep=x86_64-unknown-linux-gnu ;; aarch64) keep=aarch64-unknown-linux-gnu ;; esac \
 && find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 ! -name "$keep" -exec rm -rf {} +

FROM node:22-bookworm-slim
RUN groupadd --system --gid 10001 rollout \
 && useradd --system --uid 10001 --gid rollout --home-dir /home/rollout --create-home rollout
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
RUN chmod +x lib/client.js lib/worker.js && ln -s /app/lib/client.js /usr/local/bin/rollout
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    ROLLOUT_HEALTH_ADDRESS=0.0.0.0:8080 \
    ROLLOUT_METRICS_ADDRESS=0.0.0.0:9464
USER 10001:10001
EXPOSE 8080 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--max-old-space-size=1024", "--max-semi-space-size=1", "lib/worker.js"]
