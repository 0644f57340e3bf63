# Serverlessnet images, all FROM debian:bookworm-slim and Debian's own packages (the same ones as
# the native build). Targets (docker-compose.yml builds each of them):
#   snet       snet-state (+ dashboard), snet-relayer, snet-agent and the snet CLI; no compilers
#   whisk      snet + Node.js: snet-whisk, the bundled OpenWhisk-compatible compute, with the
#              runtime's npm modules (the openwhisk client actions require())
#   mosquitto  the MQTT broker with broker-config/mosquitto.conf
#   rabbitmq   RabbitMQ with its MQTT plugin and broker-config/rabbitmq/
# (`build` compiles and installs into /opt/serverlessnet; `runtime` is the base of snet and whisk;
# `whisk-modules` checks whisk/runtime/node_modules, which `npm ci` made on the host.)
# No Docker Hub? `docker/make-base-image.sh` creates debian:bookworm-slim locally first.
# No `# syntax=` line on purpose: it would make BuildKit fetch a frontend image from Docker Hub.
# Every runtime image runs as a non-root user.

# The brokers come first: the classic builder (docker-compose v1) builds every stage up to the
# target, and a broker image should not need the compile.

# ---- mosquitto ----------------------------------------------------------------------------------
FROM debian:bookworm-slim AS mosquitto
# policy-rc.d: the package's postinst must not try to start the broker during the build.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      mosquitto mosquitto-clients >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && mkdir -p /mosquitto/data && chown mosquitto:mosquitto /mosquitto/data
COPY broker-config/mosquitto.conf /etc/mosquitto/serverlessnet.conf
# In a container the broker listens on every interface of its own network namespace; the
# compose file publishes it on the host's loopback only. It includes the logins and the ACL that
# compose's credentials service writes (mounted at /mosquitto/secrets); without them (the image
# alone) the folder is empty and the broker as open as broker-config/mosquitto.conf says.
RUN sed -i -e 's/^listener .*/listener 1883 0.0.0.0/' \
      -e 's|^persistence_location .*|persistence_location /mosquitto/data/|' \
      /etc/mosquitto/serverlessnet.conf \
 && grep -q '^listener 1883 0.0.0.0$' /etc/mosquitto/serverlessnet.conf \
 && printf '\n# The logins and ACL of the Docker stack (docker-compose.yml, credentials).\ninclude_dir /mosquitto/secrets/mosquitto\n' \
      >> /etc/mosquitto/serverlessnet.conf \
 && mkdir -p /mosquitto/secrets/mosquitto \
 && usermod -u 1883 mosquitto && groupmod -g 1883 mosquitto \
 && chown -R mosquitto:mosquitto /mosquitto/data /var/lib/mosquitto /var/log/mosquitto
# uid/gid 1883 (the package picks the next free system id): docker-stack.yml gives the broker
# its password file and ACL as swarm secrets owned by that uid. A mosquitto-data volume made by
# an older image belongs to the old id: remove it (down -v) or chown it to 1883.
USER mosquitto
EXPOSE 1883
CMD ["mosquitto", "-c", "/etc/mosquitto/serverlessnet.conf"]
LABEL org.serverlessnet.image=mosquitto

# ---- rabbitmq -----------------------------------------------------------------------------------
FROM debian:bookworm-slim AS rabbitmq
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      rabbitmq-server >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d
COPY broker-config/rabbitmq/rabbitmq.conf broker-config/rabbitmq/enabled_plugins \
     broker-config/rabbitmq/definitions.json /etc/rabbitmq/
# Listen on every interface of the container (AMQP and the MQTT plugin); see mosquitto above.
RUN sed -i -e 's/^listeners\.tcp\.default = .*/listeners.tcp.default = 5672/' \
      -e 's/^mqtt\.listeners\.tcp\.default = .*/mqtt.listeners.tcp.default = 1883/' \
      /etc/rabbitmq/rabbitmq.conf \
 && grep -q '^listeners.tcp.default = 5672$' /etc/rabbitmq/rabbitmq.conf \
 && grep -q '^mqtt.listeners.tcp.default = 1883$' /etc/rabbitmq/rabbitmq.conf
# A fixed node name: the data folder (a volume) is named after it and must survive a new container.
ENV RABBITMQ_CONFIG_FILE=/etc/rabbitmq/rabbitmq \
    RABBITMQ_ENABLED_PLUGINS_FILE=/etc/rabbitmq/enabled_plugins \
    RABBITMQ_NODENAME=rabbit@localhost \
    RABBITMQ_LOGS=- \
    HOME=/var/lib/rabbitmq
USER rabbitmq
WORKDIR /var/lib/rabbitmq
EXPOSE 5672 1883
# Not Debian's /usr/sbin/rabbitmq-server: that wrapper sends the log to a file, not to stdout.
CMD ["/usr/lib/rabbitmq/bin/rabbitmq-server"]
LABEL org.serverlessnet.image=rabbitmq

# ---- whisk-modules: the npm modules actions require() (the `openwhisk` client) ---------------
# Taken from the checkout, where tools/setup.sh runs `npm ci` in whisk/runtime (pinned by its
# package-lock.json), as the native build uses them: the build then needs no npm registry (none
# may be reachable from a build, or only through a TLS proxy the image does not trust). Checked
# here, before the compile, so that a missing or stale folder fails in seconds, saying what to do.
FROM debian:bookworm-slim AS whisk-modules
WORKDIR /runtime
COPY whisk/runtime/ ./
RUN want=$(sed -n 's/^ *"openwhisk": *"\([^"]*\)".*/\1/p' package.json); \
    have=$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' node_modules/openwhisk/package.json 2>/dev/null); \
    if [ -z "$want" ] || [ "$have" != "$want" ]; then \
      echo "whisk image: whisk/runtime/node_modules has openwhisk '${have:-nothing}', package.json" \
           "pins '$want': run \`(cd whisk/runtime && npm ci)\` (tools/setup.sh does) and build again" >&2; \
      exit 1; \
    fi
LABEL org.serverlessnet.image=whisk-modules

# ---- build: compilers and -dev packages, never shipped --------------------------------------
FROM debian:bookworm-slim AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      g++ cmake ninja-build libpaho-mqttpp-dev libpaho-mqtt-dev librabbitmq-dev \
      nlohmann-json3-dev libsqlite3-dev libboost1.81-dev libcurl4-openssl-dev libssl-dev >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the compile needs, so that editing the dashboard, a topology or an action does not
# recompile anything (tests and benchmarks are not built: BUILD_TESTING and SNET_BUILD_BENCH off).
COPY CMakeLists.txt ./
COPY core core
COPY relayer relayer
COPY agents agents
COPY state state
COPY whisk whisk
COPY openwhisk openwhisk
COPY cli cli
COPY network network
COPY experiment experiment
ARG SNET_BUILD_JOBS=
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" \
      -DBUILD_TESTING=OFF -DSNET_BUILD_BENCH=OFF -DCMAKE_INSTALL_PREFIX=/opt/serverlessnet >/dev/null \
 && cmake --build /build -j"${SNET_BUILD_JOBS:-$(nproc)}"
COPY broker-config broker-config
COPY topology topology
COPY dashboard dashboard
COPY actions actions
RUN cmake --install /build --strip >/dev/null
# Labels come last in each stage so they never invalidate a cached layer; they let old, untagged
# images of this project be pruned (`docker image prune --filter label=org.serverlessnet.image`).
LABEL org.serverlessnet.image=build

# ---- runtime: the shared libraries and the user, no compilers (never changes with the sources) --
FROM debian:bookworm-slim AS runtime
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libpaho-mqttpp3-1 libpaho-mqtt1.3 librabbitmq4 libsqlite3-0 libcurl4 ca-certificates >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --create-home \
      --shell /usr/sbin/nologin snet \
 && install -d -o snet -g snet -m 0700 /data/whisk
# /data/whisk: snet-whisk's data (its generated key whisk.auth) on a volume that the relayers
# mount too; made here so that a fresh volume is the user's whichever container mounts it first.
# The working folder holds topology/, actions/ and dashboard/, so SNET_TOPOLOGY=topology/x.json
# means the same in a container as in the source tree (compose mounts ./topology over it).
ENV PATH=/opt/serverlessnet/bin:$PATH \
    SNET_TOPOLOGY=topology/single.json \
    SNET_DATA_DIR=/data
WORKDIR /opt/serverlessnet/share/serverlessnet

# ---- snet: the services and the CLI, non-root -------------------------------------------------
FROM runtime AS snet
# mosquitto_passwd (it needs libcrypto only) hashes the stack's broker passwords in compose's
# credentials service (`snet compose-credentials`), which writes them to /data/secrets: made
# here so that the fresh volume mounted there is this user's.
COPY --from=mosquitto /usr/bin/mosquitto_passwd /usr/bin/mosquitto_passwd
RUN install -d -o snet -g snet -m 0750 /data/secrets
COPY --from=build /opt/serverlessnet /opt/serverlessnet
USER snet
CMD ["snet", "--help"]
LABEL org.serverlessnet.image=snet

# ---- whisk: the same + Node.js for the action workers (installed before the programs, so a
# source change does not install Node.js again) ---------------------------------------------------
# Node.js is Debian 12's, 18.x: the native setup's Node 20 comes from NodeSource, a source these
# images do not use. Node 18 has no permission model (--experimental-permission came with 20);
# snet-whisk tests for it at start, logs "node has no permission model ... workers run without
# the sandbox" and runs the workers as plain Node.js. They run as this image's user `snet`
# (snet-whisk is not root here, so there is no --worker-user switch), confined by the container:
# an action can read what `snet` can and start processes inside it. See docs/actions.md.
FROM runtime AS whisk
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs unzip >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
# Next to the worker runtime (share/serverlessnet/whisk/worker.js), where snet-whisk looks for
# them and puts them on the workers' NODE_PATH.
COPY --from=whisk-modules /runtime/node_modules /opt/serverlessnet/share/serverlessnet/whisk/node_modules
COPY --from=build /opt/serverlessnet /opt/serverlessnet
USER snet
EXPOSE 3233
CMD ["snet-whisk", "--http-bind", "0.0.0.0", "--data-dir", "/data/whisk", "--actions-dir", "actions"]
LABEL org.serverlessnet.image=whisk
