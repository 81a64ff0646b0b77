#!/bin/bash
# Run by package_test.sh inside a fresh Debian 12 root, as root, with the
# package in /check/ and its dependencies already in apt's cache (the root
# has no network):
#   in_root.sh systemd   booted with systemd-nspawn -b: the service is
#                        started, reloaded and stopped by systemd
#   in_root.sh chroot    in a chroot: the binary is started by hand as the
#                        service user, with the unit's ExecStart= and
#                        capability
# Installs the package as an admin would (apt-get install ./provisioner_*.deb),
# checks what it installed, takes the first configuration step, starts the
# service, checks /healthz and /readyz, fetches a phone's files over HTTP,
# HTTPS and TFTP, overrides a template and reloads, reinstalls (the upgrade
# path: backup, migration), removes and purges it. One line per check; the
# last says how many passed.
set -u
mode=$1
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok: $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
# check WHAT COMMAND...: ok when the command succeeds.
check() {
    local what=$1
    shift
    if "$@" >/tmp/check.out 2>&1; then ok "$what"; else bad "$what: $(tail -3 /tmp/check.out)"; fi
}

CONFIG=/etc/provisioner/provisioner.ini
STATE=/var/lib/provisioner
UNIT=/lib/systemd/system/provisioner.service
MAC=00:15:65:4a:a9:37
export DEBIAN_FRONTEND=noninteractive

# as_service COMMAND...: as the provisioner user, the way README.md says.
as_service() { runuser -u provisioner -- "$@"; }
# http METHOD URL [BODY]: curl with the admin token; STATUS and BODY set.
http() {
    local args=(-s --max-time 10 -o /tmp/body -w '%{http_code}' -X "$1" -H "Authorization: Bearer $TOKEN")
    [[ -n "${3-}" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    STATUS=$(curl "${args[@]}" "$2")
    BODY=$(cat /tmp/body)
}
# serving: until the admin port answers (20 s at most).
serving() {
    for _ in $(seq 1 200); do
        curl -s -o /dev/null --max-time 1 http://127.0.0.1:9090/ && return 0
        sleep 0.1
    done
    return 1
}

SERVER_PID=""
start_service() {
    if [[ $mode == systemd ]]; then
        systemctl start provisioner.service
        return
    fi
    # As the unit would: its ExecStart=, user, folder and capability.
    local exec_start
    exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
    (cd "$STATE" && umask 077 && exec setpriv --reuid=provisioner --regid=provisioner --init-groups \
        --inh-caps=+net_bind_service --ambient-caps=+net_bind_service -- $exec_start) \
        >>/tmp/server.log 2>&1 &
    SERVER_PID=$!
}
stop_service() {
    if [[ $mode == systemd ]]; then
        systemctl stop provisioner.service
    elif [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID"
        wait "$SERVER_PID"
        SERVER_PID=""
    fi
}
# server_log: what the server wrote (the journal, or its output by hand).
server_log() {
    if [[ $mode == systemd ]]; then journalctl -u provisioner.service --no-pager -o cat; else cat /tmp/server.log; fi
}

echo "== install (${mode})"
deb=$(ls /check/provisioner_*.deb)
check "apt-get install ./$(basename "$deb") (dependencies from its Depends, offline from the cache)" \
    apt-get install -y --no-install-recommends "$deb"

echo "== what the package installed"
check "the service user is a system user without a shell" \
    bash -c '[[ $(getent passwd provisioner | cut -d: -f3) -lt 1000 && $(getent passwd provisioner | cut -d: -f7) == /usr/sbin/nologin ]]'
check "its state folder is 0700 and its own" \
    bash -c "[[ \$(stat -c '%a %U %G' $STATE) == '700 provisioner provisioner' ]]"
check "the configuration is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' provisioner | grep -q '$CONFIG '"
check "the configuration is readable by the service, not by others" \
    bash -c "[[ \$(stat -c '%a %U %G' $CONFIG) == '640 root provisioner' ]]"
check "the binary" test -x /usr/bin/provisioner
check "the templates" test -f /usr/share/provisioner/vendor-templates/yealink/vendor.json
check "the portal" test -f /usr/share/provisioner/portal/index.html
check "the man page (roff)" bash -c "zcat /usr/share/man/man1/provisioner.1.gz | grep -q '^\\.TH'"
check "the bash completion completes the commands" \
    bash -c 'source /usr/share/bash-completion/completions/provisioner && complete -p provisioner'
check "the DHCP examples" test -f /usr/share/doc/provisioner/examples/dhcp/dnsmasq.conf
score=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null | tail -1)
echo "   $score"
check "systemd-analyze security --offline=true rates the unit 2.0 or better" \
    awk -v line="$score" 'BEGIN { n = split(line, w, " "); for (i = 1; i <= n; i++) if (w[i] ~ /^[0-9]+\.[0-9]+$/) exit !(w[i] + 0 <= 2.0); exit 1 }'

if [[ $mode == systemd ]]; then
    check "the unit is enabled" systemctl is-enabled --quiet provisioner.service
    check "and not started" bash -c '! systemctl is-active --quiet provisioner.service'
    systemctl start provisioner.service
    check "a start before the first configuration step is skipped (ConditionPathExists)" \
        bash -c "! systemctl is-active --quiet provisioner.service &&
                 [[ \$(systemctl show -p ConditionResult --value provisioner.service) == no ]]"
fi

echo "== the first configuration step, then the service"
check "provisioner user add, as the service user, makes the store" \
    bash -c "printf 'a long pass phrase\n' | runuser -u provisioner -- provisioner user add admin --role admin -c $CONFIG &&
             [[ \$(stat -c %U $STATE/provisioner.db) == provisioner ]]"
start_service
check "the service serves (the admin port answers)" serving
if [[ $mode == systemd ]]; then
    check "systemd has its READY=1 (active, status 'serving phones')" \
        bash -c "systemctl is-active --quiet provisioner.service &&
                 [[ \$(systemctl show -p StatusText --value provisioner.service) == 'serving phones' ]]"
    check "with a watchdog" bash -c "[[ \$(systemctl show -p WatchdogUSec --value provisioner.service) == 30s ]]"
    score=$(systemd-analyze security provisioner.service 2>/dev/null | tail -1)
    echo "   running: $score"
fi
for _ in $(seq 1 50); do [[ -s $STATE/admin-token ]] && break; sleep 0.1; done
TOKEN=$(cat $STATE/admin-token 2>/dev/null)
check "the first start wrote its admin token beside the store, 0600" \
    bash -c "[[ -n '$TOKEN' && \$(stat -c '%a %U' $STATE/admin-token) == '600 provisioner' ]]"

for probe in healthz readyz; do
    code=$(curl -s -o /tmp/probe -w '%{http_code}' --max-time 5 "http://127.0.0.1:9090/$probe")
    if [[ $code == 200 ]]; then ok "/$probe answers 200"; else bad "/$probe answers $code: $(cat /tmp/probe)"; fi
done

echo "== a phone"
API=http://127.0.0.1:9090/api/v1
http PUT $API/settings '{"sip_server":"pbx.example.net","provisioning_url":"http://127.0.0.1/"}'
[[ $STATUS == 200 ]] && ok "settings" || bad "PUT /settings: $STATUS $BODY"
http POST $API/extensions "{\"extension\":\"1001\",\"callerid_name\":\"Alice\",\"mac\":\"$MAC\",\"phone_make\":\"Yealink\",\"phone_model\":\"T46U\"}"
[[ $STATUS == 201 ]] && ok "an extension on a Yealink" || bad "POST /extensions: $STATUS $BODY"
check "a staging window for it (provisioner window open, as the service user)" \
    as_service provisioner window open --macs $MAC --minutes 30 -c $CONFIG
UA="Yealink SIP-T46U 108.86.0.20 $MAC"
check "HTTP on port 80: its config, with its account" \
    bash -c "curl -sf --max-time 10 -A '$UA' http://127.0.0.1/0015654aa937.cfg | grep -q 'account.1.user_name = 1001'"
check "HTTPS on port 443: the boot file" \
    bash -c "curl -sfk --max-time 10 -A '$UA' https://127.0.0.1/y000000000000.boot | grep -q '^#!version'"
check "TFTP on port 69: the boot file" \
    bash -c "curl -sf --max-time 10 tftp://127.0.0.1/y000000000000.boot | grep -q '^#!version'"

echo "== an admin's template, kept apart from the package's, and a reload"
mkdir -p /etc/provisioner/vendor-templates/yealink
{ cat /usr/share/provisioner/vendor-templates/yealink/common.boot.mustache; echo '# site override'; } \
    >/etc/provisioner/vendor-templates/yealink/common.boot.mustache
if [[ $mode == systemd ]]; then
    check "systemctl reload" systemctl reload provisioner.service
else
    kill -HUP "$SERVER_PID"
fi
overridden=""
for _ in $(seq 1 50); do
    curl -s --max-time 5 http://127.0.0.1/y000000000000.boot | grep -q '^# site override' && { overridden=1; break; }
    sleep 0.1
done
[[ -n $overridden ]] && ok "the override is served after the reload" || bad "the override is not served"
if server_log | grep -q 'TLS certificate reloaded'; then ok "the reload re-read the certificate too"
else bad "no 'TLS certificate reloaded' in the server's log"; fi
if [[ $mode == systemd ]]; then
    check "and the service is still active" systemctl is-active --quiet provisioner.service
fi

echo "== upgrade (a reinstall: prerm upgrade, postinst configure)"
[[ $mode == chroot ]] && stop_service  # no systemd here to stop it
check "apt-get install --reinstall" bash -c "apt-get install -y --reinstall '$deb' >/tmp/reinstall.out 2>&1"
check "the store was backed up first (0600, the service user's)" \
    bash -c "f=\$(ls $STATE/backups/provisioner.db.before-*); [[ -n \$f && \$(stat -c '%a %U' \$f) == '600 provisioner' ]]"
check "and migrated (postinst said so; the store is up to date)" \
    bash -c "grep -q 'provisioner: migrating the store' /tmp/reinstall.out &&
             runuser -u provisioner -- provisioner migrate -c $CONFIG | grep -q 'up to date'"
if [[ $mode == systemd ]]; then
    check "the service runs again" systemctl is-active --quiet provisioner.service
    check "and serves" serving
    stop_service
fi
check "the override survived the upgrade" grep -q '^# site override' /etc/provisioner/vendor-templates/yealink/common.boot.mustache

echo "== remove keeps the user, the state and the configuration"
check "apt-get remove" apt-get remove -y provisioner
check "the binary is gone" test ! -e /usr/bin/provisioner
check "the user stays" getent passwd provisioner
check "the store stays" test -f $STATE/provisioner.db
check "the configuration stays" test -f $CONFIG

echo "== purge removes them"
check "apt-get purge" apt-get purge -y provisioner
check "the user is gone" bash -c '! getent passwd provisioner && ! getent group provisioner'
check "the state is gone" test ! -e $STATE
check "the configuration is gone" test ! -e $CONFIG
check "the admin's own templates are left" test -f /etc/provisioner/vendor-templates/yealink/common.boot.mustache

echo "in-root ($mode): $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
