# One image for every role: `clusterconnect relay|agent|auth-proxy|operator|proxy …`.
# Not built on the development machines (they have no container engine); see the README's "Container image".

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `node` devDependency would fetch a second Node; this image already has Node 24.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proxy ./proxy
COPY operator ./operator
# Source only (tsconfig.build.json): the tests are not part of the image.
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/proxy ./dist/proxy
COPY --from=build /src/dist/operator ./dist/operator
COPY crds ./crds
# The same unprivileged ids the operator's pod security contexts use; nothing in the image is writable by it.
USER 65532:65532
ENTRYPOINT ["node", "--enable-source-maps", "/app/dist/proxy/src/cli/main.js"]
CMD ["--help"]
