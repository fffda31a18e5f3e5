#!/usr/bin/env bash
# make_corpus.sh -- regenerates the seed corpora in tests/fuzz/corpus/<target>/
# (committed; run this only to change them).  Usage:
#     bash tests/fuzz/make_corpus.sh [BUILD_DIR]      # default build
#
# Every seed is written here, from sessionwatch's own generator (`gen`, in
# the raw, ECS and EventBridge formats) or by hand: nothing is copied from
# ../shared (Elastic's fixtures, Elastic's licence).  The codec values are
# encoded by hand from the layout documented in state/format/codec.h, so they also
# check that the documentation matches the decoder (fuzz_codec replays them
# and re-encodes them).  Seeds stay small: libFuzzer mutates them, and the
# corpus is replayed by ctest on every build.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
sw="$build/sessionwatch"
[ -x "$sw" ] || { echo "make_corpus.sh: $sw not built" >&2; exit 1; }
out=tests/fuzz/corpus
rm -rf "$out"
mkdir -p "$out"/fuzz_{extract,time,alert_json,codec,cli,keys,kql,rules,rengine,irecord}

SW="$sw" OUT="$out" python3 - <<'PY'
import json, os, struct, subprocess

sw, out = os.environ["SW"], os.environ["OUT"]

def put(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)

# ---- fuzz_extract: records -------------------------------------------------
def gen(fmt):
    r = subprocess.run([sw, "gen", "--seed", "1", "--users", "20", "--hours", "0.1", "--format", fmt,
                        "--tenants", "2", "--out", "-"], check=True, capture_output=True)
    return r.stdout.decode().splitlines()

for fmt, starts, others in (("raw", 3, 2), ("ecs", 2, 1), ("eventbridge", 2, 1)):
    lines = gen(fmt)
    s = [l for l in lines if "user.session.start" in l][:starts]
    o = [l for l in lines if "user.session.start" not in l][:others]
    for i, l in enumerate(s): put("fuzz_extract", f"gen-{fmt}-start-{i}.json", l)
    for i, l in enumerate(o): put("fuzz_extract", f"gen-{fmt}-other-{i}.json", l)

def raw(actor, sid, t, **extra):
    ev = {"uuid": f"u-{actor}-{sid}", "published": t, "eventType": "user.session.start",
          "actor": {"id": actor, "displayName": "Ann Example", "alternateId": "ann@example.com"},
          "client": {"ipAddress": "203.0.113.9", "userAgent": {"rawUserAgent": "Mozilla/5.0"},
                     "geographicalContext": {"country": "France", "city": "Lyon"}},
          "outcome": {"result": "SUCCESS"}, "authenticationContext": {"externalSessionId": sid},
          "organization": {"id": "acme"}}
    ev.update(extra)
    return json.dumps(ev, separators=(",", ":"), ensure_ascii=False)

E = "fuzz_extract"
put(E, "raw-min.json", raw("00u1", "102a", "2026-01-05T08:00:00.000Z"))
put(E, "raw-three-sessions.ndjson", "\n".join(raw("00u1", f"s{i}", f"2026-01-05T08:0{i}:00Z") for i in range(3)) + "\n")
put(E, "raw-crlf-bom.ndjson", "\ufeff" + "\r\n".join(raw("00u2", f"c{i}", f"2026-01-05T09:0{i}:00+01:00") for i in range(3)))
put(E, "ecs-nested.json", '{"@timestamp":"2026-01-05T08:00:00Z","event":{"dataset":"okta.system","id":"e1"},'
    '"okta":{"event_type":"user.session.start","actor":{"id":"00e1","display_name":"ECS"},'
    '"authentication_context":{"external_session_id":"x1"},"client":{"ip":"198.51.100.7"}},'
    '"user_agent":{"original":"curl/8"},"organization":{"id":7}}')
put(E, "ecs-dotted.json", '{"@timestamp":"2026-01-05T08:00:00Z","event.dataset":"okta.system",'
    '"okta.event_type":"user.session.start","okta.actor.id":"00e2","okta.actor.display_name":"Dot",'
    '"okta.authentication_context.external_session_id":"x2","client.geo.country_name":"Chile",'
    '"data_stream.dataset":"okta.system","organization.id":"org-9"}')
put(E, "ecs-mixed.json", '{"@timestamp":"2026-01-05T08:00:00Z","okta":{"actor.id":"00e3","event_type":'
    '"user.session.start"},"okta.authentication_context":{"external_session_id":"x3"},"event":{"ingested":'
    '"2026-01-05T08:00:01Z"}}')
put(E, "eventbridge.json", '{"version":"0","id":"ab","detail-type":"SystemLog","source":"aws.partner/okta.com",'
    '"organization":{"id":"envelope-org"},"detail":' + raw("00u3", "eb1", "2026-01-05T08:00:00Z") + '}')
put(E, "array-page.json", "[" + raw("00u4", "p1", "2026-01-05T08:00:00Z") + " , " +
    raw("00u4", "p2", "2026-01-05T08:01:00Z") + "]")
put(E, "array-empty.json", "[]")
# the catalogue rows of every shape (derived, boolean, array, flattened) and an
# API page of event types the rule index must see through escapes (invariant 8)
put(E, "catalogue-rows.json", '{"eventType":"user.account.lock","debugContext":{"debugData":{"behaviors":"{New Device=POSITIVE, New IP=NEGATIVE}","requestedScopes":["a",["b",["c"]]],"threatSuspected":"true"}},"securityContext":{"isProxy":true},"outcome":{"result":"DENY"}}')
put(E, "ruleindex-escaped-types.json", '[{"eventType":"zone.delet\\u0065","target":[{"alternateId":"a"},{"alternateId":"b"}]},{"okta":{"event_type":"x\\/y\\"z"}},{"eventType":42},{"eventType":"policy.rule.update2","displayMessage":"policy.rule.update"}]')
put(E, "array-not-objects.json", '[1,"a",null,{"eventType":"user.session.start"}]')
put(E, "escapes.json", '{"eventType":"\\u0075ser.session.start","actor":{"id":"\\ud83d\\ude00\\u0000x",'
    '"displayName":"\\"q\\" \\\\ \\/ \\b\\f\\n\\r\\t"},"authenticationContext":{"externalSessionId":"s\\u00e9"},'
    '"published":"2026-01-05T08:00:00Z"}')
put(E, "lone-surrogate.json", '{"eventType":"user.session.start","actor":{"id":"\\ud800"},'
    '"authenticationContext":{"externalSessionId":"\\udc00\\ud800"}}')
put(E, "duplicate.json", '{"eventType":"user.session.start","eventType":"user.session.start",'
    '"actor":{"id":"a"},"actor.id":"b"}')
put(E, "wrong-types.json", '{"eventType":"user.session.start","actor":"bob","authenticationContext":'
    '{"externalSessionId":12},"published":1e400,"organization":{"id":' + "9" * 400 + '}}')
put(E, "huge-numbers.json", '{"eventType":"user.session.start","x":[1e400,-0.0e-999,' + "1" * 400 +
    '],"actor":{"id":"n"},"authenticationContext":{"externalSessionId":"n1"},"published":"2026-01-05T08:00:00Z"}')
put(E, "deep-1024.json", '{"eventType":"user.session.start","x":' + "[" * 1023 + "]" * 1023 + "}")
put(E, "deep-1025.json", '{"eventType":"user.session.start","x":' + "[" * 1024 + "]" * 1024 + "}")
put(E, "invalid-utf8.json", b'{"eventType":"user.session.start","actor":{"id":"\xc3\x28\xed\xa0\x80\xff"}}')
put(E, "control-chars.json", b'{"eventType":"user.session.start","actor":{"displayName":"a\x01\x1f\x7f"}}')
put(E, "nul-inside.json", b'{"eventType":"user.session.start",\x00"actor":{"id":"x"}}')
put(E, "trailing.json", '{"eventType":"user.session.start"}{"a":1}')
put(E, "truncated.json", '{"eventType":"user.session.start","actor":{"id":"x"')
put(E, "scalar.json", '"user.session.start"')
put(E, "keys-skipped.json", '{"x":[1,,2],"eventType":"user.session.start","client":[],"okta":5,"actor":null}')
# The catalogue fields (stream/core/fields.c): arrays of targets, debug data,
# booleans as JSON and as strings, derivations; in each input format.
put(E, "fields-raw.json", raw("00u3", "102f", "2026-01-05T10:00:00Z",
    target=[{"alternateId": "t1", "type": "User"}, {"type": "App"}, {"alternateId": ["t2", ""]}],
    securityContext={"isProxy": True}, outcome={"result": "DENY", "reason": None},
    debugContext={"debugData": {"dtHash": "ab12", "threatSuspected": "false",
                                "behaviors": "{New Device=POSITIVE, New IP=NEGATIVE}", "privilegeGranted": "Super"}}))
put(E, "fields-ecs.json", '{"data_stream":{"dataset":"okta.system"},"event.action":"user.session.start",'
    '"event":{"category":["authentication","session"],"outcome":"success"},"okta":{"target":[{"alternate_id":"t1"},'
    '{"alternate_id":["t2","t3"]}],"security_context.is_proxy":"true","debug_context":{"debug_data":'
    '{"dt_hash":"ab","flattened":{"grantType":"x"}}}},"user_agent.os":{"name":"iOS"},"cloud.account.id":5}')
put(E, "fields-eventbridge.json", '{"detail-type":"SystemLog","eventType":"no","detail":{"eventType":"policy.rule.update",'
    '"actor":{"alternateId":"@@bob.x+y@ex"},"target":[[{"alternateId":"a"}],1,null,{"alternateId":{"o":1}}]}}')

# ---- fuzz_time: event times ------------------------------------------------
T = "fuzz_time"
for i, t in enumerate(["2026-01-05T08:00:00Z", "2026-01-05T08:00:00.123Z", "2026-01-05T08:00:00.123456789Z",
                       "2026-01-05t08:00:00z", "2026-01-05 08:00:00+05:30", "2026-01-05T08:00:00,5-0800",
                       "2016-12-31T23:59:60Z", "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z",
                       "0000-01-01T00:00:00+23:59", "9999-12-31T23:59:59.999-23:59", "1970-01-01T00:00:00.000Z",
                       "1969-12-31T23:59:59.999Z", "2026-01-05T08:00:00", "2026-01-05T24:00:00Z",
                       "2026-13-01T00:00:00Z", "2026-01-05T08:00:00.Z", "2026-01-05T08:00:00+2400"]):
    put(T, f"time-{i:02d}.txt", t)
put(T, "int64-min.bin", struct.pack("<q", -2**63) + b"Z")
put(T, "int64-max.bin", struct.pack("<q", 2**63 - 1))
put(T, "int64-now.bin", struct.pack("<q", 1767600000000) + b"-01:00")

# ---- fuzz_alert_json: strings, and alert fields separated by FF FE --------
A = "fuzz_alert_json"
SEP = b"\xff\xfe"
def fields(*xs):
    return SEP.join(x.encode("utf-8", "surrogatepass") if isinstance(x, str) else x for x in xs)
put(A, "plain.txt", "Ann Example")
put(A, "controls.bin", bytes(range(0, 32)) + b'"\\\x7f/')
put(A, "unicode.txt", "Zoë – 東京 😀 \u2028\u2029 \ufeff \x85\x80\x9f\xa0")
put(A, "invalid-utf8.bin", b"\xc0\xaf \xe0\x80\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xf0\x9f\x98 \x80 \xfe\xff \xc3")
put(A, "alert-raw.bin", fields("", "00u1", "Ann Example", "ann@example.com", "-",
                               "102a", "203.0.113.9", "Mozilla/5.0 (X11)", "France", "Lyon",
                               "0b9a3c3e-4a1f-4f7e-9c55-2f1b1d7c6a10",
                               "102b", "2001:db8::1", "curl/8", "Romania", "Bucharest", "uuid-2",
                               "102c", "10.0.0.1", "", "", "", ""))
put(A, "alert-hostile.bin", fields("t\u2028\"", "\x00actor\n", "Okta\x7f <script>", b"\xff\xff", "okta-events",
                                   "\\u0000", b"\xed\xa0\x80", "A" * 600, "é" * 200, "", "x\r\n"))
put(A, "alert-long-cut.bin", fields("tenant", "a", "é" * 130, "ü" * 128, "f", "s", "1" * 300, "ü" * 257 + "x",
                                    "n" * 256, "c", "u" * 255))

# ---- fuzz_codec: user and tenant values (state/format/codec.h, version 1) --------
C = "fuzz_codec"
NONE = -2**63
def user(r, maxt, name, alt, sessions):
    b = struct.pack("<BqqHH", 1, r, maxt, len(name), len(alt)) + name + alt + struct.pack("<H", len(sessions))
    for first, last, events, sid, ip, ua, co, ci, uu in sessions:
        b += struct.pack("<qqIIBHBBB", first, last, events, len(sid), len(ip), len(ua), len(co), len(ci), len(uu))
        b += sid + ip + ua + co + ci + uu
    return b
t0 = 1767600000000
put(C, "user-empty.bin", user(NONE, NONE, b"", b"", []))
put(C, "user-two.bin", user(NONE, t0 + 60000, "Zoë".encode(), b"zoe@example.com", [
    (t0, t0, 1, b"102a", b"203.0.113.9", b"Mozilla/5.0", b"France", b"Lyon", b"0b9a3c3e-4a1f-4f7e-9c55-2f1b1d7c6a10"),
    (t0 + 1000, t0 + 60000, 3, b"102b", b"2001:db8::1", b"curl/8", b"", b"", b"evt-2")]))
put(C, "user-alerted.bin", user(t0 - 5, t0, b"", b"alt", [(t0 - 1, t0, 2, b"s\x00", b"", b"", b"", b"", b"")]))
put(C, "user-bad-dup.bin", user(NONE, t0, b"", b"", [(t0, t0, 1, b"s", b"", b"", b"", b"", b""),
                                                     (t0, t0, 1, b"s", b"", b"", b"", b"", b"")]))
def tenant(wm, slots):
    return struct.pack("<BqI", 1, wm, len(slots)) + b"".join(struct.pack("<qI", b, c) for b, c in slots)
put(C, "tenant-4.bin", tenant(t0, [(981999, 3), (982000, 100), (982001, 0), (982002, 7)]))
put(C, "tenant-0.bin", tenant(NONE, []))
put(C, "tenant-6.bin", tenant(t0, [(5, 1), (NONE, 0), (5, 2), (9, 9), (1, 1), (2, 2)]))

# ---- fuzz_cli: flag values and Redis URLs ---------------------------------
L = "fuzz_cli"
for i, s in enumerate(["35m", "90s", "1h", "500ms", "2d", "1.5min", "0x10s", "1e3s", "10m ", "-1s", "1e400s",
                       "1048576", "512k", "1MiB", "2G", "3GiB", "1B", "18446744073709551615",
                       "18446744073709551616", "64", "007",
                       "redis://localhost", "redis://user:p@ss/w@host:6380/2", "redis://:secret@127.0.0.1",
                       "redis://alice:@h", "unix:///run/redis.sock?db=3", "unix://rel", "redis://[::1]:6379/0",
                       "redis://h:0", "redis://h:65536/1048577", "redis:///0"]):
    put(L, f"arg-{i:02d}.txt", s)

# ---- fuzz_keys: Redis key names and user fields (state/format/keys.h) ------
K = "fuzz_keys"
for i, s in enumerate([b"sw:{sessionwatch:okta.events:0}:meta", b"sw:{a%3Ab%7Bx%7D%25:okta.events:-12}:meta",
                       b"sw:{::2147483647}:meta", b"sw:{g:t:-0}:meta", b"sw:{a%3ab:t:1}:meta", b"sw:{%00:t:1}:meta",
                       b"sw:{g*:t?[]\\:5}:meta", b"sw:{g:t:0}:users",
                       b"acme%25%1Fcorp\x1f00u\x1fz", b"\x1f00u-1", b"%41\x1fx", b"%2\x1fx", b"no-separator"]):
    put(K, f"name-{i:02d}.bin", s)
# ---- fuzz_kql: KQL queries (the Okta rules' shapes, every refusal, the
# grammar's quirks).  fuzz_kql's resolver types a field by its first byte
# (b boolean, l long, i ip, f flattened, u unknown, else keyword).
Q = "fuzz_kql"
put(Q, "rule-simple.txt", "data_stream.dataset:okta.system and event.action:user.mfa.attempt_bypass\n")
put(Q, "rule-threshold.txt", "data_stream.dataset:okta.system\n    and not okta.actor.id:okta* and "
    "okta.debug_context.debug_data.dt_hash:*\n    and okta.event_type:user.authentication* and "
    "okta.security_context.is_proxy:true\n")
put(Q, "rule-list-multiline.txt", 'data_stream.dataset: "okta.system"\n    and event.action: (\n'
    '        "user.authentication.verify" or\n        "user.authentication.auth_via_mfa"\n    )\n')
put(Q, "rule-nested.txt", 'k.issuer: (* and not "Okta")\n    and (\n        e: ("a" or "b")\n        or (\n'
    '            e: "c"\n            and k.reason: (\n                "x y" or "z"\n            )\n        )\n    )\n')
put(Q, "types.txt", 'not (k.actor: okta* or k.name: okta*) and bflag:false and lcount:-42 and '
    'iaddr:"::ffff:1.2.3.4" and fdata:*admin*\n')
put(Q, "escapes-unquoted.txt", 'kname:a\\(b\\)\\:c\\"d\\\\e \\or \\AND \\u0041\\uD83D\\uDE00 x\\ty\n')
put(Q, "escapes-quoted.txt", 'kname:"a\\"b\\\\c\\*d\\ne\\u00e9"\n')
put(Q, "refuse-range.txt", "lcount > 5\n")
put(Q, "refuse-nested.txt", "k.target:{ id:x }\n")
put(Q, "refuse-free.txt", "free text here\n")
put(Q, "refuse-field-wildcard.txt", "k*:x\n")
put(Q, "refuse-cidr.txt", "iaddr:10.0.0.0/8\n")
put(Q, "refuse-unknown.txt", "unknown.field:x\n")
put(Q, "refuse-not-in-value.txt", "kname:cannot be\n")
put(Q, "refuse-not-not.txt", "not not k:x\n")
put(Q, "refuse-deep.txt", "(" * 34 + "k:x" + ")" * 34 + "\n")
put(Q, "refuse-unterminated.txt", 'k:"unterminated\n')
put(Q, "precedence.txt", "k:(a or b and c) OR NOT k2:d AnD k3:e*f*g\n")
put(Q, "quirks.txt", "k:a?c or k:x or\n")
put(Q, "unicode-spaces.txt", "k:x\u00a0or\u00a0k:\u2000y\u2000\n")
# ---- fuzz_rules: rule TOML files (written here in Elastic's format; the
# project's own seed rule file; every refusal of stream/rules/ruledef.c).
R = "fuzz_rules"
with open("deploy/rules/sessionwatch_seed_rule.toml", encoding="utf-8") as f:
    put(R, "seed-rule.toml", f.read())
HEAD = ('[metadata]\nmaturity = "production"\n\n[rule]\nrule_id = "9f0c1d2e-0000-4000-8000-000000000001"\n'
        'name = "Example"\ntype = "query"\nlanguage = "kuery"\nseverity = "high"\nrisk_score = 73\n')
QUERY = "query = '''\nevent.dataset:okta.system and event.action:(user.mfa.factor.deactivate or \"x y\")\n'''\n"
THREAT = ('[[rule.threat]]\nframework = "MITRE ATT&CK"\n[rule.threat.tactic]\nid = "TA0003"\nname = "Persistence"\n'
          'reference = "https://attack.mitre.org/tactics/TA0003/"\n[[rule.threat.technique]]\nid = "T1556"\n'
          'name = "Modify Authentication Process"\n[[rule.threat.technique.subtechnique]]\nid = "T1556.006"\n'
          'name = "Multi-Factor Authentication"\n')
put(R, "query.toml", HEAD + 'from = "now-9m"\ninterval = "8m"\nmax_signals = 50\nversion = 2\n'
    'building_block_type = "default"\ntimestamp_override = "event.ingested"\n' + QUERY + THREAT)
THR = HEAD.replace('"query"', '"threshold"') + 'from = "now-1h"\n' + QUERY
put(R, "threshold.toml", THR + '[rule.threshold]\nfield = ["okta.actor.alternate_id", "source.ip"]\nvalue = 5\n'
    '[[rule.threshold.cardinality]]\nfield = "user_agent.os.name"\nvalue = 2\n')
put(R, "threshold-string-field.toml", THR + '[rule.threshold]\nfield = "okta.actor.id"\nvalue = 10000\n')
put(R, "one-line-queries.toml", HEAD + 'query = "a:\\"x\\" and not b:y*"\n')
put(R, "crlf.toml", (HEAD + QUERY).replace("\n", "\r\n"))
put(R, "refuse-eql.toml", HEAD.replace('"query"', '"eql"').replace('"kuery"', '"eql"') +
    "query = '''\nsequence by okta.actor.id [any where true]\n'''\n")
put(R, "refuse-lucene.toml", HEAD.replace('"kuery"', '"lucene"') + QUERY)
put(R, "refuse-kql-range.toml", HEAD + "query = '''\nevent.action:x\n  and okta.count >= 5\n'''\n")
put(R, "refuse-not-toml.toml", "[rule\nrule_id = \n")
put(R, "refuse-ill-typed.toml", HEAD.replace("risk_score = 73", 'risk_score = "73"') + QUERY)
put(R, "refuse-window.toml", HEAD + 'from = "now-8d"\n' + QUERY)
put(R, "refuse-threshold.toml", THR + '[rule.threshold]\nfield = ["a"]\nvalue = 0\n')
put(R, "refuse-cardinality.toml", THR + '[rule.threshold]\nfield = ["a"]\nvalue = 1\n'
    '[[rule.threshold.cardinality]]\nfield = "b"\nvalue = 10001\n')
put(R, "refuse-nul.toml", HEAD.replace('"Example"', '"a\\u0000b"') + QUERY)
put(R, "refuse-threat.toml", HEAD + QUERY + THREAT.replace('id = "T1556.006"', 'id = 6'))
put(R, "deep-arrays.toml", "x = " + "[" * 300 + "]" * 300 + "\n")
# ---- fuzz_rengine: NDJSON records through the rules engine (its rules are
# compiled into the target): gen records of each format, and an attack.
G = "fuzz_rengine"
for fmt in ("raw", "ecs", "eventbridge"):
    put(G, f"gen-{fmt}.ndjson", "\n".join(gen(fmt)[:12]) + "\n")
put(G, "raw-three-sessions.ndjson", "\n".join(raw("00u1", f"s{i}", f"2026-01-05T08:0{i}:00Z") for i in range(3)) + "\n")
put(G, "raw-targets.ndjson", "\n".join(raw("00u3", "t", f"2026-01-05T08:0{i}:00Z", eventType="user.account.lock",
    target=[{"alternateId": "a"}, {"alternateId": "b"}], securityContext={"isProxy": i % 2 == 0}) for i in range(4)) + "\n")
put(G, "array-page.json", "[" + ",".join(raw("00u4", f"p{i}", f"2026-01-05T08:1{i}:00Z") for i in range(3)) + "]\n")
PY
# ---- fuzz_irecord: internal records (stream/core/irecord.h, version 1),
# encoded by hand from the documented layout, so that the replay (which
# re-encodes each) also checks that the layout text matches the decoder.
OUT="$out" python3 - <<'PY'
import os, struct

out = os.path.join(os.environ["OUT"], "fuzz_irecord")

def varint(v):
    b = bytearray()
    while v >= 0x80:
        b.append((v & 0x7f) | 0x80)
        v >>= 7
    b.append(v)
    return bytes(b)

def zz(v): return varint((v << 1) ^ (v >> 63) if v >= 0 else ((v << 1) ^ -1) & (2**64 - 1))
def text(s): s = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s; return varint(len(s)) + s

def rec(tenant, terms, fields, rules, identity=None, kafka=True, name="okta-raw", line=0, part=3, off=1234,
        ktime=1767600000000, index=None, version=1):
    present = sum(1 << i for i, f in enumerate(fields) if f is not None)
    uuid = fields[7]
    flags = (1 if identity is None else 0) | (2 if kafka else 0) | (4 if name is None else 0)
    b = b"Si" + bytes([version, present, flags]) + text(tenant) + varint(len(terms)) + b"".join(map(text, terms))
    if identity is not None: b += text(identity)
    b += b"".join(text(f) for f in fields if f is not None)
    if name is not None: b += text(name)
    b += (zz(part) + zz(off)) if kafka else varint(line)
    b += zz(ktime) + varint(0 if index is None else index + 1)
    b += varint(len(rules))
    for rid_hash, t, values in rules:
        b += struct.pack("<Q", rid_hash) + zz(t) + varint(len(values)) + b"".join(map(text, values))
    return b

def put(name, data):
    with open(os.path.join(out, name), "wb") as f: f.write(data)

U = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
full = ["00u1", "Ann Example", "ann@example.com", "203.0.113.9", "Mozilla/5.0", "France", "Lyon", U]
put("actor-id-kafka.bin", rec("acme", ["00u1"], full, [(0x1122334455667788, 1767600000000, ["102a"])]))
put("two-terms-two-rules.bin", rec("", ["ann@example.com", "user.session.start"], full,
    [(1, 1767600000000, []), (2**64 - 1, 1767600001000, ["Windows", "Mac OS X"])], index=2))
put("no-uuid-file-source.bin", rec("t", ["dt-hash"], full[:7] + [None], [(7, -5, ["x"])], identity="0123456789abcdef",
    kafka=False, name="-", line=42, ktime=-2**63))
put("absent-and-empty.bin", rec("", [""], [None, "", None, "", None, None, "", None], [(0, 0, [""])],
    identity="", kafka=False, name=None, line=1, ktime=-2**63))
put("hostile-bytes.bin", rec(b"a\x00\x1f\"\\", [b"\xff\xfe", b"\x00"], full, [(9, 253402300799999, [b"\x1f" * 40])]))
put("refuse-time-year-10000.bin", rec("acme", ["00u1"], full, [(1, 253402300800000, [])]))
put("same-group-many-values.bin", rec("acme", ["00u1"], full, [(3, 1767600000000 + i, [f"s{i}-{k}" for k in range(4)])
    for i in range(6)]))
put("refuse-version-2.bin", rec("acme", ["00u1"], full, [(1, 0, [])], version=2))
put("refuse-truncated.bin", rec("acme", ["00u1"], full, [(1, 0, [])])[:-3])
PY
du -sh "$out"; for d in "$out"/*; do echo "$(ls "$d" | wc -l) $d"; done
