#!/usr/bin/env bash
# Admin API edges against the real binary: every integer the API takes
# (bodies and query strings), sent out of its range, beyond int, beyond
# int64, beyond any double, is a 400 naming the field, never a 500, and
# stores nothing; a JSON key given twice in one object, at any depth, is a
# 400 naming the key (Poco's parser keeps the last one silently). Contract:
# docs/api.md, "Errors".

source "$(dirname "$0")/lib.sh"

MAC=00:15:65:ee:00:01

# Numbers no field of the API takes: past int, past int64 (18446744073709551617
# was read as 1 by the parser), past any double, and negative ones.
HUGE=(2147483648 4294967297 9223372036854775807 9223372036854775808 18446744073709551615
      18446744073709551617 99999999999999999999 1e400 -1e400 -9223372036854775809 -1)

# refused_field FIELD METHOD PATH BODY [TOKEN]: 400 naming FIELD in
# .error.fields. (unchanged_since checks that a batch of them stored nothing.)
refused_field() {
    local field=$1
    shift
    api "$@"
    # The answer's one line names the field as "FIELD": in .error.fields (jq
    # only when the name needs JSON escapes: it costs a process a call).
    if [[ "$STATUS" == 400 && "$BODY" == *'"fields":{'*"\"$field\":"* ]]; then
        ok
    elif [[ "$STATUS" == 400 ]] && jq -e --arg f "$field" '.error.fields | has($f)' <<<"$BODY" >/dev/null 2>&1; then
        ok
    else
        bad "$1 $2 ${3:0:120}: expected 400 naming '$field'"
    fi
}

# unchanged_since FINGERPRINT WHAT: the store (the audit included) is as it was.
unchanged_since() {
    [[ "$(store_fingerprint)" == "$1" ]] && ok || bad "$2: stored something although refused"
}

# refused_query FIELD PATH: GET PATH is a 400 naming FIELD.
refused_query() {
    api GET "$2"
    if [[ "$STATUS" == 400 ]] && jq -e --arg f "$1" '.error.fields | has($f)' <<<"$BODY" >/dev/null 2>&1; then
        ok
    else
        bad "GET $2: expected 400 naming '$1'"
    fi
}

INSTALLER=""

setup() {
    # shellcheck disable=SC2046
    run token create --role installer $(store_args "$DATA")
    expect_rc 0 "token create --role installer"
    INSTALLER=$OUT
    api POST /devices "{\"mac\":\"$MAC\",\"make\":\"Yealink\",\"model\":\"T46U\"}"
    expect_status 201 "a device"
    api POST /extensions "{\"extension\":\"1001\",\"callerid_name\":\"A\",\"mac\":\"$MAC\",\"phone_reg\":1}"
    expect_status 201 "extension 1001"
}

# Every integer in a body, each out-of-range value.
test_integers_in_bodies() {
    local n fp
    fp=$(store_fingerprint)
    for n in "${HUGE[@]}"; do
        refused_field phone_reg POST /extensions "{\"extension\":\"1002\",\"callerid_name\":\"B\",\"mac\":\"$MAC\",\"phone_reg\":$n}"
        refused_field phone_reg PATCH /extensions/1001 "{\"phone_reg\":$n}"
        refused_field phone_reg PUT /extensions/1001 "{\"callerid_name\":\"A\",\"mac\":\"$MAC\",\"phone_reg\":$n}"
        # A version within int64 is a version (409 when it is not the current one).
        if [[ ! "$n" =~ ^[0-9]{1,19}$ || "$n" > 9223372036854775807 ]]; then
            refused_field version PATCH /extensions/1001 "{\"callerid_name\":\"X\",\"version\":$n}"
            refused_field version PATCH "/devices/$MAC" "{\"label\":\"X\",\"version\":$n}"
        fi
        refused_field 'buttons[0].index' PUT /extensions/1001/buttons "[{\"index\":$n,\"type\":\"line\"}]"
        refused_field 'buttons[1].line' PUT /extensions/1001/buttons \
            "[{\"index\":1,\"type\":\"line\"},{\"index\":2,\"type\":\"line\",\"line\":$n}]"
        refused_field port PUT /extensions/1001/registration "{\"status\":\"OK\",\"ip\":\"10.0.0.5\",\"port\":$n}"
        refused_field sip_port PUT /settings "{\"sip_port\":$n}"
        refused_field resync_interval PUT /settings "{\"resync_interval\":$n}"
        refused_field sip_port PUT "/devices/$MAC/settings" "{\"sip_port\":$n}"
        refused_field minutes POST /staging/windows "{\"macs\":[\"$MAC\"],\"minutes\":$n}"
        refused_field max_devices POST /staging/windows "{\"label\":\"HQ\",\"minutes\":5,\"max_devices\":$n}"
        # A number where a string goes, or an unknown field: still named, still a 400.
        refused_field callerid_name PATCH /extensions/1001 "{\"callerid_name\":$n}"
        unchanged_since "$fp" "the requests with $n"
    done
    # An item of a list is named with its index when the parser refuses it.
    refused_field 'macs[1]' POST /staging/windows "{\"macs\":[\"$MAC\",99999999999999999999],\"minutes\":5}"
    refused_field 'macs[0]' POST /staging/windows '{"macs":[1e400],"minutes":5}'
    refused_field macs POST /staging/windows '{"macs":[2147483648],"minutes":5}'
    refused_field version PATCH /extensions/1001 '{"callerid_name":"X","version":0}'
    # Fractions and exponents are not integers, and say so.
    for n in 1.5 1e3 1e-400 5.0; do
        refused_field phone_reg PATCH /extensions/1001 "{\"phone_reg\":$n}"
        refused_field sip_port PUT /settings "{\"sip_port\":$n}"
    done
    unchanged_since "$fp" "the refused integers"
    # 18446744073709551617 is not line 1: the extension is on line 1 and stays there untouched.
    api PATCH /extensions/1001 '{"phone_reg":18446744073709551617}'
    expect_json '.error.fields.phone_reg' 'is out of range' "18446744073709551617 is out of range, not 1"
    # The edges that are in range still work.
    api PATCH /extensions/1001 '{"phone_reg":2}'
    expect_status 200 "phone_reg 2"
    api PUT /extensions/1001/registration '{"status":"OK","ip":"10.0.0.5","port":65535}'
    expect_status 200 "port 65535"
}

# Query parameters: paging and times.
test_integers_in_queries() {
    local path n
    for path in /extensions /devices /events /audit /staging; do
        for n in 99999999999999999999 18446744073709551617 2147483648 1001 0 -1 1e3 1.5 abc ''; do
            refused_query limit "$path?limit=$n"
        done
        for n in 99999999999999999999 2147483648 1000000001 -1 1e3; do
            refused_query offset "$path?offset=$n"
        done
        api GET "$path?limit=1000&offset=1000000000"
        expect_status 200 "GET $path at the edges of paging"
    done
    for path in /events /audit; do
        for n in 99999999999999999999 9999999999999 -1 1e400 2026-13-01T00:00:00Z; do
            refused_query since "$path?since=$n"
        done
    done
    # A window id past any integer is no window.
    api GET /staging/windows/99999999999999999999
    expect_status 404 "GET a window id past int64"
    api DELETE /staging/windows/18446744073709551617
    expect_status 404 "DELETE a window id past int64"
}

# A key twice in one object, at any depth, is refused naming it; the same
# key in different objects, or inside a string, is not.
test_duplicate_keys() {
    local fp
    fp=$(store_fingerprint)
    refused_field extension POST /extensions '{"extension":"1003","callerid_name":"C","extension":"1004"}'
    refused_field callerid_name POST /extensions '{"extension":"1003","callerid_name":"ok","callerid_name":"=evil"}'
    refused_field callerid_name PATCH /extensions/1001 '{"callerid_name":"a","callerid_name":"b"}'
    refused_field version PATCH /extensions/1001 '{"callerid_name":"a","version":1,"version":99}'
    refused_field label PATCH "/devices/$MAC" '{"label":"a","label":"b"}'
    refused_field 'buttons[1].type' PUT /extensions/1001/buttons \
        '[{"index":1,"type":"line"},{"index":2,"type":"blf","value":"1001","type":"line"}]'
    refused_field status PUT /extensions/1001/registration '{"status":"OK","status":"UNREACHABLE"}'
    refused_field sip_port PUT /settings '{"sip_port":5060,"sip_port":5061}'
    refused_field timezone PUT "/devices/$MAC/settings" '{"timezone":null,"timezone":"UTC"}'
    refused_field minutes POST /staging/windows "{\"macs\":[\"$MAC\"],\"minutes\":5,\"minutes\":600}"
    # Escapes are decoded before keys are compared: \u0062 is b, \" a quote.
    refused_field label PATCH "/devices/$MAC" '{"label":"a","la\u0062el":"b"}'
    refused_field 'a"b' PATCH "/devices/$MAC" '{"a\"b":1,"serial":"x","a\"b":2}'
    # Nested objects in a field that takes none are still checked for duplicates first.
    refused_field 'notes.x' PATCH /extensions/1001 '{"notes":{"x":1,"x":2}}'
    # As an installer, too (a device label: installers set them).
    refused_field label PATCH "/devices/$MAC" '{"label":"Lobby","label":"=HYPERLINK(\"http://evil/\")"}' "$INSTALLER"
    unchanged_since "$fp" "the bodies with a key twice"

    # Not duplicates: the same key in sibling objects, keys inside strings, case.
    api PUT /extensions/1001/buttons '[{"index":1,"type":"line"},{"index":2,"type":"line","line":2}]'
    expect_status 200 "the same keys in two buttons"
    api PATCH /extensions/1001 '{"callerid_name":"\"callerid_name\":1,\"callerid_name\":2","notes":"a\\\"b"}'
    expect_status 200 "keys inside a string are text"
    expect_json .callerid_name '"callerid_name":1,"callerid_name":2'
    refused_field Notes PATCH /extensions/1001 '{"notes":"x","Notes":"y"}'  # not a duplicate: an unknown field
}

# Nothing above was a 500, and the server is still up.
test_no_internal_errors() {
    kill -0 "$SERVER_PID" 2>/dev/null && ok || bad "the server died"
    if grep -q ' 500 ' "$DATA/stderr" "$DATA/stdout"; then
        bad "a request got a 500: $(grep ' 500 ' "$DATA/stderr" "$DATA/stdout" | head -5)"
    else
        ok
    fi
    if grep -q 'admin API:' "$DATA/stderr" "$DATA/stdout"; then
        bad "internal errors were logged: $(grep 'admin API:' "$DATA/stderr" "$DATA/stdout" | head -5)"
    else
        ok
    fi
}

start_server
setup
test_integers_in_bodies
test_integers_in_queries
test_duplicate_keys
test_no_internal_errors
stop_server
finish
