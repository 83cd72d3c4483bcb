# syntax=docker/dockerfile:1
# One image for the operator and both data plane roles; the command picks:
#   node dist/operator/main.js             the operator (the default command)
#   node dist/dataplane/main.js server     a cache server
#   node dist/dataplane/main.js client     a router
#
#   docker build -t distributed-cache:0.1.0 .
#
# The base images are arguments so that a cluster with no registry can supply
# its own (hack/build-images.sh builds both from Debian and Node's binary).
ARG BUILD_IMAGE=node:20-bookworm
ARG RUNTIME_IMAGE=node:20-bookworm-slim

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY types ./types
COPY dataplane ./dataplane
COPY operator ./operator
# Compile, then drop the dev dependencies (TypeScript, mocha, types) for the runtime stage.
RUN npx tsc -p tsconfig.json && npm prune --omit=dev --no-audit --no-fund

FROM ${RUNTIME_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/dataplane ./dist/dataplane
COPY --from=build /src/dist/operator ./dist/operator
# The router serves its API contract from this file (GET /api/openapi.json).
COPY openapi.yaml ./
# The image's `node` user, by number, so that Kubernetes can verify runAsNonRoot.
USER 1000:1000
# Router, server, operator health.
EXPOSE 5000 8080 8081
CMD ["node", "dist/operator/main.js"]
