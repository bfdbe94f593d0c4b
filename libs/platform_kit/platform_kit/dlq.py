"""Operator command for a service's dead-letter queue.

    python -m platform_kit.dlq list SERVICE            # what is there, with the error of each
    python -m platform_kit.dlq replay SERVICE          # every message back to its handler's queue
    python -m platform_kit.dlq replay SERVICE --event-id 7f0c...   # just that one

The broker is read from ``AMQP_URI`` (default the local broker).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass

from kombu import Connection

from platform_kit.consumer import ATTEMPT_HEADER, FAILED_AT_HEADER, dead_letter_queue, dead_letter_queue_name


@dataclass
class DeadLetter:
    event_id: str | None
    event_type: str | None
    queue: str
    handler: str
    attempts: int
    error: str
    body: bytes
    headers: dict
    content_type: str
    content_encoding: str


def _parse(message) -> DeadLetter:
    headers = dict(message.headers or {})
    try:
        envelope = json.loads(message.body)
    except (ValueError, TypeError):
        envelope = {}
    return DeadLetter(
        event_id=envelope.get("event_id"), event_type=envelope.get("event_type"),
        queue=headers.get("x-platform-queue", ""), handler=headers.get("x-platform-handler", ""),
        attempts=int(headers.get(ATTEMPT_HEADER, 0)), error=headers.get("x-platform-error", ""),
        body=message.body, headers=headers, content_type=message.content_type,
        content_encoding=message.content_encoding,
    )


def dead_letter_depth(amqp_uri: str, service: str) -> tuple[int, float]:
    """How many messages wait in the service's dead-letter queue, and the oldest one's age in seconds."""
    with Connection(amqp_uri, connect_timeout=5) as conn:
        channel = conn.channel()
        queue = dead_letter_queue(service)(channel)
        depth = queue.queue_declare().message_count
        oldest = 0.0
        if depth:
            first = queue.get(no_ack=False)
            if first is not None:
                failed_at = (first.headers or {}).get(FAILED_AT_HEADER)
                oldest = max(time.time() - float(failed_at), 0.0) if failed_at else 0.0
                first.requeue()
        channel.close()
    return depth, oldest


def list_dead_letters(amqp_uri: str, service: str) -> list[DeadLetter]:
    """Read every dead letter without removing any (they are returned to the queue)."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        queue = dead_letter_queue(service)(channel)
        queue.declare()
        found = []
        while True:
            message = queue.get(no_ack=False)
            if message is None:
                break
            found.append(_parse(message))
        channel.close()  # un-acked messages go back to the queue
    return found


def replay(amqp_uri: str, service: str, event_id: str | None = None) -> int:
    """Send dead letters back to the queue of the handler that failed; return how many."""
    replayed = 0
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        queue = dead_letter_queue(service)(channel)
        queue.declare()
        producer = conn.Producer(channel)
        while True:
            message = queue.get(no_ack=False)
            if message is None:
                break
            letter = _parse(message)
            if (event_id and letter.event_id != event_id) or not letter.queue:
                continue  # left un-acked: it returns to the queue when the channel closes
            headers = {k: v for k, v in letter.headers.items() if not k.startswith("x-platform-")}
            producer.publish(letter.body, exchange="", routing_key=letter.queue, headers=headers,
                             content_type=letter.content_type, content_encoding=letter.content_encoding,
                             delivery_mode=2)
            message.ack()
            replayed += 1
        channel.close()
    return replayed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m platform_kit.dlq", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("service", help="the service name (deploy/services.toml)")
    parser.add_argument("--event-id", help="replay only this event")
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    args = parser.parse_args(argv)
    if args.action == "list":
        letters = list_dead_letters(args.amqp_uri, args.service)
        for letter in letters:
            sys.stdout.write(json.dumps({
                "event_id": letter.event_id, "event_type": letter.event_type, "handler": letter.handler,
                "attempts": letter.attempts, "error": letter.error,
            }, ensure_ascii=False) + "\n")
        sys.stdout.write(f"{len(letters)} dead letter(s) in {dead_letter_queue_name(args.service)}\n")
    else:
        count = replay(args.amqp_uri, args.service, args.event_id)
        sys.stdout.write(f"replayed {count} message(s) from {dead_letter_queue_name(args.service)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
