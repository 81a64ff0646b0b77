#!/usr/bin/env bash
# Runs a command against a PostgreSQL cluster of its own: initdb into a
# temporary folder, postgres on a free loopback port, the command run with
# PROVISIONER_TEST_PG_URL set to the cluster's URL, the cluster stopped and
# removed however the command ends. Fails (exit 2) when no cluster starts:
# a test run against PostgreSQL never passes without one.
#
#   tests/pg/with_cluster.sh build/bin/store_tests
#
# Debian's postgresql (/usr/lib/postgresql/<major>/bin). As root, the
# cluster runs as the unprivileged user `postgres` (the package makes it),
# as PostgreSQL refuses to run as root.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: with_cluster.sh COMMAND [ARG...]" >&2
    exit 2
fi

bin=""
for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && bin="$d"
done
if [[ -z "$bin" ]]; then
    echo "with_cluster: no PostgreSQL server (initdb, pg_ctl) under /usr/lib/postgresql; install postgresql" >&2
    exit 2
fi

as_owner=()
if [[ $(id -u) -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
        echo "with_cluster: running as root and there is no user postgres to run the cluster as" >&2
        exit 2
    fi
    as_owner=(runuser -u postgres --)
fi

dir=$(mktemp -d /tmp/prov-pg.XXXXXX)
chmod 0755 "$dir"
[[ ${#as_owner[@]} -gt 0 ]] && chown postgres "$dir"
data="$dir/data"

stop() {
    "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT

# Trust on loopback and the socket only: a throwaway cluster for one test
# run. fsync off (unless WITH_CLUSTER_DURABLE=1): nothing here has to
# survive a power cut.
if ! "${as_owner[@]}" "$bin/initdb" -D "$data" -U prov -A trust --locale=C -E UTF8 >"$dir/initdb.log" 2>&1; then
    echo "with_cluster: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    exit 2
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# WITH_CLUSTER_DURABLE=1 keeps PostgreSQL's durable defaults (a benchmark).
speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[[ ${WITH_CLUSTER_DURABLE:-0} == 1 ]] && speed=""
started=""
for attempt in 1 2 3 4 5; do
    port=$(free_port)
    options="-c listen_addresses=127.0.0.1 -p $port -k $dir $speed -c max_connections=200"
    if "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 30 -o "$options" \
        start >/dev/null 2>&1; then
        started=yes
        break
    fi
    echo "with_cluster: postgres did not start on port $port (attempt $attempt)" >&2
done
if [[ -z "$started" ]]; then
    echo "with_cluster: no cluster started; its log:" >&2
    tail -20 "$dir/postgres.log" >&2 || true
    exit 2
fi

export PROVISIONER_TEST_PG_URL="postgresql://prov@127.0.0.1:$port/postgres"
# For tests that restart the cluster under a running server (a failover):
# "$PROVISIONER_TEST_PG_CTL" restart -m fast -w
# or stop it for a while (an outage) and start it again as it was (the same
# port and options):
# "$PROVISIONER_TEST_PG_CTL" stop -m fast -w; ...; "$PROVISIONER_TEST_PG_CTL" start -w
export PROVISIONER_TEST_PG_CTL="$dir/pg_ctl"
cat >"$dir/pg_ctl" <<EOF
#!/bin/sh
if [ "\$1" = start ]; then
    shift
    exec ${as_owner[*]} "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "$options" start "\$@"
fi
exec ${as_owner[*]} "$bin/pg_ctl" -D "$data" "\$@"
EOF
chmod 0755 "$dir/pg_ctl"
echo "with_cluster: PostgreSQL at $PROVISIONER_TEST_PG_URL" >&2
set +e
"$@"
rc=$?
set -e
exit $rc
