#!/usr/bin/env python3
"""reference_kafka.py -- the Python baseline of bench/e2e: a plain Kafka
consumer (Debian's python3-confluent-kafka) that drains a topic and runs
bench/reference.py's Detector on every record value.

It owns only the Kafka side; the rule is imported from reference.py, so there
is one definition of it in Python.  As `sessionwatch run` keeps one engine per
partition (the input is keyed by user, so a user's events are in one
partition), it keeps one Detector per partition; each alert line is produced
to --alerts-topic, as run does.  The consumer is configured like bench/e2e's
bare librdkafka consumer: no group join (assign every partition from the
beginning), no commits, batches of consume().

It is run by bench/e2e as a child process and reports on stdout, one line each:
    first                  when the first record arrived, and
    last                   when the last one was processed (e2e snapshots the
                           mock broker's CPU at both)
    {"records":..,...}     at the end: records, value bytes, alerts, eligible,
                           the interval first record received -> last record
                           processed (seconds, CLOCK_MONOTONIC), the CPU seconds
                           of this process over it (all its threads, librdkafka's
                           included), and the spread of the partitions' first
                           records.
Exit status 0 when every expected record was read, 1 otherwise, 2 on usage.

usage: reference_kafka.py --brokers HOST:PORT --topic T --records N
                          [--alerts-topic A] [--group G] [--timeout S]
                          [-X key=value ...] [reference.py's rule flags]
"""
import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402  (the rule)

import confluent_kafka  # noqa: E402
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition  # noqa: E402


class AlertSink:
    """Detector's `out`: each alert line becomes one Kafka record."""

    def __init__(self, producer, topic):
        self.producer = producer
        self.topic = topic

    def write(self, line):
        if self.producer is not None:
            self.producer.produce(self.topic, line.rstrip("\n").encode("utf-8"))
            self.producer.poll(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--records", type=int, required=True, help="records to read before stopping")
    parser.add_argument("--alerts-topic", default=None, help="produce alerts here (default: only count them)")
    parser.add_argument("--group", default="reference-kafka")
    parser.add_argument("--timeout", type=float, default=180, help="seconds before giving up")
    parser.add_argument("-X", dest="props", action="append", default=[], help="librdkafka property key=value")
    reference.add_rule_args(parser)
    args = parser.parse_args()

    conf = {"bootstrap.servers": args.brokers, "client.id": "e2e-python", "group.id": args.group,
            "enable.auto.commit": False, "enable.auto.offset.store": False,
            "enable.partition.eof": False, "auto.offset.reset": "earliest"}
    for kv in args.props:
        key, sep, value = kv.partition("=")
        if not sep:
            parser.error("-X wants key=value")
        conf[key] = value
    consumer = Consumer(conf)
    producer = Producer({"bootstrap.servers": args.brokers, "client.id": "e2e-python-alerts"}) \
        if args.alerts_topic else None
    sink = AlertSink(producer, args.alerts_topic)

    # Metadata first, so that every partition has its leader when assigned.
    md = consumer.list_topics(args.topic, timeout=10).topics.get(args.topic)
    if md is None or md.error is not None or not md.partitions:
        sys.stderr.write("reference_kafka: no topic %s\n" % args.topic)
        return 1
    parts = sorted(md.partitions)
    consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in parts])

    detectors = {}
    first_at = {}
    got = nbytes = 0
    t_first = t_last = cpu_first = cpu_last = None
    deadline = time.monotonic() + args.timeout
    while got < args.records and time.monotonic() < deadline:
        for m in consumer.consume(num_messages=1000, timeout=0.1):
            err = m.error()
            if err is not None:
                if err.code() != KafkaError._PARTITION_EOF:
                    sys.stderr.write("reference_kafka: %s\n" % err)
                continue
            if t_first is None:
                t_first, cpu_first = time.monotonic(), time.process_time()
                sys.stdout.write("first\n")
                sys.stdout.flush()
            p = m.partition()
            if p not in first_at:
                first_at[p] = time.monotonic()
            d = detectors.get(p)
            if d is None:
                d = detectors[p] = reference.Detector(args, sink)
            value = m.value() or b""
            nbytes += len(value)
            got += 1
            d.line(value)
        if got >= args.records:
            t_last, cpu_last = time.monotonic(), time.process_time()
            sys.stdout.write("last\n")
            sys.stdout.flush()

    stats = {"records": got, "bytes": nbytes, "alerts": 0, "eligible": 0, "too_late": 0}
    for d in detectors.values():
        for k in ("alerts", "eligible", "too_late"):
            stats[k] += d.stats[k]
    undelivered = producer.flush(30) if producer is not None else 0
    consumer.close()
    ok = got == args.records and t_last is not None and undelivered == 0
    if ok:
        stats.update({"seconds": t_last - t_first, "cpu_s": cpu_last - cpu_first,
                      "spread_s": max(first_at.values()) - t_first, "partitions": len(parts),
                      "python": sys.version.split()[0], "confluent_kafka": confluent_kafka.version()[0]})
    else:
        sys.stderr.write("reference_kafka: read %d of %d records; %d alerts not delivered\n"
                         % (got, args.records, undelivered))
    sys.stdout.write(json.dumps(stats, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
