# The advbn CLI in a container, for running folder jobs (advbn perturb / advbn sweep) as shards on a
# cluster. Built from the repository; third-party weights and photos are NOT baked in: mount them
# (e.g. at /data) and point ADVBN_VGG19_DIR / --images / --labels at them.
#   docker build -t advbn-studio .
#   docker run --rm -v /path/to/shared:/data advbn-studio sweep --images /data/imagenet/val-samples-256 \
#       --labels /data/imagenet/classes.json --count 20 --json
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only (tsx runs the TypeScript sources; no build step). Optional packages
# (the webgpu Node bindings) install when their prebuilt binary fits the platform.
RUN npm ci --omit=dev && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY models ./models
COPY tsconfig.json ./
ENV ADVBN_VGG19_DIR=/data/models/vgg19-imagenet-tfjs
ENTRYPOINT ["node", "bin/advbn.mjs"]
