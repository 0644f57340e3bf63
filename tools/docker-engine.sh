#!/usr/bin/env bash
# Makes a Docker engine available for the compose test: installs docker.io and docker-compose
# from Debian when missing, starts dockerd in the background when none answers (no systemd
# here), and makes sure the debian:bookworm-slim base image exists. Exit 0 when Docker is usable.
# SNET_DOCKERD_PIDFILE: where to write the pid of a dockerd started here (the caller stops it).
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)  # for the base image, offline
if [ ${#missing[@]} -gt 0 ]; then
  echo "docker-engine: installing ${missing[*]}"
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null 2>&1 || { echo "docker-engine: cannot install ${missing[*]}" >&2; exit 1; }
fi
if ! docker info >/dev/null 2>&1; then
  nohup dockerd >/tmp/serverlessnet-dockerd.log 2>&1 &
  if [ -n "${SNET_DOCKERD_PIDFILE:-}" ]; then echo $! >"$SNET_DOCKERD_PIDFILE"; fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
fi
docker info >/dev/null 2>&1 || { echo "docker-engine: dockerd did not start (see /tmp/serverlessnet-dockerd.log)" >&2; exit 1; }
docker/make-base-image.sh
