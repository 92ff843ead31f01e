#!/usr/bin/python3
"""An independent Kafka client for the Kafka tests (kafka-python: pure Python, no librdkafka).

  kafka_client.py produce BOOTSTRAP TOPIC FILE   messages from FILE, one per line: KEY<TAB>VALUE
                                                 (an empty KEY sends no key); keyed messages are
                                                 partitioned by murmur2 like the Java client
  kafka_client.py consume BOOTSTRAP TOPIC        every message of TOPIC from its earliest offset
                                                 to its current end, uncommitted data included,
                                                 as JSON lines {"p","o","k","v","h"}
  kafka_client.py partitions BOOTSTRAP TOPIC     the partition count

Bytes are decoded as latin-1, so any byte string round-trips. Exit 1 with one line on failure.
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def produce(bootstrap, topic, path):
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            key, _, value = line.partition(b"\t")
            producer.send(topic, key=key or None, value=value)
    producer.flush(timeout=60)
    producer.close()


def consume(bootstrap, topic):
    # kafka-python 2.0 knows no transactions: it reads every record, aborted ones included.
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    if not parts:
        raise RuntimeError("topic %s does not exist" % topic)
    consumer.assign(parts)
    consumer.seek_to_beginning()
    end = consumer.end_offsets(parts)
    deadline = time.time() + 120
    out = sys.stdout
    while any(consumer.position(tp) < end[tp] for tp in parts):
        if time.time() > deadline:
            raise RuntimeError("could not read %s to its end" % topic)
        for tp, msgs in consumer.poll(timeout_ms=200).items():
            for m in msgs:
                if m.offset >= end[tp]:
                    continue
                out.write(json.dumps({
                    "p": m.partition, "o": m.offset,
                    "k": None if m.key is None else m.key.decode("latin-1"),
                    "v": m.value.decode("latin-1"),
                    "h": {k: (v or b"").decode("latin-1") for k, v in (m.headers or [])},
                }) + "\n")
    consumer.close()


def partitions(bootstrap, topic):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    print(len(consumer.partitions_for_topic(topic) or []))
    consumer.close()


def main():
    try:
        cmd, args = sys.argv[1], sys.argv[2:]
        {"produce": produce, "consume": consume, "partitions": partitions}[cmd](*args)
    except Exception as e:  # one line for the test's failure message
        sys.stderr.write("kafka_client.py: %s: %s\n" % (type(e).__name__, e))
        sys.exit(1)


if __name__ == "__main__":
    main()
