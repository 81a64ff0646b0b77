#!/usr/bin/env bash
# The provisioner command line against the real binary: token create, migrate,
# configuration errors (exit 78, one line), backup under concurrent writes,
# and the admin token made on first start only.
# Exit codes (app/commands.h): 0 done, 2 usage, 78 configuration, 1 other.

source "$(dirname "$0")/lib.sh"

# count_extensions DB: the number of rows in DB's extensions table.
count_extensions() { sqlite3 "$1" 'SELECT count(*) FROM extensions'; }

# token create: a token alone on stdout; a bad role is a usage error.
test_token_create() {
    local dir="$WORK/tokens"
    mkdir -p "$dir"
    # shellcheck disable=SC2046
    run token create --role viewer $(store_args "$dir")
    expect_rc 0 "token create --role viewer"
    [[ $(wc -l <<<"$OUT") == 1 && "$OUT" =~ ^prov_[A-Za-z0-9]{40}$ ]] && ok ||
        bad "token create should print exactly one line matching ^prov_[A-Za-z0-9]{40}\$, got '$OUT'"
    [[ -z "$ERR" ]] && ok || bad "token create should print nothing on stderr, got '$ERR'"
    local hashes
    hashes=$(sqlite3 "$dir/store.db" "SELECT count(*) FROM api_tokens WHERE role = 'viewer' AND token_hash <> '$OUT'")
    [[ "$hashes" == 1 ]] && ok || bad "the token should be stored once, hashed (got $hashes)"

    # shellcheck disable=SC2046
    run token create --role superuser $(store_args "$dir")
    expect_rc 2 "token create --role superuser"
    expect_one_line "$ERR" "token create with a bad role: stderr"
    [[ "$ERR" == *superuser* ]] && ok || bad "the error should name the bad role, got '$ERR'"
    [[ -z "$OUT" ]] && ok || bad "a refused token create prints no token, got '$OUT'"

    # shellcheck disable=SC2046
    run token create $(store_args "$dir")
    expect_rc 2 "token create without --role"
    expect_one_line "$ERR" "token create without --role: stderr"

    # shellcheck disable=SC2046
    run token create --role admin --colour red $(store_args "$dir")
    expect_rc 2 "token create with an unknown option"
    expect_one_line "$ERR" "token create with an unknown option: stderr"
    local n
    n=$(sqlite3 "$dir/store.db" "SELECT count(*) FROM api_tokens")
    [[ "$n" == 1 ]] && ok || bad "refused token creates store no token (have $n)"
}

# migrate: applies the schema once, then says it is up to date.
test_migrate() {
    local dir="$WORK/migrate"
    mkdir -p "$dir"
    # shellcheck disable=SC2046
    run migrate $(store_args "$dir")
    expect_rc 0 "migrate on a fresh store"
    [[ "$OUT" == *"applied 1 initial schema"* ]] && ok || bad "migrate should print the applied migration, got '$OUT'"
    [[ "$OUT" =~ "schema version 0 -> "[1-9] ]] && ok || bad "migrate should print the version change from 0, got '$OUT'"
    local tables
    tables=$(sqlite3 "$dir/store.db" "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('extensions','devices','buttons','settings','events','users','api_tokens','audit') ORDER BY name)")
    [[ "$tables" == api_tokens,audit,buttons,devices,events,extensions,settings,users ]] && ok ||
        bad "migrate should create every table, got '$tables'"

    # shellcheck disable=SC2046
    run migrate $(store_args "$dir")
    expect_rc 0 "migrate again"
    [[ "$OUT" == *"up to date"* ]] && ok || bad "a second migrate should say up to date, got '$OUT'"
    [[ "$OUT" != *applied* ]] && ok || bad "a second migrate applies nothing, got '$OUT'"
}

# A bad configuration value stops serve with exit 78 and one line naming it.
test_bad_config() {
    local dir="$WORK/config"
    mkdir -p "$dir"
    printf '[admin]\ncolour = red\n' >"$dir/unknown.ini"
    printf '[admin]\nbind = nothere\n' >"$dir/badbind.ini"
    printf 'admin.bind = 127.0.0.1\nlicense.extensions = lots\n' >"$dir/badlicence.properties"
    local -a cases=(
        "admin.port|-D admin.port=70000"
        "admin.port|-D admin.port=-1"
        "admin.bind|-D admin.bind=nothere"
        "foo.bar|-D foo.bar=1"
        "missing.ini|-c $dir/missing.ini"
        "license.extensions|-D license.extensions=-1"
        "status.unknown_after|-D status.unknown_after=0"
        "http.port|-D http.port=http"
        "log.level|-D log.level=chatty"
        "admin.colour|-c $dir/unknown.ini"
        "admin.bind|-c $dir/badbind.ini"
        "license.extensions|-c $dir/badlicence.properties"
    )
    local c key args
    for c in "${cases[@]}"; do
        key=${c%%|*}
        args=${c#*|}
        # shellcheck disable=SC2086,SC2046
        run serve $(store_args "$dir") -D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0 $args
        expect_rc 78 "serve $args"
        expect_one_line "$ERR" "serve $args: stderr"
        [[ "$ERR" == *"$key"* ]] && ok || bad "serve $args: the error line should name '$key', got '$ERR'"
        [[ "$OUT" != *"admin token"* ]] && ok || bad "serve $args: no token is printed for a bad config"
    done
    [[ ! -e "$dir/store.db" ]] && ok || bad "a bad configuration must stop serve before it creates the store"
}

# backup FILE while writers run: a consistent, complete snapshot.
test_backup_under_writes() {
    use_fresh_store backup
    start_server -D license.extensions=1000
    local url="http://127.0.0.1:$ADMIN_PORT/api/v1/extensions"
    local before after snapshot writer i
    (
        for i in $(seq 1 300); do
            curl -s --max-time 10 -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" \
                -H 'Content-Type: application/json' \
                --data-binary "{\"extension\":\"$((7000 + i))\",\"callerid_name\":\"Writer $i\"}" "$url"
        done >"$DATA/writer.codes"
    ) &
    writer=$!
    for i in $(seq 1 100); do
        [[ $(count_extensions "$DATA/store.db") -ge 30 ]] && break
        sleep 0.1
    done
    before=$(count_extensions "$DATA/store.db")
    # shellcheck disable=SC2046
    run backup "$DATA/backup.db" $(store_args "$DATA")
    after=$(count_extensions "$DATA/store.db")
    wait "$writer"

    expect_rc 0 "backup while writers run"
    [[ "$before" -ge 30 && "$after" -lt 300 ]] && ok ||
        bad "test validity: the backup should run while the writer is busy (before=$before after=$after of 300)"
    [[ -s "$DATA/backup.db" ]] && ok || bad "backup should write $DATA/backup.db"
    local check
    check=$(sqlite3 "$DATA/backup.db" 'PRAGMA integrity_check' 2>&1)
    [[ "$check" == ok ]] && ok || bad "backup integrity_check should say ok, got '$check'"
    snapshot=$(count_extensions "$DATA/backup.db")
    [[ "$snapshot" -ge "$before" && "$snapshot" -le "$after" ]] && ok ||
        bad "backup should hold between $before and $after extensions, holds '$snapshot'"
    # The snapshot is whole: every extension in it has its audit entry.
    local unaudited
    unaudited=$(sqlite3 "$DATA/backup.db" "SELECT count(*) FROM extensions WHERE extension NOT IN (SELECT entity_id FROM audit WHERE entity = 'extension' AND action = 'create')")
    [[ "$unaudited" == 0 ]] && ok || bad "backup: $unaudited extensions without their audit entry (torn snapshot)"
    [[ ! -e "$DATA/backup.db-wal" && ! -e "$DATA/backup.db.partial" ]] && ok ||
        bad "backup should leave one self-contained file (no -wal, no .partial)"
    local codes
    codes=$(sort "$DATA/writer.codes" | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
    [[ "$codes" == "201x300 " ]] && ok || bad "every concurrent write should succeed during the backup, got '$codes'"
    [[ $(count_extensions "$DATA/store.db") == 300 ]] && ok || bad "the live store should hold all 300 extensions"
    # The copy is a usable store.
    # shellcheck disable=SC2046
    run migrate -D store.path="$DATA/backup.db" -D templates.dir="$TEMPLATES_DIR"
    expect_rc 0 "migrate on the backup"
    [[ "$OUT" == *"up to date"* ]] && ok || bad "the backup should be at the latest schema, got '$OUT'"

    # shellcheck disable=SC2046
    run backup $(store_args "$DATA")
    expect_rc 2 "backup without FILE"
    expect_one_line "$ERR" "backup without FILE: stderr"
    stop_server
}

# The admin token is made on the first start of a store only. Standard output
# is no terminal here, so it goes to admin-token beside the store (0600), and
# neither standard output nor the log shows it (tokens_test.sh: on a terminal).
test_token_on_first_start_only() {
    use_fresh_store restart
    start_server
    local first=$TOKEN
    [[ "$first" =~ ^prov_[A-Za-z0-9]{40}$ ]] && ok || bad "the first start should write 'prov_...' to admin-token, got '$first'"
    [[ "$(stat -c %a "$DATA/admin-token")" == 600 ]] && ok || bad "admin-token should be 0600"
    if grep -q 'prov_' "$DATA/stdout" "$DATA/stderr"; then bad "nothing token-like on stdout or in the log"; else ok; fi
    stop_server
    start_server
    [[ ! -e "$DATA/admin-token" ]] && ok || bad "a second serve on an existing store writes no admin-token"
    [[ $(grep -c 'admin token' "$DATA/stdout") == 0 ]] && ok ||
        bad "a second serve on an existing store prints no admin token, stdout: $(cat "$DATA/stdout")"
    if grep -qF -- "$first" "$DATA/stdout" "$DATA/stderr"; then bad "the second start must not show the token"; else ok; fi
    api GET /license '' "$first"
    expect_status 200 "the first token still works after a restart"
    [[ $(sqlite3 "$DATA/store.db" 'SELECT count(*) FROM api_tokens') == 1 ]] && ok ||
        bad "a restart creates no new token"
    stop_server
}

# Unknown commands and options are usage errors.
test_usage() {
    run frobnicate
    expect_rc 2 "an unknown command"
    run
    expect_rc 2 "no command"
    run serve -D novalue
    expect_rc 2 "-D without key=value"
    run help
    expect_rc 0 "help"
    [[ "$OUT" == *"token create"* ]] && ok || bad "help should list the commands"
}

# backup, export, token create, user, migrate and staging open the store
# alone: they work from a folder without vendor-templates/, given only store.path.
test_store_commands_anywhere() {
    local dir="$WORK/anywhere" elsewhere="$WORK/empty-cwd" bin
    mkdir -p "$dir" "$elsewhere"
    bin="$(cd "$(dirname "$PROVISIONER_BIN")" && pwd)/$(basename "$PROVISIONER_BIN")"
    # shellcheck disable=SC2046
    run migrate $(store_args "$dir")
    expect_rc 0 "migrate with the templates, to make the store"
    local saved_bin=$PROVISIONER_BIN
    PROVISIONER_BIN=$bin
    pushd "$elsewhere" >/dev/null || return
    [[ ! -e vendor-templates ]] && ok || bad "test validity: $elsewhere should hold no vendor-templates/"
    run token create --role admin --name anywhere -D store.path="$dir/store.db"
    expect_rc 0 "token create without vendor-templates/"
    [[ "$OUT" =~ ^prov_[A-Za-z0-9]{40}$ ]] && ok || bad "token create from elsewhere should print a token, got '$OUT' / '$ERR'"
    run backup "$dir/copy.db" -D store.path="$dir/store.db"
    expect_rc 0 "backup without vendor-templates/"
    [[ -s "$dir/copy.db" ]] && ok || bad "backup from elsewhere should write $dir/copy.db"
    run export "$dir/inventory.csv" -D store.path="$dir/store.db"
    expect_rc 0 "export without vendor-templates/"
    [[ -s "$dir/inventory.csv" ]] && ok || bad "export from elsewhere should write the CSV header at least"
    run migrate -D store.path="$dir/store.db"
    expect_rc 0 "migrate without vendor-templates/"
    run staging --once -D store.path="$dir/store.db"
    expect_rc 0 "staging --once without vendor-templates/"
    run user list -D store.path="$dir/store.db"
    expect_rc 0 "user list without vendor-templates/"
    # The commands that render or check models still need the templates, and
    # say so as the configuration error it is (exit 78, naming the key).
    run import "$dir/inventory.csv" -D store.path="$dir/store.db"
    expect_rc 78 "import without vendor-templates/"
    expect_one_line "$ERR" "import without vendor-templates/: stderr"
    [[ "$ERR" == "provisioner: config: templates.dir: 'vendor-templates' is not a folder"* ]] && ok ||
        bad "the import error should name templates.dir and vendor-templates, got '$ERR'"
    [[ ! -e var ]] && ok || bad "no command should create var/ in the working directory"
    popd >/dev/null || return
    PROVISIONER_BIN=$saved_bin
}

# The threads engine's keys are refused, from -D and from a file, with the reason.
test_removed_keys() {
    local dir="$WORK/removed"
    mkdir -p "$dir"
    printf '[http]\nmax_threads = 64\n' >"$dir/old.ini"
    local c key args
    for c in "http.engine|-D http.engine=threads" "http.overload_queue|-D http.overload_queue=5" \
        "http.max_threads|-c $dir/old.ini"; do
        key=${c%%|*}
        args=${c#*|}
        # shellcheck disable=SC2086,SC2046
        run serve $(store_args "$dir") -D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0 $args
        expect_rc 78 "serve $args"
        expect_one_line "$ERR" "serve $args: stderr"
        [[ "$ERR" == *"$key was removed: phones' HTTP and HTTPS always run on the event loops"* ]] && ok ||
            bad "serve $args: the error should say $key was removed and why, got '$ERR'"
    done
    [[ ! -e "$dir/store.db" ]] && ok || bad "a removed key must stop serve before it creates the store"
}

# --help from the command table: every command, and each one's flags.
test_help() {
    run --help
    expect_rc 0 "--help"
    local c
    for c in serve migrate "token create" backup render import export staging "config --reference"; do
        [[ "$OUT" == *"  $c"* ]] && ok || bad "--help should list '$c', got '$OUT'"
    done
    run import --help
    expect_rc 0 "import --help"
    [[ "$OUT" == *"usage: provisioner import FILE"* && "$OUT" == *"--dry-run"* && "$OUT" == *"opens the store and the vendor templates"* ]] &&
        ok || bad "import --help should give its usage, flags and what it opens, got '$OUT'"
    run config --reference
    expect_rc 0 "config --reference"
    [[ "$OUT" == *'| `admin.tls` | bool | `false` |'* ]] && ok || bad "config --reference should list admin.tls, got '$OUT'"
}

test_token_create
test_migrate
test_bad_config
test_backup_under_writes
test_token_on_first_start_only
test_usage
test_store_commands_anywhere
test_removed_keys
test_help
finish
