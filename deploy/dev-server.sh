#!/usr/bin/env bash
# One command to a running server: installs what is missing, builds, and
# starts `provisioner serve` on the embedded SQLite store (var/provisioner.db)
# with the developer ports (HTTP 8080, HTTPS 8443, TFTP 6969, admin 9090).
# On the first start it prints an admin API token on a terminal (else writes it
# to var/admin-token, mode 0600); keep it.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/install-deps.sh
# The compile flags of tests/run-all.sh's first build (warnings as errors
# included), so that the two share build/ and the test command does not
# compile the server again.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
      -DPROVISIONER_WERROR=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build build -j2 --target provisioner
exec build/bin/provisioner serve -c deploy/provisioner.dev.ini "$@"
