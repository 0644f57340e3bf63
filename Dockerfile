# Serverlessnet images, all FROM debian:bookworm-slim and Debian's own packages (the same ones as
# the native build). Targets (docker-compose.yml builds each of them):
#   snet       snet-state (+ dashboard), snet-relayer, snet-agent and the snet CLI; no compilers
#   whisk      snet + Node.js: snet-whisk, the bundled OpenWhisk-compatible compute
#   mosquitto  the MQTT broker with broker-config/mosquitto.conf
#   rabbitmq   RabbitMQ with its MQTT plugin and broker-config/rabbitmq/
# (`build` compiles and installs into /opt/serverlessnet; `runtime` is the base of snet and whisk.)
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
# compose file publishes it on the host's loopback only.
RUN sed -i -e 's/^listener .*/listener 1883 0.0.0.0/' \
      -e 's|^persistence_location .*|persistence_location /mosquitto/data/|' \
      /etc/mosquitto/serverlessnet.conf \
 && grep -q '^listener 1883 0.0.0.0$' /etc/mosquitto/serverlessnet.conf
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

# ---- build: compilers and -dev packages, never shipped --------------------------------------
FROM debian:bookworm-slim AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      g++ cmake ninja-build libpaho-mqttpp-dev libpaho-mqtt-dev librabbitmq-dev \
      nlohmann-json3-dev libsqlite3-dev libboost1.81-dev libcurl4-openssl-dev >/dev/null \
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
      --shell /usr/sbin/nologin snet
# The working folder holds topology/, actions/ and dashboard/, so SNET_TOPOLOGY=topology/x.json
# means the same in a container as in the source tree (compose mounts ./topology over it).
ENV PATH=/opt/serverlessnet/bin:$PATH \
    SNET_TOPOLOGY=topology/single.json \
    SNET_DATA_DIR=/data
WORKDIR /opt/serverlessnet/share/serverlessnet

# ---- snet: the services and the CLI, non-root -------------------------------------------------
FROM runtime AS snet
COPY --from=build /opt/serverlessnet /opt/serverlessnet
USER snet
CMD ["snet", "--help"]
LABEL org.serverlessnet.image=snet

# ---- whisk: the same + Node.js for the action workers (installed before the programs, so a
# source change does not install Node.js again) ---------------------------------------------------
FROM runtime AS whisk
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs unzip >/dev/null \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/serverlessnet /opt/serverlessnet
USER snet
EXPOSE 3233
CMD ["snet-whisk", "--http-bind", "0.0.0.0", "--actions-dir", "actions"]
LABEL org.serverlessnet.image=whisk
