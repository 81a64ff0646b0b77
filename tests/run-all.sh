#!/usr/bin/env bash
# One command to run every test: installs what is missing, builds with
# -Wall -Wextra -Werror, runs the unit and integration tests, then builds
# again with AddressSanitizer + UndefinedBehaviorSanitizer and runs them all
# under it (the browser and package suites aside), then fuzzes the parsers of
# tests/fuzz for a bounded time (two and a half minutes). The services the
# suites need they start themselves: PostgreSQL clusters (tests/pg), an SMTP
# sink, Chromium, Prometheus, DHCP servers in network namespaces. Exits
# non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh --test

run_suite() {
    local dir=$1 exclude=$2; shift 2
    # BUILD_TESTING=ON whatever an earlier configure left (deploy/dev-server.sh
    # configures build/ without tests); ctest fails when it finds none.
    cmake -S . -B "$dir" -DPROVISIONER_WERROR=ON -DBUILD_TESTING=ON "$@" >/dev/null
    cmake --build "$dir" -j2
    (cd "$dir" && ctest --output-on-failure --no-tests=error -j2 --timeout 1200 ${exclude:+-LE "$exclude"})
}

# -O2 without debug information: what the package ships, and a third faster
# to build than with it (a failing test is rerun by hand in a -g build).
# deploy/dev-server.sh configures build/ with the same flags, so the README's
# two commands share one build.
echo "== build and test (warnings are errors) [at ${SECONDS} s]"
run_suite build "" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
# The browser suite drives the portal's pages (JavaScript in Chromium); the
# server code under it is the API's, which the other suites already run under
# the sanitizers. Left out there, it keeps the whole run inside its budget;
# so does the package suite, which installs the plain build's .deb into a
# Debian root (a sanitized binary is not what a package ships).
# -O1 without NDEBUG (the flags replace RelWithDebInfo's -O2 -DNDEBUG): the
# asserts stay on, and the suites run about twice as fast as at -O0. -g1 keeps
# the line tables a sanitizer report needs and builds a quarter faster than -g.
echo "== build and test under ASan + UBSan (all but the browser and package suites) [at ${SECONDS} s]"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan "browser|package" -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" \
        "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1" -DPROVISIONER_SANITIZE=ON
echo "== fuzz the parsers (libFuzzer under ASan + UBSan) [at ${SECONDS} s]"
tests/fuzz/run.sh
echo "== all tests passed [at ${SECONDS} s]"
