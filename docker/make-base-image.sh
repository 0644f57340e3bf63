#!/usr/bin/env bash
# Creates the `debian:bookworm-slim` image locally when Docker Hub cannot be reached (offline CI,
# air-gapped machines): debootstrap a minimal Debian 12 from the configured Debian mirror and
# `docker import` it. Idempotent: does nothing when the image exists; caches the root-filesystem
# tarball (SNET_BASE_IMAGE_CACHE, default ~/.cache/serverlessnet) so a re-import takes seconds.
set -euo pipefail

image="${SNET_BASE_IMAGE:-debian:bookworm-slim}"
cache_dir="${SNET_BASE_IMAGE_CACHE:-$HOME/.cache/serverlessnet}"
mirror="${SNET_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
tarball="$cache_dir/bookworm-slim-rootfs.tar"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image: present"
  exit 0
fi
if docker pull "$image" >/dev/null 2>&1; then
  echo "base image $image: pulled"
  exit 0
fi

mkdir -p "$cache_dir"
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap is needed: apt-get install debootstrap" >&2; exit 1; }
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  echo "base image $image: debootstrap bookworm from $mirror (a few minutes, once)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
  # Slim it like the official image: no docs, man pages, locales or apt lists.
  rm -rf "$root"/usr/share/{doc,man,info}/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
  printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n' \
    > "$root/etc/dpkg/dpkg.cfg.d/docker-slim"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" > "$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"
  tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
fi
docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' "$tarball" "$image" >/dev/null
echo "base image $image: imported from $tarball"
