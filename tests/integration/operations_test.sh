#!/usr/bin/env bash
# What an operator meets on the command line, against the real binary:
# --version, every command's --help, unknown options named, configuration
# errors (exit 78, one line naming the key), relative paths taken from the
# configuration file's folder (deploy/provisioner.dev.ini as committed, run
# from elsewhere), `restore` (refused while a server holds the store, checks,
# the store kept aside), the bash completion script driven through bash's
# own completion variables, and the man page through groff and man.

source "$(dirname "$0")/lib.sh"

for tool in bash groff man sqlite3 jq curl; do
    command -v "$tool" >/dev/null || { echo "operations_test needs $tool (deploy/install-deps.sh --test)" >&2; exit 1; }
done
: "${SOURCE_DIR:?set SOURCE_DIR to the source tree}"
BIN="$(cd "$(dirname "$PROVISIONER_BIN")" && pwd)/$(basename "$PROVISIONER_BIN")"
PROVISIONER_BIN=$BIN

test_version() {
    run --version
    expect_rc 0 "--version"
    expect_one_line "$OUT" "--version: stdout"
    [[ "$OUT" =~ ^provisioner\ [0-9]+\.[0-9]+\.[0-9]+ ]] && ok || bad "--version should say 'provisioner X.Y.Z', got '$OUT'"
    local first=$OUT
    for args in "version" "serve --version"; do
        # shellcheck disable=SC2086
        run $args
        expect_rc 0 "$args"
        [[ "$OUT" == "$first" && -z "$ERR" ]] && ok || bad "$args should print '$first', got '$OUT' / '$ERR'"
    done
}

# Every command the help lists answers --help, -h and `help COMMAND` alike.
test_every_command_help() {
    run help
    local commands
    commands=$(sed -n 's/^  \([a-z][a-z]*\).*/\1/p' <<<"$OUT")
    [[ $(wc -l <<<"$commands") -ge 18 ]] && ok || bad "help should list every command, got: $commands"
    for c in serve restore version completion man; do
        grep -qx "$c" <<<"$commands" && ok || bad "help should list $c"
    done
    local c help
    for c in $commands; do
        run "$c" --help
        expect_rc 0 "$c --help"
        [[ "$OUT" == "usage: provisioner $c"* && -z "$ERR" ]] && ok || bad "$c --help: got '$OUT' / '$ERR'"
        help=$OUT
        run "$c" -h
        [[ "$RC" == 0 && "$OUT" == "$help" ]] && ok || bad "$c -h should print what --help does"
        run help "$c"
        [[ "$RC" == 0 && "$OUT" == "$help" ]] && ok || bad "help $c should print what $c --help does"
    done
    run token create --help
    [[ "$RC" == 0 && "$OUT" == "usage: provisioner token create|list|revoke"* ]] && ok ||
        bad "token create --help should give token's help, got '$OUT'"
    run restore --help
    [[ "$OUT" == *"before-restore"* && "$OUT" == *"opens the store"* ]] && ok || bad "restore --help: '$OUT'"
}

# An unknown option is named, on one line, before it can take a value.
test_unknown_options() {
    local dir="$WORK/unknown"
    mkdir -p "$dir"
    local -a cases=(
        "--colour for token|token create --role admin --colour red -D store.path=$dir/s.db"
        "--colour for config|config --reference --colour"
        "--role for backup|backup $dir/b.db --role admin -D store.path=$dir/s.db"
        "-x for serve|serve -x"
        "--colour ('provisioner --help'|--colour serve"
    )
    local c want args
    for c in "${cases[@]}"; do
        want=${c%%|*}
        args=${c#*|}
        # shellcheck disable=SC2086
        run $args
        expect_rc 2 "$args"
        expect_one_line "$ERR" "$args: stderr"
        [[ "$ERR" == "provisioner: unknown option $want"* ]] && ok || bad "$args: should name the option: '$ERR'"
    done
    [[ ! -e "$dir/s.db" && ! -e "$dir/b.db" ]] && ok || bad "a refused command line opens nothing"
}

# What the configuration names and cannot be used: exit 78, one line, the key.
test_config_errors() {
    local dir="$WORK/cfg"
    mkdir -p "$dir"
    run migrate -D store.path="$dir/s.db"
    expect_rc 0 "migrate, for the commands that open a migrated store"
    local ports="-D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0"
    local -a cases=(
        "templates.dir|serve -D store.path=$dir/s.db -D templates.dir=$dir/nothere"
        "store.path|serve -D store.path=/proc/nothere/s.db -D templates.dir=$TEMPLATES_DIR"
        "certs.dir|serve -D store.path=$dir/s.db -D templates.dir=$TEMPLATES_DIR -D certs.dir=/proc/nothere"
        "trust.ca_file|serve -D store.path=$dir/s.db -D templates.dir=$TEMPLATES_DIR -D certs.dir=$dir/certs -D trust.ca_file=$dir/missing.pem"
        "ports.file|serve -D store.path=$dir/s.db -D templates.dir=$TEMPLATES_DIR -D certs.dir=$dir/certs -D ports.file=/proc/nothere/p.json"
        "http.bind|serve -D store.path=$dir/s.db -D templates.dir=$TEMPLATES_DIR -D certs.dir=$dir/certs -D http.bind=192.0.2.1"
        "trust.ca_file|render 00:15:65:4a:a9:37 x.cfg -D store.path=$dir/s.db -D templates.dir=$TEMPLATES_DIR -D trust.ca_file=$dir/missing.pem"
        "templates.dir|import $dir/none.csv -D store.path=$dir/s.db -D templates.dir=$dir/nothere"
        "store.path|token create --role admin -D store.path=/proc/nothere/s.db"
        "http.port|serve -D store.path=$dir/s.db -D http.port=http"
    )
    local c key args
    for c in "${cases[@]}"; do
        key=${c%%|*}
        args=${c#*|}
        # The command, the free ports, then the case's own -D (the last of a key wins).
        # shellcheck disable=SC2086
        run ${args%% *} $ports ${args#* }
        expect_rc 78 "$args"
        expect_one_line "$ERR" "$args: stderr"
        [[ "$ERR" == "provisioner: config: $key"* ]] && ok || bad "$args: the line should start 'config: $key', got '$ERR'"
    done
}

# deploy/provisioner.dev.ini as committed, in a copy of the repository's
# layout, used from another folder: its paths are the repository's.
test_relative_paths() {
    local repo="$WORK/repo" elsewhere="$WORK/elsewhere"
    mkdir -p "$repo/deploy" "$elsewhere"
    cp "$SOURCE_DIR/deploy/provisioner.dev.ini" "$repo/deploy/"
    ln -s "$(cd "$TEMPLATES_DIR" && pwd)" "$repo/vendor-templates"
    pushd "$elsewhere" >/dev/null || return
    run token create --role admin --name relative -c ../repo/deploy/provisioner.dev.ini
    expect_rc 0 "token create -c ../repo/deploy/provisioner.dev.ini"
    [[ -s "$repo/var/provisioner.db" ]] && ok || bad "the store should be the repository's var/provisioner.db"
    # -D paths are the working directory's.
    "$BIN" serve -c "$repo/deploy/provisioner.dev.ini" -D admin.port=0 -D http.port=0 -D https.port=0 \
        -D tftp.port=0 -D ports.file=ports.json -D resync.route=off >"$WORK/rel.out" 2>"$WORK/rel.err" &
    local pid=$! i
    for i in $(seq 1 100); do [[ -s ports.json ]] && break; sleep 0.1; done
    [[ -s "$elsewhere/ports.json" ]] && ok || bad "ports.file from -D should be in the working directory: $(cat "$WORK/rel.err")"
    [[ -s "$repo/certs/server.crt" ]] && ok || bad "certs.dir ../certs should be the repository's certs/"
    # The same store: the token the CLI made through the same file is the server's.
    ADMIN_PORT=$(jq -r .admin ports.json 2>/dev/null)
    api GET /license '' "$OUT"
    expect_status 200 "the token made with the dev config works on the server started with it"
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [[ ! -e var && ! -e certs && ! -e vendor-templates ]] && ok || bad "nothing of the config's is made in the working directory"
    popd >/dev/null || return
}

# backup, more changes, then restore: refused while serving, checked, the store kept aside.
test_restore() {
    use_fresh_store restore
    start_server
    api POST /extensions '{"extension":"2001","callerid_name":"Before the backup"}'
    expect_status 201 "extension before the backup"
    # shellcheck disable=SC2046
    run backup "$DATA/monday.db" $(store_args "$DATA")
    expect_rc 0 "backup"
    api POST /extensions '{"extension":"2002","callerid_name":"After the backup"}'
    expect_status 201 "extension after the backup"

    # shellcheck disable=SC2046
    run restore "$DATA/monday.db" $(store_args "$DATA")
    expect_rc 75 "restore while the server runs"
    expect_one_line "$ERR" "restore while serving: stderr"
    [[ "$ERR" == *"is in use by another provisioner serve (process $SERVER_PID)"*"stop it before a restore"* ]] && ok ||
        bad "restore while serving should say the server holds the store, got '$ERR'"
    stop_server
    [[ $(sqlite3 "$DATA/store.db" 'SELECT count(*) FROM extensions') == 2 ]] && ok || bad "the refused restore changed the store"

    printf 'not a store\n' >"$WORK/garbage.db"
    cp "$DATA/monday.db" "$WORK/newer.db"
    sqlite3 "$WORK/newer.db" "INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, 'future', 0)"
    local f
    for f in "garbage.db|is not a store this provisioner can restore" "newer.db|has schema version 999" \
        "missing.db|cannot read"; do
        # shellcheck disable=SC2046
        run restore "$WORK/${f%%|*}" $(store_args "$DATA")
        expect_rc 65 "restore ${f%%|*}"
        expect_one_line "$ERR" "restore ${f%%|*}: stderr"
        [[ "$ERR" == *"${f#*|}"*"the store is unchanged" ]] && ok || bad "restore ${f%%|*}: '$ERR'"
    done
    [[ $(sqlite3 "$DATA/store.db" 'SELECT count(*) FROM extensions') == 2 ]] && ok || bad "a refused backup changed the store"
    if compgen -G "$DATA/store.db.before-restore-*" >/dev/null; then bad "a refused restore should set nothing aside"; else ok; fi

    # shellcheck disable=SC2046
    run restore "$DATA/monday.db" $(store_args "$DATA")
    expect_rc 0 "restore"
    local aside
    aside=$(sed -n 's/^the store it replaced is kept as //p' <<<"$OUT")
    [[ "$aside" == "$DATA/store.db.before-restore-"* && -s "$aside" ]] && ok || bad "restore should name the kept store: '$OUT'"
    [[ $(stat -c %a "$aside") == 600 && $(stat -c %a "$DATA/store.db") == 600 ]] && ok ||
        bad "the restored and the kept store should be 0600"
    [[ $(sqlite3 "$aside" 'SELECT count(*) FROM extensions') == 2 ]] && ok || bad "the kept store should hold both extensions"
    [[ $(sqlite3 "$DATA/store.db" 'PRAGMA integrity_check') == ok ]] && ok || bad "the restored store fails its check"
    start_server
    api GET /extensions/2001
    expect_status 200 "the backup's extension is back"
    api GET /extensions/2002
    expect_status 404 "the extension made after the backup is gone"
    stop_server
}

# The completion script, sourced into bash and asked as bash's completion would.
test_completion() {
    run completion bash
    expect_rc 0 "completion bash"
    printf '%s\n' "$OUT" >"$WORK/provisioner.bash"
    bash -n "$WORK/provisioner.bash" && ok || bad "the completion script should be valid bash"
    mkdir -p "$WORK/comp"
    : >"$WORK/comp/monday.db"
    # complete WORD...: what _provisioner offers for the last word.
    cat >"$WORK/complete.sh" <<'EOF'
source "$1"; shift
COMP_WORDS=(provisioner "$@"); COMP_CWORD=$#; COMPREPLY=()
_provisioner
printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
EOF
    local -a cases=(
        "tok|token "
        "token |create list revoke "
        "token create --r|--role "
        "firmware rollout |halt rollback show start "
        "firmware rollout show --v|--vendor --version "
        "-D https.client_c|https.client_cert= "
        "serve -D https.client_cert = |none optional required "
        "serve -D tls.legacy_phones = t|true "
        "help res|restore resync "
        "restore $WORK/comp/mo|$WORK/comp/monday.db "
        "completion |bash "
        "-c $WORK/comp/mon|$WORK/comp/monday.db "
        "--ver|--version "
    )
    local c words want got
    for c in "${cases[@]}"; do
        words=${c%%|*}
        want=${c#*|}
        local -a argv=()
        read -r -a argv <<<"$words"
        [[ "$words" == *" " ]] && argv+=("")
        got=$(bash "$WORK/complete.sh" "$WORK/provisioner.bash" "${argv[@]}")
        [[ "$got" == "$want" ]] && ok || bad "completing '$words' should offer '$want', got '$got'"
    done
    run completion zsh
    expect_rc 2 "completion zsh"
}

# The man page: groff reads it without a warning, man renders its sections.
test_man() {
    run man
    expect_rc 0 "man"
    printf '%s\n' "$OUT" >"$WORK/provisioner.1"
    local warnings
    warnings=$(groff -man -Tutf8 -ww -z "$WORK/provisioner.1" 2>&1)
    [[ -z "$warnings" ]] && ok || bad "groff warns about the man page: $warnings"
    MANWIDTH=100 MANPAGER=cat man -l "$WORK/provisioner.1" >"$WORK/man.txt" 2>"$WORK/man.err"
    local s
    for s in "NAME" "SYNOPSIS" "COMMANDS" "restore FILE" "CONFIGURATION" "store.path (path, default var/provisioner.db" \
        "EXIT STATUS" "--password-file FILE"; do
        grep -qF -- "$s" "$WORK/man.txt" && ok || bad "man -l should render '$s'"
    done
}

test_version
test_every_command_help
test_unknown_options
test_config_errors
test_relative_paths
test_restore
test_completion
test_man
finish
