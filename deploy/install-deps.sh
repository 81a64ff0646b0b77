#!/usr/bin/env bash
# Installs, with apt-get, whatever the build (and with --test, the tests and
# benchmarks) need and is not installed yet. Debian 12; run as root.
set -euo pipefail

# libpq-dev: the PostgreSQL store (store.url); libpq, not Poco's connector, for
# PQnotifies (LISTEN/NOTIFY of config changes).
build_packages=(cmake make g++ pkg-config libpoco-dev libmbedtls-dev libtinyxml2-dev
                libsqlite3-dev catch2 libkainjow-mustache-dev libqrencode-dev libargon2-dev libpq-dev)
# man-db (and its groff-base): the generated man page is checked by man and groff.
# chromium, chromium-driver, python3-selenium: the portal's browser tests (tests/browser/).
# python3-jsonschema: the admin API's answers checked against docs/openapi.json
# (tests/integration/openapi_test.py).
# The last three: clang-14 with libFuzzer and its sanitizer runtimes (libclang-rt-14-dev is
# only recommended by clang-14, and --no-install-recommends skips it): the
# fuzz targets of tests/fuzz/run.sh.
test_packages=(curl jq sqlite3 procps libxml2-utils tftp-hpa atftp python3 iproute2 openssl bc fail2ban bsdutils sip-tester
               man-db
               chromium chromium-driver python3-selenium
               libreoffice-calc-nogui clang-14 libfuzzer-14-dev libclang-rt-14-dev python3-aiosmtpd
               python3-jsonschema
               dpkg-dev debootstrap systemd-container isc-dhcp-server kea-dhcp4-server dnsmasq-base)
# The last six: the Debian package (dpkg-dev: dpkg-shlibdeps finds its library
# dependencies) and its test in a fresh Debian 12 root (tests/package/), and
# the DHCP servers whose configuration tests check deploy/dhcp. Their daemons
# must not run on a test machine: see below.
dhcp_services=(isc-dhcp-server kea-dhcp4-server)
# prometheus (with promtool): tests/integration/metrics_test.sh scrapes /metrics with the real one.
test_packages+=(prometheus)
# postgresql: the PostgreSQL store's tests start a throwaway cluster of their own
# (tests/pg/with_cluster.sh: initdb, pg_ctl); the package's own cluster is not used.
test_packages+=(postgresql)

wanted=("${build_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then wanted+=("${test_packages[@]}"); fi

missing=()
for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches axe-core for the browser tests' accessibility check. A machine
# whose Node.js already brings npm (not as Debian's package) keeps its own.
if [[ "${1:-}" == "--test" ]] && ! command -v npm >/dev/null; then missing+=(npm); fi
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing: ${missing[*]}" >&2
    if [[ $(id -u) -ne 0 ]]; then
        echo "install-deps: run as root (or with sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # A package's maintainer scripts start its daemon unless policy-rc.d says
    # no (exit 101); one made here is removed afterwards.
    made_policy=""
    if [[ "${1:-}" == "--test" && ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# made by deploy/install-deps.sh while it installs\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    apt-get update -qq
    installed=0
    apt-get install -y -qq --no-install-recommends "${missing[@]}" || installed=$?
    if [[ -n "$made_policy" ]]; then rm -f /usr/sbin/policy-rc.d; fi
    if [[ $installed -ne 0 ]]; then exit "$installed"; fi
    # The package starts its own Prometheus on port 9090, the dev server's
    # admin port; the test runs one of its own. Stopped only when installed here.
    if [[ " ${missing[*]} " == *" prometheus "* ]] && [[ -d /run/systemd/system ]]; then
        systemctl disable --now prometheus.service >/dev/null 2>&1 || true
    fi
fi
# The DHCP servers stay stopped and are not started at boot either (the tests
# run them by hand, in network namespaces of their own).
if [[ "${1:-}" == "--test" ]]; then
    for service in "${dhcp_services[@]}"; do
        if [[ -d /run/systemd/system ]] && systemctl --quiet is-enabled "$service" 2>/dev/null; then
            systemctl disable --now "$service" >/dev/null 2>&1 || true
        elif [[ -x /etc/init.d/$service ]] && command -v update-rc.d >/dev/null; then
            update-rc.d "$service" disable >/dev/null 2>&1 || true
        fi
    done
fi
