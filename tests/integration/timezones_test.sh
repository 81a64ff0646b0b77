#!/usr/bin/env bash
# Time zones by name: a bad name (or an old offset) is refused with a 400
# naming `timezone`; each of the six vendor families receives its own
# representation of the zone's standard offset and DST rule, checked in the
# bytes a phone fetches for a northern (Europe/Paris), a southern
# (Australia/Sydney), a no-DST (America/Phoenix) and a half-hour
# (Asia/Kolkata) zone; `migrate` turns old whole-hour offsets into Etc zones
# and lists the others.
#
# The expected values follow the zones' POSIX rules in /usr/share/zoneinfo
# (2026: Paris CET-1CEST,M3.5.0,M10.5.0/3; Sydney AEST-10AEDT,M10.1.0,M4.1.0/3;
# Phoenix MST7; Kolkata IST-5:30) written in each vendor's documented form;
# vendor-templates/README.md "Time zones" names the source of every field.
source "$(dirname "$0")/lib.sh"

start_server

YEALINK_UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
POLYCOM_UA="FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application"
CISCO_UA="Cisco-CP-8841-3PCC/12.0.1 (00562b043615)"
GS_UA="Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872"
SNOM_UA="Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)"
FANVIL_UA="Fanvil X5U-V2 2.12.16.17 0c383e557eb1"

golden_store

# --- Refusals -------------------------------------------------------------

store_before=$(store_fingerprint)
api PUT /settings '{"timezone":"Europe/Pariss"}'
expect_status 400 "a misspelt zone is refused"
expect_json '.error.code' 'invalid_input'
expect_json '.error.fields | keys | join(",")' 'timezone'
api PUT /devices/00:15:65:4a:a9:37/settings '{"timezone":"Europe/Pariss"}'
expect_status 400 "a misspelt zone is refused per device too"
expect_json '.error.fields | keys | join(",")' 'timezone'
api PUT /settings '{"timezone":"+1"}'
expect_status 400 "an offset is refused now that names carry the DST rule"
expect_true grep -q 'Etc/GMT-1' <<<"$BODY"
api PUT /settings '{"timezone":"+5:30"}'
expect_status 400 "an offset without an Etc zone is refused"
expect_true grep -q 'Asia/Kolkata' <<<"$BODY"
api PUT /settings '{"timezone":"../../../etc/passwd"}'
expect_status 400 "a path is no zone"
expect_json '.error.fields | keys | join(",")' 'timezone'
[[ "$(store_fingerprint)" == "$store_before" ]] && ok || bad "a refused timezone changed the store"

# --- What each phone receives --------------------------------------------

# fetch UA FILE: GET from the phone port into $WORK/got.
fetch() {
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$1" "http://127.0.0.1:$HTTP_PORT/$2")
    BODY=$(head -c 300 "$WORK/got")
}

# has WHAT LINE...: each LINE is a whole line of $WORK/got (leading blanks ignored).
has() {
    local what=$1 line; shift
    for line in "$@"; do
        if sed 's/^[[:space:]]*//' "$WORK/got" | grep -qxF -- "$line"; then ok; else bad "$what: no line '$line'"; fi
    done
}
# lacks WHAT TEXT...: no line of $WORK/got contains TEXT.
lacks() {
    local what=$1 text; shift
    for text in "$@"; do
        if grep -qF -- "$text" "$WORK/got"; then bad "$what: unexpected '$text'"; else ok; fi
    done
}

use_zone() {
    api PUT /settings "{\"timezone\":\"$1\"}"
    expect_status 200 "timezone $1 is accepted"
    expect_json '.timezone' "$1"
}

phone() {  # phone VENDOR UA FILE ZONE
    fetch "$2" "$3"
    [[ "$STATUS" == 200 ]] && ok || bad "$1 $3 for $4: status $STATUS"
}

# Europe/Paris: DST from the last Sunday of March 02:00 to the last Sunday of October 03:00.
use_zone Europe/Paris
# Yealink: weekday 1=Mon..7=Sun, week 5 = last (Yealink admin guide, local_time.start_time).
phone yealink "$YEALINK_UA" 0015654aa937.cfg Paris
has "yealink Paris" "local_time.time_zone = +1" "local_time.summer_time = 1" "local_time.dst_time_type = 1" \
    "local_time.start_time = 3/5/7/2" "local_time.end_time = 10/5/7/3" "local_time.offset_time = 60"
# Polycom: dayOfWeek 1=Sunday, lastInMonth (Wazo wazo_polycom/common/common.py _format_dst_change).
phone polycom "$POLYCOM_UA" 0004f2aabb01-settings.cfg Paris
has "polycom Paris" 'tcpIpApp.sntp.gmtOffset="3600"' 'tcpIpApp.sntp.gmtOffset.overrideDHCP="1"' \
    'tcpIpApp.sntp.daylightSavings.enable="1"' 'tcpIpApp.sntp.daylightSavings.fixedDayEnable="0"' \
    'tcpIpApp.sntp.daylightSavings.start.month="3"' 'tcpIpApp.sntp.daylightSavings.start.dayOfWeek="1"' \
    'tcpIpApp.sntp.daylightSavings.start.dayOfWeek.lastInMonth="1"' 'tcpIpApp.sntp.daylightSavings.start.time="2"' \
    'tcpIpApp.sntp.daylightSavings.stop.month="10"' 'tcpIpApp.sntp.daylightSavings.stop.dayOfWeek="1"' \
    'tcpIpApp.sntp.daylightSavings.stop.dayOfWeek.lastInMonth="1"' 'tcpIpApp.sntp.daylightSavings.stop.time="3"'
lacks "polycom Paris" 'daylightSavings.start.date='
# Cisco: month/day/weekday/time, day -1 = the last weekday of the month, weekday 1=Mon..7=Sun
# (Cisco SPA/MPP administration guide, "Daylight Saving Time Rule").
phone cisco "$CISCO_UA" 00562b043615.xml Paris
has "cisco Paris" '<Time_Zone>GMT+01:00</Time_Zone>' \
    '<Daylight_Saving_Time_Enable>Yes</Daylight_Saving_Time_Enable>' \
    '<Daylight_Saving_Time_Rule>start=3/-1/7/2:0:0;end=10/-1/7/3:0:0;save=1:0:0</Daylight_Saving_Time_Rule>'
# Grandstream (the GXP2135's alias file): the self-defined zone, a POSIX rule with the DST offset written out
# (FusionPBX grandstream/gxp2135 dateTime.timezone list: "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00").
phone grandstream "$GS_UA" cfg000b828aa872.xml Paris
has "grandstream Paris" '<item name="dateTime.timezone">customize</item>' '<item name="dateTime.timezone.custom">CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00</item>'
# Snom: its own zone code (Snom timezone list: "FRA+1 France (Paris)").
phone snom "$SNOM_UA" snomD785-000413922D24.htm Paris
has "snom Paris" '<timezone perm="RW">FRA+1</timezone>' '<utc_offset perm="R">3600</utc_offset>'
lacks "snom Paris" '<timezone perm="R"></timezone>'
# ... and the rule itself (Snom wiki "dst", whose example for Germany is this very line).
has "snom Paris" '<dst perm="R">3600 03.05.07 02:00:00 10.05.07 03:00:00</dst>'
# Fanvil: quarter hours, week -1 = last, weekday 0=Sunday (Wazo wazo_fanvil base-new.tpl, common.py _extract_dst_change).
phone fanvil "$FANVIL_UA" 0c383e557eb1.cfg Paris
has "fanvil Paris" '<TimeZone>4</TimeZone>' '<TimeZoneName>UTC+1</TimeZoneName>' '<EnableDST>2</EnableDST>' \
    '<DSTMinOffset>60</DSTMinOffset>' '<DSTStartMon>3</DSTStartMon>' '<DSTStartWeek>-1</DSTStartWeek>' \
    '<DSTStartWday>0</DSTStartWday>' '<DSTStartHour>2</DSTStartHour>' '<DSTEndMon>10</DSTEndMon>' \
    '<DSTEndWeek>-1</DSTEndWeek>' '<DSTEndWday>0</DSTEndWday>' '<DSTEndHour>3</DSTEndHour>'

# Australia/Sydney: DST from the first Sunday of October 02:00 across the new
# year to the first Sunday of April 03:00.
use_zone Australia/Sydney
phone yealink "$YEALINK_UA" 0015654aa937.cfg Sydney
has "yealink Sydney" "local_time.time_zone = +10" "local_time.summer_time = 1" \
    "local_time.start_time = 10/1/7/2" "local_time.end_time = 4/1/7/3" "local_time.offset_time = 60"
phone polycom "$POLYCOM_UA" 0004f2aabb01-settings.cfg Sydney
has "polycom Sydney" 'tcpIpApp.sntp.gmtOffset="36000"' 'tcpIpApp.sntp.daylightSavings.enable="1"' \
    'tcpIpApp.sntp.daylightSavings.start.month="10"' 'tcpIpApp.sntp.daylightSavings.start.date="1"' \
    'tcpIpApp.sntp.daylightSavings.start.dayOfWeek="1"' 'tcpIpApp.sntp.daylightSavings.start.dayOfWeek.lastInMonth="0"' \
    'tcpIpApp.sntp.daylightSavings.start.time="2"' 'tcpIpApp.sntp.daylightSavings.stop.month="4"' \
    'tcpIpApp.sntp.daylightSavings.stop.date="1"' 'tcpIpApp.sntp.daylightSavings.stop.time="3"'
phone cisco "$CISCO_UA" 00562b043615.xml Sydney
has "cisco Sydney" '<Time_Zone>GMT+10:00</Time_Zone>' \
    '<Daylight_Saving_Time_Rule>start=10/1/7/2:0:0;end=4/1/7/3:0:0;save=1:0:0</Daylight_Saving_Time_Rule>'
phone grandstream "$GS_UA" cfg000b828aa872.xml Sydney
has "grandstream Sydney" '<item name="dateTime.timezone.custom">AEST-10AEDT-11,M10.1.0/02:00:00,M4.1.0/03:00:00</item>'
phone snom "$SNOM_UA" snomD785-000413922D24.htm Sydney
# Snom timezone list: "AUS+10 Australia (Sydney, Melbourne, Canberra)".
has "snom Sydney" '<timezone perm="RW">AUS+10</timezone>' '<utc_offset perm="R">36000</utc_offset>'
phone fanvil "$FANVIL_UA" 0c383e557eb1.cfg Sydney
has "fanvil Sydney" '<TimeZone>40</TimeZone>' '<TimeZoneName>UTC+10</TimeZoneName>' '<EnableDST>2</EnableDST>' \
    '<DSTStartMon>10</DSTStartMon>' '<DSTStartWeek>1</DSTStartWeek>' '<DSTStartWday>0</DSTStartWday>' \
    '<DSTEndMon>4</DSTEndMon>' '<DSTEndWeek>1</DSTEndWeek>' '<DSTEndHour>3</DSTEndHour>'

# America/Phoenix: UTC-7 all year; every vendor is told DST is off.
use_zone America/Phoenix
phone yealink "$YEALINK_UA" 0015654aa937.cfg Phoenix
has "yealink Phoenix" "local_time.time_zone = -7" "local_time.summer_time = 0"
lacks "yealink Phoenix" "local_time.start_time" "local_time.dst_time_type"
phone polycom "$POLYCOM_UA" 0004f2aabb01-settings.cfg Phoenix
has "polycom Phoenix" 'tcpIpApp.sntp.gmtOffset="-25200"' 'tcpIpApp.sntp.daylightSavings.enable="0"'
lacks "polycom Phoenix" 'daylightSavings.start'
phone cisco "$CISCO_UA" 00562b043615.xml Phoenix
has "cisco Phoenix" '<Time_Zone>GMT-07:00</Time_Zone>' '<Daylight_Saving_Time_Enable>No</Daylight_Saving_Time_Enable>'
lacks "cisco Phoenix" 'Daylight_Saving_Time_Rule'
phone grandstream "$GS_UA" cfg000b828aa872.xml Phoenix
has "grandstream Phoenix" '<item name="dateTime.timezone">customize</item>' '<item name="dateTime.timezone.custom">MST7</item>'
phone snom "$SNOM_UA" snomD785-000413922D24.htm Phoenix
# Snom timezone list: "USA2-7 United States - MST no DST".
has "snom Phoenix" '<timezone perm="RW">USA2-7</timezone>' '<utc_offset perm="R">-25200</utc_offset>' '<dst perm="R"></dst>'
phone fanvil "$FANVIL_UA" 0c383e557eb1.cfg Phoenix
has "fanvil Phoenix" '<TimeZone>-28</TimeZone>' '<TimeZoneName>UTC-07</TimeZoneName>' '<EnableDST>0</EnableDST>'
lacks "fanvil Phoenix" 'DSTStart'

# Asia/Kolkata: UTC+5:30, no DST.
use_zone Asia/Kolkata
phone yealink "$YEALINK_UA" 0015654aa937.cfg Kolkata
has "yealink Kolkata" "local_time.time_zone = +5:30" "local_time.summer_time = 0"
phone polycom "$POLYCOM_UA" 0004f2aabb01-settings.cfg Kolkata
has "polycom Kolkata" 'tcpIpApp.sntp.gmtOffset="19800"' 'tcpIpApp.sntp.daylightSavings.enable="0"'
phone cisco "$CISCO_UA" 00562b043615.xml Kolkata
has "cisco Kolkata" '<Time_Zone>GMT+05:30</Time_Zone>' '<Daylight_Saving_Time_Enable>No</Daylight_Saving_Time_Enable>'
phone grandstream "$GS_UA" cfg000b828aa872.xml Kolkata
has "grandstream Kolkata" '<item name="dateTime.timezone.custom">IST-5:30</item>'
phone snom "$SNOM_UA" snomD785-000413922D24.htm Kolkata
# Snom timezone list: "IND+5.5 India (Calcutta)".
has "snom Kolkata" '<timezone perm="RW">IND+5.5</timezone>' '<utc_offset perm="R">19800</utc_offset>'
phone fanvil "$FANVIL_UA" 0c383e557eb1.cfg Kolkata
# Fanvil's names are whole hours (Wazo serie_x _TZ_INFO): no name for +5:30, the quarter hours say it.
has "fanvil Kolkata" '<TimeZone>22</TimeZone>' '<EnableDST>0</EnableDST>'
lacks "fanvil Kolkata" 'TimeZoneName'

# A zone Snom's list lacks: no timezone code, the offset and DST rule written out
# (Snom wiki "dst": offset, mm.ww.dd start, time, mm.ww.dd end, time; 07 = Sunday, week 05 = last).
use_zone America/Santiago
phone snom "$SNOM_UA" snomD785-000413922D24.htm Santiago
has "snom Santiago" '<timezone perm="RW"></timezone>'  # no Snom code: a stale one is cleared
expect_true grep -qE '^ *<dst perm="R">3600 [0-9]{2}\.0[1-5]\.0[1-7] [0-9:]{8} [0-9]{2}\.0[1-5]\.0[1-7] [0-9:]{8}</dst>$' "$WORK/got"

# Per device: a device's own zone wins over the global one.
api PUT /devices/00:15:65:4a:a9:37/settings '{"timezone":"Australia/Sydney"}'
expect_status 200 "a device zone"
phone yealink "$YEALINK_UA" 0015654aa937.cfg "device Sydney"
has "yealink device zone" "local_time.time_zone = +10" "local_time.start_time = 10/1/7/2"

# --- migrate: old offsets --------------------------------------------------

stop_server
# A store as an older release left it: offsets (and a zone named by the
# database's posix/ copy, accepted then), and migrations 8 (zones), 9 (wipe
# configs), 10 (wipe grace, zone prefixes), 11 (expansion modules), 12
# (firmware and resync), 13 (portal users), 14 and 15 (invitations), 16
# (event batches), 17 (sweep budgets across nodes) and 18 (registrations
# leave the config generation alone), undone here, not yet applied.
sqlite3 "$DATA/store.db" "UPDATE settings SET value = '+1' WHERE scope = '' AND key = 'timezone';
    DROP TABLE event_batches; DROP TABLE sweep_spend; DROP TRIGGER gen_ext_upd;
    CREATE TRIGGER gen_ext_upd AFTER UPDATE ON extensions BEGIN UPDATE config_generation SET value = value + 1; END;
    INSERT OR REPLACE INTO settings (scope, key, value) VALUES ('0015654aa937', 'timezone', '+5:30'),
        ('0004f2aabb01', 'timezone', '-05:00'), ('00562b043615', 'timezone', '-13'),
        ('000413922d24', 'timezone', 'posix/Europe/Paris');
    DROP TRIGGER gen_wipe_ins; DROP TRIGGER gen_wipe_del; DROP TABLE pending_wipes;
    ALTER TABLE events DROP COLUMN wipe;
    DROP TRIGGER gen_dev_exp; ALTER TABLE devices DROP COLUMN expansion_model;
    ALTER TABLE devices DROP COLUMN expansion_count;
    DROP TABLE firmware_images; DROP TABLE rollout_members; DROP TABLE firmware_targets; DROP TABLE rollouts;
    DROP TABLE resync_pushes; DROP INDEX devices_resync;
    ALTER TABLE devices DROP COLUMN fw_target; ALTER TABLE devices DROP COLUMN fw_status;
    ALTER TABLE devices DROP COLUMN fw_told_at; ALTER TABLE devices DROP COLUMN fw_misses;
    ALTER TABLE devices DROP COLUMN resync; ALTER TABLE devices DROP COLUMN resync_at;
    ALTER TABLE devices DROP COLUMN resync_tries;
    ALTER TABLE extensions DROP COLUMN reg_transport;
    DROP TABLE sessions; DROP TABLE sign_in_throttle; ALTER TABLE users DROP COLUMN password_hash;
    ALTER TABLE users DROP COLUMN disabled; ALTER TABLE users DROP COLUMN last_sign_in_at;
    DROP TABLE outbox; DROP TABLE invitations;
    ALTER TABLE extensions DROP COLUMN phone_make; ALTER TABLE extensions DROP COLUMN phone_model;
    DELETE FROM schema_migrations WHERE version >= 8;"
run migrate $(store_args "$DATA")
expect_rc 0 "migrate"
[[ "$OUT" == *"applied 8 time zones"* ]] && ok || bad "migrate should apply the time zone migration, got '$OUT'"
[[ "$OUT" == *"+5:30"* && "$OUT" == *"-13"* ]] && ok || bad "migrate should list the offsets left, got '$OUT'"
[[ "$OUT" != *"Etc/GMT"* ]] && ok || bad "migrate lists only what is left, got '$OUT'"
got=$(sqlite3 "$DATA/store.db" "SELECT scope || '=' || value FROM settings WHERE key = 'timezone' ORDER BY scope")
want=$'=Etc/GMT-1\n000413922d24=Europe/Paris\n0004f2aabb01=Etc/GMT+5\n0015654aa937=+5:30\n00562b043615=-13'
[[ "$got" == "$want" ]] && ok || bad "migrated values: got '$got'"
# The values left still render as the fixed offset they were, and every
# start says so in its log (where an admin who never runs migrate looks).
start_server
grep -q "timezone of device 0015654aa937 is the offset +5:30" "$DATA/stdout" "$DATA/stderr" && ok \
    || bad "serve should log the offset left on 0015654aa937"
grep -q "timezone of the global settings is the offset" "$DATA/stdout" "$DATA/stderr" && bad "the global zone was migrated" || ok
phone yealink "$YEALINK_UA" 0015654aa937.cfg "old +5:30"
has "yealink old offset" "local_time.time_zone = +5:30" "local_time.summer_time = 0"
phone polycom "$POLYCOM_UA" 0004f2aabb01-settings.cfg "Etc/GMT+5"
has "polycom Etc/GMT+5" 'tcpIpApp.sntp.gmtOffset="-18000"' 'tcpIpApp.sntp.daylightSavings.enable="0"'

finish
