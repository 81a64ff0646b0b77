#!/usr/bin/env bash
# The Debian package on a fresh Debian 12 root (ctest integration_package):
# makes it from the finished build (cpack in BUILD_DIR: nothing is rebuilt
# under the suites running beside it), makes a root with
# debootstrap (minbase bookworm, plus systemd and curl), installs the
# package there with apt-get, and runs tests/package/in_root.sh inside:
# install, first configuration step, service start, a phone's fetches over
# HTTP, HTTPS and TFTP, a template override and a reload, a reinstall
# (backup and migration), remove, purge, and the unit's security score.
#
# Two ways in, whichever this machine allows, said in the output:
#   systemd   the root booted with `systemd-nspawn -b` (private network):
#             systemd starts, reloads and stops the service;
#   chroot    when it cannot boot one: a chroot in a network namespace of
#             its own, the binary started by hand as the service user with
#             the unit's ExecStart= and capability.
# The root never reaches the network once it boots; before, it fetches the
# package's dependencies from the Debian mirror (DEBIAN_MIRROR, default
# deb.debian.org) into a cache.
#
# PACKAGE_TEST_PATH=chroot takes the chroot path even where the root could
# boot (to try it).
#
# Cached under BUILD_DIR/package-test/ so that a rerun takes well under a
# minute: the debootstrapped root as a tarball (remade after 7 days), and
# apt's downloaded packages. Needs root, debootstrap and systemd-container
# (deploy/install-deps.sh --test). BUILD_DIR and SOURCE_DIR: CTest sets
# both; by hand, run it from the build folder.
set -euo pipefail

SRC=${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD_DIR:-$PWD}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=$BUILD/package-test
BASE=$CACHE/bookworm-minbase.tar
ARCHIVES=$CACHE/apt-archives
ROOT=$CACHE/root.$$
OUT=$CACHE/out.$$
NETNS=prov-pkg-$$
started=$SECONDS

say() { echo "package_test: $*"; }
fail() { echo "package_test: FAIL: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "needs root (debootstrap, chroot, systemd-nspawn)"
for tool in debootstrap systemd-nspawn dpkg-deb cpack; do
    command -v "$tool" >/dev/null || fail "needs $tool (deploy/install-deps.sh --test)"
done

mounted=()
NSPAWN_PID=""
cleanup() {
    local i
    if [[ -n "$NSPAWN_PID" ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
        kill "$NSPAWN_PID" 2>/dev/null
        wait "$NSPAWN_PID" 2>/dev/null || true
    fi
    for pid in $(ip netns pids "$NETNS" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    ip netns del "$NETNS" 2>/dev/null || true
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
    # Only the folder this run made, and only once nothing is mounted in it.
    if [[ -d "$ROOT" ]] && ! grep -q " $ROOT/" /proc/mounts; then rm -rf --one-file-system "$ROOT"; fi
    rm -rf "$OUT"
}
trap cleanup EXIT

mkdir -p "$CACHE" "$ARCHIVES/partial"
say "making the package from the build"
t=$SECONDS
[[ -x "$BUILD/bin/provisioner" ]] || fail "no $BUILD/bin/provisioner: build first"
rm -rf "$CACHE/deb"
(cd "$BUILD" && cpack --config CPackConfig.cmake -B "$CACHE/deb") >"$CACHE/build.log" 2>&1 ||
    { tail -30 "$CACHE/build.log" >&2; fail "the package was not made"; }
deb=$(ls "$CACHE"/deb/provisioner_*.deb)
say "$(basename "$deb") ($(du -k "$deb" | cut -f1) KiB) in $((SECONDS - t)) s"

if [[ -f "$BASE" && -n $(find "$BASE" -mtime -7) ]]; then
    say "the Debian 12 root from the cache ($BASE)"
else
    say "debootstrap bookworm (minbase, with systemd and curl) from $MIRROR"
    t=$SECONDS
    rm -rf "$CACHE/base.$$"
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,curl bookworm "$CACHE/base.$$" "$MIRROR" \
        >"$CACHE/debootstrap.log" 2>&1 || { tail -20 "$CACHE/debootstrap.log" >&2; rm -rf "$CACHE/base.$$"; fail "debootstrap failed"; }
    tar --numeric-owner -C "$CACHE/base.$$" -cf "$BASE.tmp" .
    mv "$BASE.tmp" "$BASE"
    rm -rf --one-file-system "$CACHE/base.$$"
    say "debootstrap took $((SECONDS - t)) s"
fi
mkdir -p "$ROOT" "$OUT"
tar --numeric-owner -C "$ROOT" -xpf "$BASE"
mkdir -p "$ROOT/check"
cp "$deb" "$SRC/tests/package/in_root.sh" "$ROOT/check/"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

mount_in() {  # mount_in <target under ROOT> <mount args...>
    local target="$ROOT$1"
    shift
    mkdir -p "$target"
    mount "$@" "$target"
    mounted+=("$target")
}
in_chroot() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

# The package's dependencies into the cache, while the root may use the
# network; apt inside the booted root then installs from it, offline.
say "fetching the package's dependencies (cache: $ARCHIVES)"
t=$SECONDS
mount_in /var/cache/apt/archives --bind "$ARCHIVES"
mount_in /proc -t proc proc
in_chroot apt-get update -qq >"$OUT/apt.log" 2>&1 || { cat "$OUT/apt.log" >&2; fail "apt-get update in the root failed"; }
in_chroot apt-get install -y -qq --download-only --no-install-recommends "/check/$(basename "$deb")" >>"$OUT/apt.log" 2>&1 ||
    { cat "$OUT/apt.log" >&2; fail "apt-get could not fetch the package's dependencies"; }
say "dependencies ready in $((SECONDS - t)) s"
umount "$ROOT/proc"
unset 'mounted[${#mounted[@]}-1]'
umount "$ROOT/var/cache/apt/archives"
unset 'mounted[${#mounted[@]}-1]'
cp "$ARCHIVES"/*.deb "$ROOT/var/cache/apt/archives/" 2>/dev/null || true

# The systemd way: a unit of the root runs in_root.sh once it has booted,
# writes its lines and exit status to /check/out, and powers it off.
cat >"$ROOT/etc/systemd/system/package-check.service" <<'EOF'
[Unit]
Description=provisioner package test
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/bash -c 'touch /check/out/booted; /bin/bash /check/in_root.sh systemd >/check/out/log 2>&1; echo $? >/check/out/rc; systemctl poweroff --no-block'
[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/package-check.service "$ROOT/etc/systemd/system/multi-user.target.wants/"
mkdir -p "$ROOT/check/out"

path=""
t=$SECONDS
if [[ ${PACKAGE_TEST_PATH:-} == chroot ]]; then
    echo "PACKAGE_TEST_PATH=chroot: not booting" >"$CACHE/nspawn.$$.log"
else
    say "booting the root with systemd-nspawn -b (private network)"
    timeout 300 systemd-nspawn --quiet --register=no --keep-unit --private-network --console=pipe \
        --bind="$OUT:/check/out" -D "$ROOT" -b </dev/null >"$CACHE/nspawn.$$.log" 2>&1 &
    NSPAWN_PID=$!
    wait "$NSPAWN_PID" || true
    NSPAWN_PID=""
fi
if [[ -e "$OUT/booted" ]]; then
    path=systemd
    say "path: systemd (the root booted with systemd-nspawn -b) in $((SECONDS - t)) s"
    cat "$OUT/log" 2>/dev/null || true
    rc=$(cat "$OUT/rc" 2>/dev/null || echo "none: the check did not finish")
else
    say "systemd-nspawn -b did not boot the root here: $(tail -3 "$CACHE/nspawn.$$.log" | tr '\n' ' ')"
    path=chroot
    say "path: chroot (the binary started by hand as the service user), in network namespace $NETNS"
    rm -f "$ROOT/etc/systemd/system/multi-user.target.wants/package-check.service"
    ip netns add "$NETNS"
    ip -n "$NETNS" link set lo up
    mount_in /proc -t proc proc
    mount_in /sys -t sysfs sys
    mount_in /dev --bind /dev
    mount_in /dev/pts --bind /dev/pts
    rc=0
    ip netns exec "$NETNS" chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        /bin/bash /check/in_root.sh chroot || rc=$?
fi
rm -f "$CACHE/nspawn.$$.log"
say "done in $((SECONDS - started)) s (path: $path)"
[[ "$rc" == 0 ]] || fail "in the root: exit $rc"
say "passed"
