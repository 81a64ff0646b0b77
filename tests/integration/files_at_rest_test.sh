#!/usr/bin/env bash
# Files at rest: everything the real binary writes is readable by its owner
# alone (files 0600, the folders it makes 0700), under a permissive umask
# (022): the store with its -wal, -shm and lock files, the TLS key and
# certificate it generates, phones' uploads, the ports file, and what the CLI
# writes (backup, export with and without --secrets, a store it creates).
# Checked with `stat -c %a` on each file, then on the whole tree it made.

source "$(dirname "$0")/lib.sh"

umask 022

# expect_mode MODE PATH: PATH exists with exactly MODE (octal, as stat %a).
expect_mode() {
    local got
    got=$(stat -c %a "$2" 2>/dev/null)
    [[ "$got" == "$1" ]] && ok || bad "$2 should be mode $1, got '${got:-missing}'"
}

# expect_private_tree DIR: every file under DIR is 0600, every folder 0700.
expect_private_tree() {
    local loose
    loose=$( (find "$1" -type f ! -perm 600; find "$1" -type d ! -perm 700) 2>&1)
    [[ -z "$loose" ]] && ok || bad "under $1 every file should be 0600 and every folder 0700; not: $(tr '\n' ' ' <<<"$loose")"
    # The tree is not empty: the check above cannot pass on nothing.
    [[ $(find "$1" -type f | wc -l) -ge 1 ]] && ok || bad "test validity: $1 holds no file"
}

# A state folder the server makes, two levels deep, for the store, the
# certificate and the uploads; the test's own logs stay in $WORK.
STATE="$WORK/state/var"
UA_POLYCOM="FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application"

test_serve() {
    start_server -D store.path="$STATE/store.db" -D certs.dir="$STATE/certs" -D uploads.dir="$STATE/uploads"
    # The first admin token is written beside this store (not a terminal).
    expect_mode 600 "$STATE/admin-token"
    TOKEN=$(head -1 "$STATE/admin-token" 2>/dev/null)
    add_phone polycom 00:04:f2:aa:bb:01 Polycom VVX_400 20
    STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -A "$UA_POLYCOM" -X PUT --data-binary 'log line' \
        "http://127.0.0.1:$HTTP_PORT/0004f2aabb01-app.log")
    expect_status 204 "a phone's upload"
    STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -A "$UA_POLYCOM" \
        "http://127.0.0.1:$HTTP_PORT/0004f2aabb01.cfg")
    expect_status 200 "a phone's config (an event for the WAL)"

    expect_mode 700 "$WORK/state"
    expect_mode 700 "$STATE"
    expect_mode 600 "$STATE/store.db"
    expect_mode 600 "$STATE/store.db-wal"
    expect_mode 600 "$STATE/store.db-shm"
    expect_mode 600 "$STATE/store.db.lock"
    expect_mode 700 "$STATE/certs"
    expect_mode 600 "$STATE/certs/server.key"
    expect_mode 600 "$STATE/certs/server.crt"
    expect_mode 700 "$STATE/uploads"
    expect_mode 700 "$STATE/uploads/0004f2aabb01"
    expect_mode 600 "$STATE/uploads/0004f2aabb01/0004f2aabb01-app.log"
    expect_mode 600 "$DATA/ports.json"
}

# The CLI beside the running server: backup and export, into files that
# did not exist and over files that did, with a wider mode.
test_cli_outputs() {
    local out="$WORK/out" args
    mkdir -p "$out"
    args=(-D store.path="$STATE/store.db" -D templates.dir="$TEMPLATES_DIR")
    run backup "$out/backup.db" "${args[@]}"
    expect_rc 0 "backup while serving"
    expect_mode 600 "$out/backup.db"
    run export --secrets "$out/secrets.csv" "${args[@]}"
    expect_rc 0 "export --secrets while serving"
    expect_mode 600 "$out/secrets.csv"
    grep -q Secret2001 "$out/secrets.csv" && ok || bad "test validity: the export should hold the SIP password"
    run export "$out/plain.csv" "${args[@]}"
    expect_rc 0 "export while serving"
    expect_mode 600 "$out/plain.csv"

    : >"$out/old-backup.db"
    : >"$out/old-export.csv"
    chmod 644 "$out/old-backup.db" "$out/old-export.csv"
    run backup "$out/old-backup.db" "${args[@]}"
    expect_rc 0 "backup over a 0644 file"
    expect_mode 600 "$out/old-backup.db"
    run export --secrets "$out/old-export.csv" "${args[@]}"
    expect_rc 0 "export over a 0644 file"
    expect_mode 600 "$out/old-export.csv"
    [[ -z $(find "$out" -name '*.partial*') ]] && ok || bad "no .partial file should be left in $out"
}

# A store the CLI creates (token create on a path that does not exist yet).
test_cli_store() {
    run token create --role viewer -D store.path="$WORK/cli/deep/store.db"
    expect_rc 0 "token create on a new store"
    expect_mode 700 "$WORK/cli"
    expect_mode 700 "$WORK/cli/deep"
    expect_mode 600 "$WORK/cli/deep/store.db"
    expect_private_tree "$WORK/cli"
}

# A store left 0644 (by an older version, or by hand) is brought to 0600.
test_old_store_tightened() {
    stop_server
    chmod 644 "$STATE/store.db" "$STATE/store.db.lock"
    start_server -D store.path="$STATE/store.db" -D certs.dir="$STATE/certs" -D uploads.dir="$STATE/uploads"
    expect_mode 600 "$STATE/store.db"
    expect_mode 600 "$STATE/store.db.lock"
    expect_private_tree "$WORK/state"
    stop_server
}

test_serve
test_cli_outputs
test_cli_store
expect_private_tree "$WORK/state"
test_old_store_tightened
finish
