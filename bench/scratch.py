"""What every benchmark that starts processes needs around them: a RabbitMQ virtual host of its
own (removed afterwards) and a SIGTERM that unwinds like Ctrl-C, so that the `finally` blocks stop
every process and drop every database also when a time limit ends the run."""
from __future__ import annotations

import signal
import uuid

from nameko.testing import rabbit

MANAGEMENT = "http://guest:guest@127.0.0.1:15672"


def new_vhost(prefix: str = "bench") -> tuple[str, str]:
    """(its name, the AMQP URI into it) of a fresh virtual host the guest user may use."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    api = rabbit.Client(MANAGEMENT)
    api.create_vhost(name)
    api.set_vhost_permissions(name, "guest", ".*", ".*", ".*")
    return name, f"amqp://guest:guest@127.0.0.1:5672/{name}"


def delete_vhost(name: str) -> None:
    rabbit.Client(MANAGEMENT).delete_vhost(name)


def stop_on_sigterm() -> None:
    """Stopped from outside (a time limit): raise KeyboardInterrupt, so every `finally` still runs."""
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
