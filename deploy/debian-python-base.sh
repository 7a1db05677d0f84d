#!/bin/sh
# Builds a Python base image for deploy/Containerfile from Debian packages alone, for a machine
# that reaches a Debian mirror but no container registry. Needs root, mmdebstrap and podman
# (apt-get install mmdebstrap podman).
#
#   deploy/debian-python-base.sh [IMAGE] [SUITE]     # defaults: localhost/python-debian:bookworm
#   podman build --format docker --build-arg PYTHON_IMAGE=localhost/python-debian:bookworm \
#       --ignorefile deploy/Containerfile.dockerignore -f deploy/Containerfile -t draftlint .
#
# The image holds Debian's python3 and its venv module, and trusts the CAs this machine added
# to its own store (/usr/local/share/ca-certificates: a TLS-inspecting proxy between the build
# and PyPI, say).
set -eu

image="${1:-localhost/python-debian:bookworm}"
suite="${2:-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mmdebstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    --customize-hook='if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
        cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/";
        chroot "$1" update-ca-certificates; fi' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    "$suite" "$work/rootfs.tar" "$mirror"
podman import --change 'CMD ["python3"]' "$work/rootfs.tar" "$image"
echo "$image"
