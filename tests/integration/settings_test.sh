#!/usr/bin/env bash
# The phone settings of issue 13 (dtmf_mode, srtp, register_expiry,
# outbound_proxy, backup_sip_server, mwi_subscribe, codecs, language,
# tone_country, pickup_code): a bad value is a 400 naming the field; a value a
# phone's vendor cannot express is a 400 naming the field and the vendor,
# for a device's own settings (its make) and for global ones (every device
# that would inherit them); each of the six families receives each setting as
# its own parameters, set globally and overridden per device, checked in the
# bytes a phone fetches. The parameter names and codes, with their sources,
# are in vendor-templates/README.md, "Phone settings".
source "$(dirname "$0")/lib.sh"

start_server

YEALINK_UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
POLYCOM_UA="FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application"
CISCO_UA="Cisco-CP-8841-3PCC/12.0.1 (00562b043615)"
GS_UA="Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872"
SNOM_UA="Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)"
FANVIL_UA="Fanvil X5U-V2 2.12.16.17 0c383e557eb1"

# The golden store: sip_server pbx.example.net, sip_port 5061, sip_transport
# tls; on each phone lines <base>01 and <base>02 and a BLF on key 2 watching
# <base>02.
golden_store

fetch() {  # fetch UA FILE: GET from the phone port into $WORK/got
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$1" "http://127.0.0.1:$HTTP_PORT/$2")
    BODY=$(head -c 300 "$WORK/got")
    [[ "$STATUS" == 200 ]] && ok || bad "$2: status $STATUS"
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
# field_has KEY TEXT: the 400's error.fields.KEY contains TEXT.
field_has() {
    local got
    got=$(jq -r ".error.fields.$1 // empty" <<<"$BODY" 2>/dev/null)
    [[ "$got" == *"$2"* ]] && ok || bad "error.fields.$1 should name '$2', got '$got'"
}

# --- Defaults: dtmf rfc2833, register_expiry 3600, mwi on, srtp optional (TLS) --

fetch "$YEALINK_UA" 0015654aa937.cfg
has "yealink defaults" "account.1.dtmf.type = 1" "account.1.sip_server.1.expires = 3600" \
    "account.1.subscribe_mwi = 1" "account.1.srtp_encryption = 1" "account.1.outbound_proxy_enable = 0" \
    "account.1.sip_server.2.address = %NULL%" "linekey.2.extension = %NULL%"
lacks "yealink defaults" "lang.gui" "voice.tone.country" ".codec."
# Fanvil has no known code for SRTP "optional": the TLS default writes nothing.
fetch "$FANVIL_UA" 0c383e557eb1.cfg
has "fanvil defaults" "<DTMFMode>1</DTMFMode>" "<RegisterTTL>3600</RegisterTTL>" "<Subscribe>1</Subscribe>"
lacks "fanvil defaults" "<MediaCrypto>" "<VoiceCodecMap>" "<SelectYourTone>"
# Grandstream takes the expiry in minutes (the GXP2135 by alias: config version 2).
fetch "$GS_UA" cfg000b828aa872.xml
has "grandstream defaults" '<item name="account.1.sip.registerExpiration">60</item>' \
    '<item name="account.2.sip.registerExpiration">60</item>' '<item name="account.1.dtmf.sendInRtp">Yes</item>' \
    '<item name="account.1.audio.srtpMode">EnabledButNotForced</item>'

# --- Refusals -------------------------------------------------------------

# A Grandstream GRP2614 (P-value file) beside the golden GXP2135 (alias file):
# the same vendor, each model with its own vocabulary.
api POST /devices '{"mac":"00:0b:82:00:26:14","make":"Grandstream","model":"GRP2614"}'
expect_status 201 "a GRP2614"
api PUT /devices/00:0b:82:00:26:14/settings '{"codecs":"opus"}'
expect_status 400 "Grandstream GRP2614 opus is refused"
field_has codecs Grandstream
api DELETE /devices/00:0b:82:00:26:14
expect_status 204 "the GRP2614 goes (the global settings below are the golden fleet's)"
store_before=$(store_fingerprint)
api PUT /settings '{"dtmf_mode":"avt"}'
expect_status 400 "a dtmf_mode outside the list is refused"
expect_json '.error.fields | keys | join(",")' 'dtmf_mode'
api PUT /settings '{"codecs":"PCMU,GSM"}'
expect_status 400 "an unknown codec is refused"
field_has codecs GSM
api PUT /settings '{"srtp":"on","mwi_subscribe":"yes","language":"FR","tone_country":"fr","register_expiry":10}'
expect_status 400 "malformed values are refused"
expect_json '.error.fields | keys | join(",")' 'language,mwi_subscribe,register_expiry,srtp,tone_country'
api PUT /settings '{"outbound_proxy":"sip:sbc.example.net"}'
expect_status 400 "an outbound proxy is host[:port]"
expect_json '.error.fields | keys | join(",")' 'outbound_proxy'
api PUT /devices/00:15:65:4a:a9:37/settings '{"pickup_code":"*8x"}'
expect_status 400 "a bad value is refused per device too"
expect_json '.error.fields | keys | join(",")' 'pickup_code'

# What a device's make cannot express, per device: the field and the vendor.
api PUT /devices/00:15:65:4a:a9:37/settings '{"dtmf_mode":"auto"}'
expect_status 400 "Yealink has no automatic DTMF mode"
expect_json '.error.code' 'invalid_input'
field_has dtmf_mode Yealink
api PUT /devices/00:56:2b:04:36:15/settings '{"codecs":"PCMU,PCMA,G722,G729"}'
expect_status 400 "Cisco orders three codecs"
field_has codecs Cisco
api PUT /devices/00:04:13:92:2d:24/settings '{"backup_sip_server":"pbx2.example.net"}'
expect_status 400 "Snom has no backup registrar parameter"
field_has backup_sip_server Snom
api PUT /devices/00:0b:82:8a:a8:72/settings '{"codecs":"opus","dtmf_mode":"auto"}'
expect_status 400 "the GXP2135's own vocabulary: no automatic DTMF"
expect_json '.error.fields | keys | join(",")' 'dtmf_mode' "the GXP2135 takes opus (OPUS in its alias file)"
api PUT /devices/0c:38:3e:55:7e:b1/settings '{"srtp":"required"}'
expect_status 400 "Fanvil SRTP codes are unknown"
field_has srtp Fanvil

# Global: every device that would inherit the value is checked.
GLOBAL='{"dtmf_mode":"info","srtp":"required","register_expiry":1800,"outbound_proxy":"sbc.example.net:5070",
    "backup_sip_server":"pbx2.example.net","mwi_subscribe":false,"codecs":"G722,PCMA,PCMU","language":"fr",
    "tone_country":"FR","pickup_code":"*8"}'
api PUT /settings "$GLOBAL"
expect_status 400 "a global value some phones cannot express is refused"
expect_json '.error.fields | keys | join(",")' 'backup_sip_server,mwi_subscribe,srtp,tone_country'
field_has tone_country Polycom
field_has srtp Fanvil
field_has backup_sip_server Snom
field_has mwi_subscribe Snom
[[ "$(store_fingerprint)" == "$store_before" ]] && ok || bad "a refused setting changed the store"

# What is already in force is not checked again: the settings read back
# and sent unchanged (the default mwi_subscribe true among them, which Snom
# cannot express) are taken, Snom in the fleet or not.
api GET /settings
ROUND_TRIP=$BODY
api PUT /settings "$ROUND_TRIP"
expect_status 200 "a GET, PUT round trip of the global settings"
# A phone that asked on its own (unassigned: anyone on the phone network can
# add one) inherits nothing and blocks nothing.
curl -s -o /dev/null -A "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 000413AAAAAA)" \
    "http://127.0.0.1:$HTTP_PORT/snomD785-000413AAAAAA.htm"
for _ in $(seq 1 30); do
    api GET /devices/00:04:13:aa:aa:aa
    [[ "$STATUS" == 200 ]] && break
    sleep 0.1
done
expect_json '.state' unassigned "an unknown phone that asked is listed, unassigned"
# (It is a Snom: the global backup_sip_server and mwi_subscribe below pass
# once the assigned Snom has values of its own.)

# Those devices get their own value first ("" = the phone's own); then the
# global values pass.
for mac in 00:04:f2:aa:bb:01 00:56:2b:04:36:15 00:0b:82:8a:a8:72; do
    api PUT "/devices/$mac/settings" '{"tone_country":""}'
    expect_status 200 "$mac keeps its own tones"
done
api PUT /devices/0c:38:3e:55:7e:b1/settings '{"srtp":"off"}'
expect_status 200 "fanvil srtp off"
api PUT /devices/00:04:13:92:2d:24/settings '{"backup_sip_server":"","mwi_subscribe":""}'
expect_status 200 "snom keeps its own"
api PUT /settings "$GLOBAL"
expect_status 200 "global phone settings"
expect_json '.mwi_subscribe' 'false'
expect_json '.register_expiry' '1800'
expect_json '.codecs' 'G722,PCMA,PCMU'

# --- What each phone receives --------------------------------------------

# Yealink: per account (account.N.*), the BLF pickup code on the key, the rest global.
fetch "$YEALINK_UA" 0015654aa937.cfg
for n in 1 2; do
    has "yealink account $n" "account.$n.dtmf.type = 2" "account.$n.srtp_encryption = 2" \
        "account.$n.sip_server.1.expires = 1800" "account.$n.sip_server.2.address = pbx2.example.net" \
        "account.$n.sip_server.2.port = 5061" "account.$n.sip_server.2.transport_type = 2" \
        "account.$n.sip_server.2.expires = 1800" "account.$n.outbound_proxy_enable = 1" \
        "account.$n.outbound_proxy.1.address = sbc.example.net" "account.$n.outbound_proxy.1.port = 5070" \
        "account.$n.subscribe_mwi = 0" \
        "account.$n.codec.g722.enable = 1" "account.$n.codec.g722.priority = 1" \
        "account.$n.codec.pcma.enable = 1" "account.$n.codec.pcma.priority = 2" \
        "account.$n.codec.pcmu.enable = 1" "account.$n.codec.pcmu.priority = 3" \
        "account.$n.codec.g729.enable = 0" "account.$n.codec.g729.priority = 0" \
        "account.$n.codec.opus.enable = 0"
done
has "yealink" "account.3.enable = 0" "account.3.outbound_proxy_enable = 0" "account.3.sip_server.2.address = %NULL%" \
    "linekey.2.extension = *8" "lang.gui = French" "lang.wui = French" "voice.tone.country = France"
lacks "yealink" "account.3.dtmf.type" "account.3.codec."

# Polycom: dtmf, srtp and codecs are global; expiry, proxies and MWI per registration.
fetch "$POLYCOM_UA" 0004f2aabb01-settings.cfg
has "polycom" 'tone.dtmf.viaRtp="0"' 'tone.dtmf.rfc2833Control="0"' 'voIpProt.SIP.dtmfViaSignaling.rfc2976="1"' \
    'sec.srtp.enable="1"' 'sec.srtp.offer="1"' 'sec.srtp.require="1"' \
    'reg.1.server.1.expires="1800"' 'reg.1.server.2.address="pbx2.example.net"' 'reg.1.server.2.port="5061"' \
    'reg.1.server.2.transport="TLS"' 'reg.1.outboundProxy.address="sbc.example.net"' 'reg.1.outboundProxy.port="5070"' \
    'reg.2.outboundProxy.address="sbc.example.net"' 'msg.mwi.1.subscribe=""' 'msg.mwi.2.subscribe=""' \
    'voice.codecPref.G722="1"' 'voice.codecPref.G711_A="2"' 'voice.codecPref.G711_Mu="3"' \
    'voice.codecPref.G729_AB="0"' 'voice.codecPref.Opus="0"' 'lcl.ml.lang="French_France"' \
    'call.directedCallPickupString="*8"'
lacks "polycom" "tone.chord" "country"

# Cisco: per line (<Name_N_>); backup as an SRV-style proxy list (Wazo's form).
fetch "$CISCO_UA" 00562b043615.xml
has "cisco" '<DTMF_Tx_Method_1_>INFO</DTMF_Tx_Method_1_>' '<Secure_Call_Option_1_>Required</Secure_Call_Option_1_>' \
    '<Register_Expires_1_>1800</Register_Expires_1_>' \
    '<Proxy_1_>prov_proxies1:SRV=pbx.example.net:5061:p=0|pbx2.example.net:5061:p=1</Proxy_1_>' \
    '<Use_DNS_SRV_1_>Yes</Use_DNS_SRV_1_>' '<Outbound_Proxy_1_>sbc.example.net:5070</Outbound_Proxy_1_>' \
    '<Voice_Mail_Server_1_></Voice_Mail_Server_1_>' \
    '<Preferred_Codec_1_>G722</Preferred_Codec_1_>' '<Second_Preferred_Codec_1_>G711a</Second_Preferred_Codec_1_>' \
    '<Third_Preferred_Codec_1_>G711u</Third_Preferred_Codec_1_>' '<Use_Pref_Codec_Only_1_>No</Use_Pref_Codec_Only_1_>' \
    '<G722_Enable_1_>Yes</G722_Enable_1_>' '<G729a_Enable_1_>No</G729a_Enable_1_>' '<OPUS_Enable_1_>No</OPUS_Enable_1_>' \
    '<DTMF_Tx_Method_2_>INFO</DTMF_Tx_Method_2_>' '<Register_Expires_2_>1800</Register_Expires_2_>' \
    '<Phone_Language>French</Phone_Language>' '<Call_Pickup_Code>*8</Call_Pickup_Code>'

# Grandstream: per-account aliases (accounts 1 and 2; the GXP2135's file is config version 2), expiry in
# minutes, the vocabulary of vendor.json families.v2.
fetch "$GS_UA" cfg000b828aa872.xml
has "grandstream" '<item name="account.1.dtmf.sendInAudio">No</item>' \
    '<item name="account.1.dtmf.sendInRtp">No</item>' '<item name="account.1.dtmf.sendInSip">Yes</item>' \
    '<item name="account.1.audio.srtpMode">EnabledAndForced</item>' \
    '<item name="account.1.sip.registerExpiration">30</item>' \
    '<item name="account.1.sip.outboundProxy.1.address">sbc.example.net:5070</item>' \
    '<item name="account.1.sip.server.2.address">pbx2.example.net</item>' \
    '<item name="account.1.sip.subscribe.forMwi">No</item>' \
    '<item name="account.1.sip.blf.callPickup.prefix">*8</item>' \
    '<item name="account.1.codec.choice.1">G.722</item>' '<item name="account.1.codec.choice.2">PCMA</item>' \
    '<item name="account.1.codec.choice.3">PCMU</item>' '<item name="account.2.dtmf.sendInAudio">No</item>' \
    '<item name="account.2.dtmf.sendInRtp">No</item>' '<item name="account.2.dtmf.sendInSip">Yes</item>' \
    '<item name="account.2.audio.srtpMode">EnabledAndForced</item>' \
    '<item name="account.2.sip.registerExpiration">30</item>' \
    '<item name="account.2.sip.outboundProxy.1.address">sbc.example.net:5070</item>' \
    '<item name="account.2.sip.server.2.address">pbx2.example.net</item>' \
    '<item name="account.2.sip.subscribe.forMwi">No</item>' \
    '<item name="account.2.sip.blf.callPickup.prefix">*8</item>' \
    '<item name="account.2.codec.choice.1">G.722</item>' '<item name="account.2.codec.choice.2">PCMA</item>' \
    '<item name="account.2.codec.choice.3">PCMU</item>' '<item name="language.gui">fr</item>' \
    '<item name="account.3.sip.outboundProxy.1.address"></item>' \
    '<item name="account.3.sip.server.2.address"></item>'
lacks "grandstream" 'account.1.codec.choice.4' 'account.2.codec.choice.4' '<P'

# Snom: per identity; the pickup code after '|' on the BLF key.
fetch "$SNOM_UA" snomD785-000413922D24.htm
has "snom" '<user_dtmf_info idx="1" perm="R">sip_info_only</user_dtmf_info>' \
    '<user_srtp idx="1" perm="R">on</user_srtp>' '<user_savp idx="1" perm="R">mandatory</user_savp>' \
    '<user_expiry idx="1" perm="R">1800</user_expiry>' \
    '<user_outbound idx="1" perm="R">sbc.example.net:5070;transport=tls</user_outbound>' \
    '<codec_priority_list idx="1" perm="R">g722,pcma,pcmu,telephone-event</codec_priority_list>' \
    '<user_expiry idx="2" perm="R">1800</user_expiry>' \
    '<language perm="R">Français</language>' '<web_language perm="R">Français</web_language>' \
    '<tone_scheme perm="R">FRA</tone_scheme>'
expect_true grep -qF 'blf sip:5002@pbx.example.net|*8</fkey>' "$WORK/got"
lacks "snom" "user_failover_identity"

# Fanvil: per line; tones and the codec set under <mm>; the pickup code in the BLF value.
fetch "$FANVIL_UA" 0c383e557eb1.cfg
has "fanvil" '<DTMFMode>2</DTMFMode>' '<MediaCrypto>0</MediaCrypto>' '<RegisterTTL>1800</RegisterTTL>' \
    '<ProxyAddr>sbc.example.net</ProxyAddr>' '<ProxyPort>5070</ProxyPort>' '<BackupAddr>pbx2.example.net</BackupAddr>' \
    '<BackupPort>5061</BackupPort>' '<BackupTransport>3</BackupTransport>' '<Subscribe>0</Subscribe>' \
    '<VoiceCodecMap>G722,PCMA,PCMU</VoiceCodecMap>' '<AudioCodecSets>G722,PCMA,PCMU</AudioCodecSets>' \
    '<DefaultLanguage>fr</DefaultLanguage>' '<SelectYourTone>25</SelectYourTone>' '<Value>6002@1/ba*86002</Value>'

# --- Per-device overrides -------------------------------------------------

api PUT /devices/00:15:65:4a:a9:37/settings '{"dtmf_mode":"inband","codecs":"PCMU","language":"de","srtp":"off",
    "outbound_proxy":"","register_expiry":600}'
expect_status 200 "yealink overrides"
expect_json '.effective.dtmf_mode' 'inband'
expect_json '.overrides.register_expiry' '600'
fetch "$YEALINK_UA" 0015654aa937.cfg
has "yealink override" "account.1.dtmf.type = 0" "account.1.srtp_encryption = 0" "account.1.sip_server.1.expires = 600" \
    "account.1.outbound_proxy_enable = 0" "account.1.codec.pcmu.priority = 1" "account.1.codec.g722.enable = 0" \
    "lang.gui = German" "voice.tone.country = France"
lacks "yealink override" "outbound_proxy.1.address"
# Other devices keep the global values.
fetch "$CISCO_UA" 00562b043615.xml
has "cisco still global" '<DTMF_Tx_Method_1_>INFO</DTMF_Tx_Method_1_>'
api PUT /devices/00:56:2b:04:36:15/settings '{"dtmf_mode":"auto","srtp":"off","mwi_subscribe":true,"codecs":"opus,G729"}'
expect_status 200 "cisco overrides"
fetch "$CISCO_UA" 00562b043615.xml
has "cisco override" '<DTMF_Tx_Method_1_>Auto</DTMF_Tx_Method_1_>' \
    '<Voice_Mail_Server_1_>pbx.example.net:5061</Voice_Mail_Server_1_>' \
    '<Preferred_Codec_1_>OPUS</Preferred_Codec_1_>' '<Second_Preferred_Codec_1_>G729a</Second_Preferred_Codec_1_>' \
    '<Third_Preferred_Codec_1_>Unspecified</Third_Preferred_Codec_1_>' '<G711u_Enable_1_>No</G711u_Enable_1_>'
lacks "cisco srtp off" "Secure_Call_Option"
# null removes an override: the global value is back.
api PUT /devices/00:15:65:4a:a9:37/settings '{"dtmf_mode":null,"language":null}'
expect_status 200 "yealink override removed"
fetch "$YEALINK_UA" 0015654aa937.cfg
has "yealink back to global" "account.1.dtmf.type = 2" "lang.gui = French"
# "" leaves the phone's own: nothing written.
api PUT /settings '{"language":"","pickup_code":"","codecs":""}'
expect_status 200 "global values cleared"
fetch "$FANVIL_UA" 0c383e557eb1.cfg
lacks "fanvil cleared" "<DefaultLanguage>" "<AudioCodecSets>" "/ba*8"
has "fanvil cleared" '<Value>6002@1/ba</Value>'
# A make's exception is checked again when the device's own value goes: the
# Polycom would inherit tone_country FR.
api PUT /devices/00:04:f2:aa:bb:01/settings '{"tone_country":null}'
expect_status 200 "removing an override is not checked against the global value"
fetch "$POLYCOM_UA" 0004f2aabb01-settings.cfg
lacks "polycom inherits what it cannot express: nothing written" "country"

finish
