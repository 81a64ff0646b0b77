#!/usr/bin/env bash
# The README's two commands, in order, on a fresh Debian 12: makes a
# minimal Debian 12 root with debootstrap, copies the committed tree into it
# (what a clone has: `git archive HEAD`), and inside it runs
#   1. deploy/dev-server.sh in the background, waits for its first admin
#      token, checks the admin API answers with it, and stops it;
#   2. tests/run-all.sh.
# Exit 0 only when both worked. Needs root (debootstrap, mounts, chroot) and
# a reachable Debian mirror (DEBIAN_MIRROR, default deb.debian.org); about
# 4 GB of disk and, on 2 cores, 40-60 minutes.
#
# Usage: tests/fresh-root.sh [root-folder]
#   root-folder must not exist yet (default: /var/tmp/provisioner-fresh-root.<date>).
#   KEEP_ROOT=1 keeps it afterwards (to look inside); otherwise it is removed.
#
# The root shares this machine's network (apt needs it): the developer ports
# (8080, 8443, 6969, 9090 on loopback) must be free while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

if [[ $(id -u) -ne 0 ]]; then
    echo "fresh-root: run as root (debootstrap, mount and chroot need it)" >&2
    exit 1
fi
root=${1:-/var/tmp/provisioner-fresh-root.$(date +%Y%m%d%H%M%S)}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [[ -e "$root" ]]; then
    echo "fresh-root: $root already exists; give a folder that does not" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi

mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
    if [[ "${KEEP_ROOT:-0}" != 1 && -d "$root" ]]; then
        # Only ever the folder this script made, and only once nothing is mounted in it.
        if ! grep -q " $root/" /proc/mounts; then rm -rf --one-file-system "$root"; fi
    fi
}
trap cleanup EXIT

echo "== debootstrap bookworm (minbase) into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
    tail -20 "$root.debootstrap.log" >&2
    exit 1
}
rm -f "$root.debootstrap.log"
cp /etc/resolv.conf "$root/etc/resolv.conf"

echo "== copy the committed tree ($(git -C "$repo" rev-parse --short HEAD)) to /src"
mkdir -p "$root/src"
git -C "$repo" archive HEAD | tar -x -C "$root/src"

mount_in() {  # mount_in <target under root> <mount args...>
    local target="$root$1"; shift
    mkdir -p "$target"
    mount "$@" "$target"
    mounted+=("$target")
}
mount_in /proc -t proc proc
mount_in /sys -t sysfs sys
mount_in /dev --bind /dev
mount_in /dev/pts --bind /dev/pts
mount_in /dev/shm -t tmpfs tmpfs

# Inside the root: a clean environment, as a fresh login would have.
in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -c "$1"
}

echo "== 1. deploy/dev-server.sh (in the background, until it gives its admin token)"
in_root '
set -euo pipefail
cd /src
deploy/dev-server.sh >/tmp/dev-server.out 2>&1 &
pid=$!
token=""
for ((i = 0; i < 3600; i++)); do  # the build comes first: up to an hour
    token=$(sed -n "s/^admin token: \(prov_[A-Za-z0-9_]*\).*/\1/p" /tmp/dev-server.out | head -1)
    if [[ -z "$token" ]]; then
        for f in var/admin-token var/*admin*token*; do
            [[ -f "$f" ]] && token=$(grep -o "prov_[A-Za-z0-9_]*" "$f" | head -1) && break
        done
    fi
    [[ -n "$token" ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "fresh-root: deploy/dev-server.sh stopped before giving a token:" >&2
        tail -30 /tmp/dev-server.out >&2
        exit 1
    fi
    sleep 1
done
if [[ -z "$token" ]]; then echo "fresh-root: no admin token after an hour" >&2; kill "$pid"; exit 1; fi
echo "got an admin token (${#token} characters)"
# The admin API answers with it (bash alone: curl is not installed yet).
status=""
for ((i = 0; i < 50; i++)); do
    if exec 3<>/dev/tcp/127.0.0.1/9090 2>/dev/null; then
        printf "GET /api/v1/settings HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n" "$token" >&3
        IFS= read -r status <&3 || true
        status=$(printf "%s" "$status" | tr -d "\r")
        exec 3>&-
        break
    fi
    sleep 0.2
done
kill "$pid"
wait "$pid" 2>/dev/null || true
case "$status" in
    "HTTP/1.1 200"*) echo "admin API answered: $status" ;;
    *) echo "fresh-root: the admin API did not answer 200 with the token: ${status:-no answer}" >&2; exit 1 ;;
esac
'

echo "== 2. tests/run-all.sh"
in_root 'cd /src && tests/run-all.sh'
echo "== fresh root: both commands worked"
