"""``python -m peers [mail|messaging|payment|supplier|all]``: serve local peers until SIGTERM/Ctrl-C.

Addresses come from the environment (defaults in brackets): ``PEERS_HOST`` [127.0.0.1],
``MAIL_WEB_PORT`` [8025], ``MAIL_SMTP_PORT`` [1025], ``MESSAGING_PORT`` [8192], ``PAYMENT_PORT``
[8190], ``SUPPLIER_PORT`` [8191]. The payment provider sends its notices to ``PAYMENT_NOTICE_URL``
signed with ``PAYMENT_NOTICE_SECRET``; ``PAYMENT_LATE_SECONDS`` [8] is how late a late answer comes.
The DingTalk robot checks signatures when ``DINGTALK_SECRET`` is set. One line per peer is
printed when it listens.
"""
from __future__ import annotations

import os
import signal
import sys
import threading

DEFAULT_PORTS = {"MAIL_WEB_PORT": 8025, "MAIL_SMTP_PORT": 1025, "MESSAGING_PORT": 8192, "PAYMENT_PORT": 8190,
                 "SUPPLIER_PORT": 8191}
KINDS = ("mail", "messaging", "payment", "supplier")


def _port(name: str) -> int:
    return int(os.environ.get(name) or DEFAULT_PORTS[name])


def build(kind: str, host: str):
    if kind == "mail":
        from peers.mail import MailSink
        return MailSink(host, _port("MAIL_WEB_PORT"), _port("MAIL_SMTP_PORT"))
    if kind == "messaging":
        from peers.messaging import MessagingPeer
        return MessagingPeer(host, _port("MESSAGING_PORT"), os.environ.get("DINGTALK_SECRET", ""))
    if kind == "payment":
        from peers.payment import PaymentPeer
        return PaymentPeer(host, _port("PAYMENT_PORT"), os.environ.get("PAYMENT_NOTICE_URL") or None,
                           os.environ.get("PAYMENT_NOTICE_SECRET") or None,
                           late_seconds=float(os.environ.get("PAYMENT_LATE_SECONDS") or 8))
    if kind == "supplier":
        from peers.supplier import SupplierPeer
        return SupplierPeer(host, _port("SUPPLIER_PORT"))
    raise SystemExit(f"unknown peer {kind!r}: one of {', '.join(KINDS)} or all")


def main(argv: list[str]) -> int:
    kinds = KINDS if not argv or argv[0] == "all" else tuple(argv)
    host = os.environ.get("PEERS_HOST", "127.0.0.1")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    running = []
    try:
        for kind in kinds:
            peer = build(kind, host).start()
            running.append(peer)
            extra = f" smtp={peer.smtp_port}" if kind == "mail" else ""
            sys.stdout.write(f"peer {kind} listening url={peer.url}{extra}\n")
            sys.stdout.flush()
        # a bounded wait: the signal may be delivered to another thread, and an unbounded wait in the
        # main thread would never see the handler run
        while not stopping.wait(0.5):
            pass
    finally:
        stoppers = [threading.Thread(target=peer.stop) for peer in running]   # all at once, not in turn
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
