#!/usr/bin/env bash
# No fetch event lost while PostgreSQL is away: one `provisioner serve` on a
# cluster this test starts itself (tests/pg/with_cluster.sh), fetched from
# before, during and after a 30 s stop of PostgreSQL. Meanwhile the events
# wait in the event spool (events.spool_dir: files on disk, counted on
# /metrics); once PostgreSQL is back the spool is stored and emptied, and the
# events table holds exactly one row per fetch made, in the order made.
if [[ -z "${PROVISIONER_TEST_PG_URL:-}" ]]; then
    exec bash "$(dirname "$0")/../pg/with_cluster.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

PG_URL="$PROVISIONER_TEST_PG_URL"
PG_CTL="$PROVISIONER_TEST_PG_CTL"
UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
OUTAGE_SECONDS=30

start_server -D store.url="$PG_URL"
SPOOL="$DATA/events-spool"  # the default: beside store.path
golden_settings
add_phone yealink 00:15:65:4a:a9:37 Yealink T46U 10

sql() { psql "$PG_URL" -Atq -c "$1"; }
metric() {
    curl -s --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" |
        awk -v name="$1" '$1 == name { print $2; found = 1 } END { if (!found) print "absent" }'
}
spool_files() { find "$SPOOL" -name '*.batch' | wc -l; }

# fetch: one fetch, the N-th: even ones the phone's own config, odd ones a
# numbered file that is not there (refused fetches make events too). Every
# fetch must be answered, whatever the answer: an answered one has its event.
FETCHES=0
UNANSWERED=0
fetch() {
    local path="0015654aa937.cfg"
    ((FETCHES % 2)) && path="probe-$FETCHES.txt"
    local code
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -A "$UA" "http://127.0.0.1:$HTTP_PORT/$path")
    [[ "$code" == 000 ]] && UNANSWERED=$((UNANSWERED + 1))
    echo "$FETCHES $path $code" >>"$WORK/fetches"
    FETCHES=$((FETCHES + 1))
}

# 1. PostgreSQL up: 200 fetches, stored as they come.
for _ in $(seq 1 200); do fetch; done
before=$FETCHES

# 2. PostgreSQL stopped for 30 s, fetches going on (bounded: 2,000 at most).
"$PG_CTL" stop -m fast -w >/dev/null 2>&1 && ok || bad "the cluster did not stop"
stopped=$SECONDS
spooled_seen=""
for _ in $(seq 1 2000); do
    ((SECONDS - stopped >= OUTAGE_SECONDS)) && break
    fetch
    if [[ -z "$spooled_seen" ]] && ((SECONDS - stopped >= 10)); then
        files=$(spool_files)
        spooled=$(metric provisioner_events_spooled)
        ((files > 0)) && ok || bad "no batch in $SPOOL 10 s into the outage"
        [[ "$spooled" != absent ]] && ((spooled > 0)) && ok || bad "provisioner_events_spooled is $spooled 10 s into the outage"
        # /readyz: still ready, serving from memory, the spool counted.
        ready=$(curl -s --max-time 5 -w '\n%{http_code}' "http://127.0.0.1:$ADMIN_PORT/readyz")
        [[ "$(tail -1 <<<"$ready")" == 200 ]] && ok || bad "/readyz during the outage: $ready"
        grep -q '^serving: cache$' <<<"$ready" && ok || bad "/readyz does not say it serves from cache: $ready"
        ready_spooled=$(sed -n 's/^events_spooled: //p' <<<"$ready")
        [[ -n "$ready_spooled" ]] && ((ready_spooled > 0)) && ok || bad "/readyz events_spooled: '$ready_spooled'"
        echo "10 s into the outage: $files spool files, $spooled events spooled" >&2
        spooled_seen=yes
    fi
    sleep 0.02
done
during=$((FETCHES - before))
# The phone's own config went on being served (from memory) all through it.
served_during=$(awk -v from="$before" '$1 >= from && $2 == "0015654aa937.cfg" && $3 == 200' "$WORK/fetches" | wc -l)
asked_during=$(awk -v from="$before" '$1 >= from && $2 == "0015654aa937.cfg"' "$WORK/fetches" | wc -l)
((served_during == asked_during)) && ok || bad "the config was served $served_during times of $asked_during during the outage"
((during >= 100)) && ok || bad "only $during fetches during the outage"
[[ -n "$spooled_seen" ]] && ok || bad "the outage ended before the spool was looked at"
[[ $(sql "SELECT 1" 2>/dev/null) != 1 ]] && ok || bad "PostgreSQL answered during the outage"
grep -q "events go to the spool" "$DATA/stderr" && ok || bad "no log line says events are spooled"

# 3. PostgreSQL back: the spool is stored and emptied (within 20 s).
"$PG_CTL" start -w >/dev/null 2>&1 && ok || bad "the cluster did not start again"
for _ in $(seq 1 200); do
    (($(spool_files) == 0)) && [[ $(metric provisioner_events_spooled) == 0 ]] && break
    sleep 0.1
done
(($(spool_files) == 0)) && ok || bad "$(spool_files) spool files left 20 s after PostgreSQL came back"
[[ $(metric provisioner_events_spooled) == 0 ]] && ok || bad "provisioner_events_spooled is not 0 after the spool drained"

# 4. And after it, fetches are stored directly again.
for _ in $(seq 1 20); do fetch; done
((UNANSWERED == 0)) && ok || bad "$UNANSWERED of $FETCHES fetches got no answer"

# Every fetch is one row (the last batch within 5 s), never two.
rows=""
for _ in $(seq 1 50); do
    rows=$(sql "SELECT COUNT(*) FROM events")
    [[ "$rows" == "$FETCHES" ]] && break
    sleep 0.1
done
echo "$FETCHES fetches ($during during a ${OUTAGE_SECONDS} s outage); $rows events stored" >&2
[[ "$rows" == "$FETCHES" ]] && ok || bad "events: $rows rows for $FETCHES fetches"
probes=$(sql "SELECT COUNT(*) FROM events WHERE path LIKE 'probe-%'")
[[ "$probes" == $((FETCHES / 2)) ]] && ok || bad "probe events: $probes, fetched $((FETCHES / 2))"
[[ $(metric provisioner_events_spool_dropped_total) == 0 ]] && ok || bad "events were dropped for a full spool"
[[ $(sql "SELECT COUNT(*) FROM event_batches") -gt 0 ]] && ok || bad "no batch id recorded"

# In the order made: the probes' numbers rise with the events' ids, and so
# does their time.
sql "SELECT path FROM events WHERE path LIKE 'probe-%' ORDER BY id" |
    sed 's/^probe-//; s/\.txt$//' >"$WORK/order"
sort -n -c "$WORK/order" 2>/dev/null && ok || bad "probe events stored out of order: $(head -c 300 "$WORK/order" | tr '\n' ' ')"
[[ $(sort -n -u "$WORK/order" | wc -l) == "$probes" ]] && ok || bad "a probe event stored twice"
[[ $(sql "SELECT COUNT(*) FROM (SELECT at < LAG(at) OVER (ORDER BY id) AS back FROM events) t WHERE back") == 0 ]] &&
    ok || bad "an event's time is before the one stored before it"

finish
