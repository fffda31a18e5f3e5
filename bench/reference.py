#!/usr/bin/env python3
"""reference.py -- the baseline a user would write: the same rule as
sessionwatch, as plain Python (json.loads per line, dicts for state).

It is the benchmark's "before" and the tests' second opinion on the rule, so it
is kept plain: correct, idiomatic, neither deliberately slow nor tuned.

Reads NDJSON from the files named on the command line (or stdin, or "-"),
prints one JSON line per alert to stdout:
    {"tenant":..,"actor_id":..,"sessions":[sorted ids],"timestamp":"<RFC 3339 ms Z>"}
and at the end one summary line to stderr:
    {"records":N,"eligible":N,"alerts":N,"too_late":N,"bad_time":N,"malformed":N,"capped":N}

The rule
  Eligible event: a dataset, when the record names one (event.dataset or
  data_stream.dataset, not null), is the string "okta.system"; the event
  type (eventType, else okta.event_type) is exactly "user.session.start";
  the external session id (authenticationContext.externalSessionId, else
  okta.authentication_context.external_session_id) and the actor id
  (actor.id, else okta.actor.id) are non-empty strings; neither the actor id
  nor the display name (actor.displayName, else okta.actor.display_name)
  starts with "okta" (case-sensitive); a field of the wrong JSON type makes
  the event ineligible.  Its time is `@timestamp`, else `published` (for an
  EventBridge detail: `published`, else `@timestamp`), RFC 3339 as
  stream/core/timefmt.c reads it, truncated to milliseconds; an eligible event
  whose time is missing or does not parse is counted as bad_time.
  Keys are (tenant, actor id).  Per tenant the watermark wm is the newest time
  of its eligible events.  For each eligible event (tenant, actor, s, t):
    0. t < wm - (W + L): dropped as too_late.  Else wm = max(wm, t); a key
       whose maxT < wm - (W + L) is forgotten before it is used.
    1. t <= r (time of the key's last alert): ignored.
    2. last(s) = max(last(s), t); maxT = max(maxT, t).
    3. Q = sessions with last(s) >= maxT - W.
    4. |Q| >= N: alert with Q; r = maxT; the key's sessions are forgotten.
  At most --max-alerts alerts per tenant per 30-minute bucket of the alert's
  event time; beyond that the alert is counted as capped, not printed, and
  the key is reset all the same.

Formats: raw Okta LogEvent, ECS documents (nested, dotted or mixed keys), an
EventBridge envelope ({"detail-type":..,"detail":{LogEvent}}: the event is
detail, the tenant path is looked up on the envelope first, then on detail),
and a JSON array line holding several of these.

Counting: "records" counts non-blank lines; "eligible" counts events that pass
the filter and have a valid time (too_late ones included); "malformed" counts
lines that are not UTF-8 JSON objects or arrays of objects (NaN/Infinity
rejected).  A tenant that is absent or null is null; a non-string tenant value
is used as its compact JSON text.  Where a field has two spellings the first
one present (even if null) is used.  Unlike the C extractor, duplicate keys
are not rejected (the last one wins, as json.loads does).
"""
import argparse
import json
import sys

MISSING = object()
MIN_MS = -62167219200000  # 0000-01-01T00:00:00.000Z
MAX_MS = 253402300799999  # 9999-12-31T23:59:59.999Z
BUCKET_MS = 30 * 60 * 1000
DIGITS = "0123456789"


def lookup(obj, path):
    """Value at a dotted path, however nesting and dotted keys spell it."""
    if not isinstance(obj, dict):
        return MISSING
    if path in obj:
        return obj[path]
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:i])
        if head in obj:
            value = lookup(obj[head], ".".join(parts[i:]))
            if value is not MISSING:
                return value
    return MISSING


def first(obj, *paths):
    for path in paths:
        value = lookup(obj, path)
        if value is not MISSING:
            return value
    return MISSING


def _num(s):
    return int(s) if s and all(c in DIGITS for c in s) else None


def days_from_civil(y, m, d):
    """Days since 1970-01-01 in the proleptic Gregorian calendar."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def month_days(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


def parse_time(s):
    """RFC 3339 time to ms since the epoch (fraction truncated), or None.

    Same grammar as stream/core/timefmt.c: YYYY-MM-DD, then T, t or a space,
    hh:mm:ss (60 allowed, a leap second), an optional fraction after '.' or
    ',', then Z, z, +hh:mm, -hh:mm, +hhmm or -hhmm (the offset is required)."""
    if not isinstance(s, str) or len(s) < 20:
        return None
    if s[4] != "-" or s[7] != "-" or s[10] not in "Tt " or s[13] != ":" or s[16] != ":":
        return None
    fields = [_num(s[0:4]), _num(s[5:7]), _num(s[8:10]), _num(s[11:13]), _num(s[14:16]), _num(s[17:19])]
    if None in fields:
        return None
    year, month, day, hour, minute, second = fields
    if not 1 <= month <= 12 or not 1 <= day <= month_days(year, month):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    rest = s[19:]
    millis = 0
    if rest[:1] in (".", ","):
        end = 1
        while end < len(rest) and rest[end] in DIGITS:
            end += 1
        if end == 1:
            return None
        millis = int((rest[1:end] + "00")[:3])
        rest = rest[end:]
    if rest in ("Z", "z"):
        offset = 0
    elif rest[:1] in ("+", "-") and (len(rest) == 5 or (len(rest) == 6 and rest[3] == ":")):
        oh, om = _num(rest[1:3]), _num(rest[-2:])
        if oh is None or om is None or oh > 23 or om > 59:
            return None
        offset = (oh * 60 + om) * (-1 if rest[0] == "-" else 1)
    else:
        return None
    days = days_from_civil(year, month, day)
    return (days * 86400 + hour * 3600 + minute * 60 + second - offset * 60) * 1000 + millis


def format_time(ms):
    """"YYYY-MM-DDThh:mm:ss.mmmZ"; years outside 0000..9999 are clamped."""
    ms = min(max(ms, MIN_MS), MAX_MS)
    days, rem = divmod(ms, 86400000)
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        year, month, day, rem // 3600000, rem // 60000 % 60, rem // 1000 % 60, rem % 1000)


def reject_constant(name):
    raise ValueError("not JSON: " + name)


class Key:
    __slots__ = ("last_alert", "max_t", "sessions")

    def __init__(self):
        self.last_alert = None  # r; None is -infinity
        self.max_t = None
        self.sessions = {}  # session id -> last seen


class Detector:
    def __init__(self, args, out):
        self.window = args.window_min * 60000
        self.horizon = (args.window_min + args.lateness_min) * 60000
        self.min_sessions = args.min_sessions
        self.max_alerts = args.max_alerts
        self.tenant_field = args.tenant_field
        self.out = out
        self.watermark = {}  # tenant -> newest eligible event time
        self.keys = {}  # (tenant, actor id) -> Key
        self.bucket_alerts = {}  # (tenant, bucket) -> alerts printed
        self.stats = {"records": 0, "eligible": 0, "alerts": 0, "too_late": 0,
                      "bad_time": 0, "malformed": 0, "capped": 0}

    def line(self, raw):
        if not raw.strip(b" \t\r\n"):
            return
        self.stats["records"] += 1
        try:
            doc = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            self.stats["malformed"] += 1
            return
        events = doc if isinstance(doc, list) else [doc]
        if not all(isinstance(e, dict) for e in events):
            self.stats["malformed"] += 1
            return
        for event in events:
            self.event(event)

    def tenant_of(self, envelope, event):
        if not self.tenant_field:
            return None
        value = MISSING
        if envelope is not None:
            value = lookup(envelope, self.tenant_field)
        if value is MISSING:
            value = lookup(event, self.tenant_field)
        if value is MISSING or value is None:
            return None
        if isinstance(value, str):
            return value
        return json.dumps(value, separators=(",", ":"))

    def event(self, event):
        envelope = None
        if "detail-type" in event and isinstance(event.get("detail"), dict):
            envelope, event = event, event["detail"]
        for path in ("event.dataset", "data_stream.dataset"):
            dataset = lookup(event, path)
            if dataset is not MISSING and dataset is not None and dataset != "okta.system":
                return
        if first(event, "eventType", "okta.event_type") != "user.session.start":
            return
        session = first(event, "authenticationContext.externalSessionId",
                        "okta.authentication_context.external_session_id")
        if not isinstance(session, str) or not session:
            return
        actor = first(event, "actor.id", "okta.actor.id")
        if not isinstance(actor, str) or not actor or actor.startswith("okta"):
            return
        name = first(event, "actor.displayName", "okta.actor.display_name")
        if name is not MISSING and name is not None:
            if not isinstance(name, str) or name.startswith("okta"):
                return  # excluded, or a display name of the wrong type
        if envelope is None:  # an ECS time wins; a raw event has none
            t = parse_time(first(event, "@timestamp", "published"))
        else:  # EventBridge: detail is a raw LogEvent
            t = parse_time(first(event, "published", "@timestamp"))
        if t is None:
            self.stats["bad_time"] += 1
            return
        self.stats["eligible"] += 1
        self.observe(self.tenant_of(envelope, event), actor, session, t)

    def observe(self, tenant, actor, session, t):
        wm = self.watermark.get(tenant)
        if wm is not None and t < wm - self.horizon:
            self.stats["too_late"] += 1
            return
        if wm is None or t > wm:
            wm = self.watermark[tenant] = t
        key = self.keys.get((tenant, actor))
        if key is not None and key.max_t < wm - self.horizon:
            key = None  # evicted: everything about it is forgotten
        if key is None:
            key = self.keys[(tenant, actor)] = Key()
        if key.last_alert is not None and t <= key.last_alert:
            return
        if session not in key.sessions or t > key.sessions[session]:
            key.sessions[session] = t
        if key.max_t is None or t > key.max_t:
            key.max_t = t
        low = key.max_t - self.window
        live = {s: last for s, last in key.sessions.items() if last >= low}
        if len(live) < self.min_sessions:
            key.sessions = live  # the others can never count again
            return
        bucket = (tenant, t // BUCKET_MS)
        if self.bucket_alerts.get(bucket, 0) < self.max_alerts:
            self.bucket_alerts[bucket] = self.bucket_alerts.get(bucket, 0) + 1
            self.stats["alerts"] += 1
            self.out.write(json.dumps({"tenant": tenant, "actor_id": actor,
                                       "sessions": sorted(live),
                                       "timestamp": format_time(t)},
                                      separators=(",", ":")) + "\n")
        else:
            self.stats["capped"] += 1
        key.last_alert = key.max_t
        key.sessions = {}


def add_rule_args(parser):
    """The rule's parameters, shared with bench/reference_kafka.py."""
    parser.add_argument("--window-min", type=int, default=35)
    parser.add_argument("--min-sessions", type=int, default=3)
    parser.add_argument("--lateness-min", type=int, default=10)
    parser.add_argument("--tenant-field", default=None, help="dotted path of the tenant")
    parser.add_argument("--max-alerts", type=int, default=100,
                        help="alerts per tenant per 30-minute bucket")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="NDJSON files (default: stdin)")
    add_rule_args(parser)
    args = parser.parse_args()

    detector = Detector(args, sys.stdout)
    for name in args.files or ["-"]:
        if name == "-":
            for raw in sys.stdin.buffer:
                detector.line(raw)
        else:
            with open(name, "rb") as f:
                for raw in f:
                    detector.line(raw)
    sys.stdout.flush()
    sys.stderr.write(json.dumps(detector.stats, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
