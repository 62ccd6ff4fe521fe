#!/usr/bin/env bash
# Build the crisisbot image with podman, where no Docker daemon runs (CI, a sandbox): vfs storage
# and chroot isolation need neither overlayfs nor user namespaces.
#
#   bash deploy/build-image.sh [TAG]        # default localhost/crisisbot:ci
#
# The base is the Dockerfile's pinned python image when the registry answers. Where it cannot be
# pulled (a machine that reaches only package registries), a stand-in base is made once from
# Debian bookworm's own packages (debootstrap: python3.11 with venv, ca-certificates) and passed
# as PYTHON_IMAGE, so the Dockerfile itself is what gets built and tested either way.
set -euo pipefail
cd "$(dirname "$0")/.."

tag="${1:-localhost/crisisbot:ci}"
podman=(podman --storage-driver vfs)
pinned="$(sed -n 's/^ARG PYTHON_IMAGE=//p' deploy/Dockerfile)"
base="$pinned"

if ! "${podman[@]}" image exists "$pinned" && ! "${podman[@]}" pull -q "$pinned" >/dev/null 2>&1; then
  base="localhost/crisisbot-base:bookworm-python3.11"
  echo "cannot pull $pinned: building on $base (Debian bookworm's python3.11)"
  if ! "${podman[@]}" image exists "$base"; then
    command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 3; }
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    chmod 755 "$root"  # it becomes the image's / : mktemp's 0700 would lock the crisisbot user out
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" >/dev/null
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | "${podman[@]}" import -q - "$base" >/dev/null
  fi
fi

# a TLS-inspecting proxy's CA for pip, as a build secret (never in a layer)
secret=()
if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
  secret=(--secret id=pip_ca,src=/etc/ssl/certs/ca-certificates.crt)
fi
"${podman[@]}" build -q --format docker --isolation chroot \
  -f deploy/Dockerfile --ignorefile deploy/Dockerfile.dockerignore "${secret[@]}" \
  --build-arg PYTHON_IMAGE="$base" -t "$tag" . >/dev/null
echo "built $tag from $base"
