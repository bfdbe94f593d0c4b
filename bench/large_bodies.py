"""Latency of a small request while 16 clients send bodies of the maximum size (GW-3).

    make bench          (or: python -m bench.large_bodies --clients 16 --seconds 10)

Starts only the gateway (its own virtual host and Redis prefix), measures ``GET /health`` alone,
then again while ``--clients`` threads post 1 MB JSON bodies to ``POST /api/v1/auth/login``
without pause (each is read, parsed and refused by its schema before any RPC), and prints
p50/p99 of both. The gateway serves every connection from one OS thread, so this line shows
what a flood of large bodies costs everyone else.
"""
from __future__ import annotations

import argparse
import secrets
import sys
import threading
import time
from pathlib import Path

import requests

from bench.scratch import delete_vhost, new_vhost, stop_on_sigterm
from bench.thin_flow import out, percentile
from platform_kit.stack import Stack, default_specs

PORT_OFFSET = 10500  # gateway 18500: beside thin_flow's, below the ephemeral range
MAX_BODY = 1_048_576


def small_request_latencies(base: str, count: int, seconds: float = 30.0) -> list[float]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    with requests.Session() as session:
        while len(latencies) < count and time.monotonic() < deadline:
            started = time.perf_counter()
            assert session.get(f"{base}/health", timeout=30).status_code == 200
            latencies.append(time.perf_counter() - started)
    return latencies


def line(label: str, latencies: list[float]) -> str:
    return (f"{label}: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms ({len(latencies)} requests)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.large_bodies")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)

    vhost, amqp_uri = new_vhost()
    env = {"AMQP_URI": amqp_uri, "LOG_LEVEL": "WARNING",
           "REDIS_KEY_PREFIX": vhost, "JWT_SECRET": secrets.token_urlsafe(32), "RATE_LIMIT_PER_MINUTE": "1000000"}
    gateway = next(spec for spec in default_specs(PORT_OFFSET) if spec.name == "gateway")
    stack = Stack([gateway], env=env, log_dir=Path("var/bench-logs"))
    base = f"http://127.0.0.1:{gateway.port}"
    # a body just under the limit: one long string the login schema refuses by its length
    body = b'{"login_name": "x", "password": "' + b"p" * (MAX_BODY - 64) + b'"}'
    stop_on_sigterm()
    stack.start()
    try:
        stack.wait_healthy(timeout=60)
        small_request_latencies(base, 20)  # warm up
        alone = small_request_latencies(base, args.requests)
        stop, sent, refused = threading.Event(), [0], [0]

        def flood():
            with requests.Session() as session:
                while not stop.is_set():
                    answer = session.post(f"{base}/api/v1/auth/login", data=body, timeout=60,
                                          headers={"Content-Type": "application/json"})
                    sent[0] += 1
                    refused[0] += answer.status_code == 400

        clients = [threading.Thread(target=flood, daemon=True) for _ in range(args.clients)]
        for client in clients:
            client.start()
        time.sleep(1.0)  # let every client have a body in flight
        started = time.perf_counter()
        loaded = small_request_latencies(base, args.requests)
        elapsed = time.perf_counter() - started
        stop.set()
        for client in clients:
            client.join(timeout=60)
        out(line("GET /health alone", alone))
        out(line(f"GET /health while {args.clients} clients send 1 MB bodies", loaded))
        out(f"  large bodies answered: {sent[0]} ({refused[0]} refused 400), "
            f"{sent[0] * MAX_BODY / 1e6 / (elapsed + 1):.0f} MB/s into the gateway")
    finally:
        stack.stop(grace=5)
        delete_vhost(vhost)
    return 0


if __name__ == "__main__":
    sys.exit(main())
