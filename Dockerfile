# syntax=docker/dockerfile:1
# Serverlessnet images, all FROM debian:bookworm-slim and Debian's own packages (the same ones as
# the native build). Targets:
#   snet       the services (snet-state + dashboard, snet-relayer, snet-agent, snet-whisk, snet)
#   mosquitto  the MQTT broker with broker-config/mosquitto.conf
#   rabbitmq   RabbitMQ with the MQTT plugin and broker-config/rabbitmq/
# No Docker Hub? `docker/make-base-image.sh` creates debian:bookworm-slim locally first.

# ---- build: compilers and -dev packages, never shipped --------------------------------------
FROM debian:bookworm-slim AS build
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      g++ cmake ninja-build libpaho-mqttpp-dev libpaho-mqtt-dev librabbitmq-dev \
      nlohmann-json3-dev libsqlite3-dev libboost1.81-dev libcurl4-openssl-dev >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY core core
COPY relayer relayer
COPY agents agents
COPY state state
COPY whisk whisk
COPY cli cli
COPY bench bench
COPY tests tests
COPY broker-config broker-config
COPY topology topology
COPY dashboard dashboard
COPY actions actions
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      -DSNET_BUILD_BENCH=OFF -DCMAKE_INSTALL_PREFIX=/opt/serverlessnet >/dev/null \
 && cmake --build /build -j"$(nproc)" \
 && cmake --install /build >/dev/null

# ---- snet: runtime libraries only, non-root ---------------------------------------------------
FROM debian:bookworm-slim AS snet
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libpaho-mqttpp3-1 libpaho-mqtt1.3 librabbitmq4 libsqlite3-0 libcurl4 nodejs >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home snet
COPY --from=build /opt/serverlessnet /opt/serverlessnet
ENV PATH=/opt/serverlessnet/bin:$PATH \
    SNET_TOPOLOGY=/opt/serverlessnet/share/serverlessnet/topology/single.json
USER snet
WORKDIR /data

# ---- mosquitto ----------------------------------------------------------------------------------
FROM debian:bookworm-slim AS mosquitto
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      mosquitto mosquitto-clients >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /mosquitto/data && chown mosquitto /mosquitto/data
COPY broker-config/mosquitto.conf /etc/mosquitto/serverlessnet.conf
# In a container the broker listens on every interface of its own network namespace; the
# compose file publishes it on the host's loopback only.
RUN sed -i -e 's/^listener .*/listener 1883 0.0.0.0/' \
      -e 's|^persistence_location .*|persistence_location /mosquitto/data/|' \
      /etc/mosquitto/serverlessnet.conf
USER mosquitto
CMD ["mosquitto", "-c", "/etc/mosquitto/serverlessnet.conf"]

# ---- rabbitmq -----------------------------------------------------------------------------------
FROM debian:bookworm-slim AS rabbitmq
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      rabbitmq-server >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY broker-config/rabbitmq/ /etc/rabbitmq/
ENV RABBITMQ_CONFIG_FILE=/etc/rabbitmq/rabbitmq \
    RABBITMQ_ENABLED_PLUGINS_FILE=/etc/rabbitmq/enabled_plugins
USER rabbitmq
CMD ["rabbitmq-server"]
