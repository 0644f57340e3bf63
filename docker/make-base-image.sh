#!/usr/bin/env bash
# Creates the `debian:bookworm-slim` image locally when Docker Hub cannot be reached (offline CI,
# air-gapped machines): debootstrap a minimal Debian 12 from the configured Debian mirror, slim it
# the way the official image is slimmed, and `docker import` it. Idempotent: does nothing when the
# image exists (pulled, or imported by this version of the script); caches the root-filesystem
# tarball (SNET_BASE_IMAGE_CACHE, default ~/.cache/serverlessnet) so a re-import takes seconds.
set -euo pipefail

image="${SNET_BASE_IMAGE:-debian:bookworm-slim}"
cache_dir="${SNET_BASE_IMAGE_CACHE:-$HOME/.cache/serverlessnet}"
mirror="${SNET_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Bump when the slimming changes: an image imported by an older version is then replaced.
version=2
label="org.serverlessnet.base-image"
tarball="$cache_dir/bookworm-slim-rootfs-v$version.tar"
legacy_tarball="$cache_dir/bookworm-slim-rootfs.tar"

if docker image inspect "$image" >/dev/null 2>&1; then
  imported=$(docker image inspect -f "{{index .Config.Labels \"$label\"}}" "$image" 2>/dev/null || true)
  [ "$imported" = "<no value>" ] && imported=""
  # No label: pulled from a registry, unless the first version of this script imported it.
  if [ -z "$imported" ] && [ "$(docker image inspect -f '{{.Comment}}' "$image")" = "Imported from -" ]; then
    imported=1
  fi
  if [ -z "$imported" ] || [ "$imported" = "$version" ]; then
    echo "base image $image: present"
    exit 0
  fi
  echo "base image $image: imported by version $imported of this script, replacing it"
elif docker pull "$image" >/dev/null 2>&1; then
  echo "base image $image: pulled"
  exit 0
fi

# What the official debian:*-slim images leave out (docs, man pages, locales), and apt set up the
# same way: no package cache kept after an install, no translations.
slim_rootfs() {
  local root="$1"
  rm -rf "$root"/usr/share/{doc,man,info,groff,lintian,linda,locale}/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/archives/partial/* \
    "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/*
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/groff/*' 'path-exclude /usr/share/lintian/*' \
    'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/locale/*' \
    > "$root/etc/dpkg/dpkg.cfg.d/docker-slim"
  local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
  printf 'DPkg::Post-Invoke { %s };\nAPT::Update::Post-Invoke { %s };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n' \
    "$clean" "$clean" > "$root/etc/apt/apt.conf.d/docker-clean"
  echo 'Acquire::Languages "none";' > "$root/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' > "$root/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' > "$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" > "$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"
}

mkdir -p "$cache_dir"
if [ ! -s "$tarball" ]; then
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  if [ -s "$legacy_tarball" ]; then
    echo "base image $image: slimming the cached $legacy_tarball"
    tar -C "$root" -xf "$legacy_tarball"
  else
    command -v debootstrap >/dev/null || { echo "debootstrap is needed: apt-get install debootstrap" >&2; exit 1; }
    echo "base image $image: debootstrap bookworm from $mirror (a few minutes, once)"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
  fi
  slim_rootfs "$root"
  tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -f "$legacy_tarball"
fi
docker import --change 'CMD ["bash"]' --change 'ENV LANG=C.UTF-8' \
  --change "LABEL $label=$version" "$tarball" "$image" >/dev/null
echo "base image $image: imported from $tarball ($(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=iec))"
