"""Run one service (or the gateway) as its own process.

    python -m platform_kit.run PACKAGE.service [--config path/to/config.yml]

Why not ``nameko run``: it has been seen to sit on SIGTERM for minutes while workers drain. Here
SIGTERM/SIGINT ask the runner to stop gracefully and, if that takes longer than
``STOP_GRACE_SECONDS`` (default 5), kill it, so an orchestrator or Ctrl-C never waits long.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402 - must precede every other import

import argparse  # noqa: E402
import importlib  # noqa: E402
import inspect  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

from nameko import config  # noqa: E402
from nameko.cli.utils.config import setup_config  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from platform_kit import nameko_adapters  # noqa: E402
from platform_kit.logs import configure_logging  # noqa: E402

log = logging.getLogger("platform_kit.run")


def find_service_class(module_name: str):
    module = importlib.import_module(module_name)
    classes = [obj for _, obj in inspect.getmembers(module, inspect.isclass)
               if obj.__module__ == module.__name__ and isinstance(getattr(obj, "name", None), str)]
    if len(classes) != 1:
        raise SystemExit(f"{module_name} must define exactly one service class, found {len(classes)}")
    return module, classes[0]


def default_config_path(module) -> Path:
    return Path(module.__file__).with_name("config.yml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m platform_kit.run")
    parser.add_argument("module", help="the module of a service class, e.g. PACKAGE.service (deploy/services.toml)")
    parser.add_argument("--config", help="config.yml (default: the one next to the module)")
    args = parser.parse_args(argv)

    module, service_cls = find_service_class(args.module)
    with open(args.config or default_config_path(module)) as fh:
        setup_config(fh)
    configure_logging(service_cls.name, config.get("LOG_LEVEL"))
    nameko_adapters.apply()
    grace = float(os.environ.get("STOP_GRACE_SECONDS", "5"))

    runner = ServiceRunner()
    runner.add_service(service_cls)
    stopping = eventlet.event.Event()

    def on_signal(signum, frame):
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    runner.start()
    log.info("service %s started", service_cls.name)
    runner_done = eventlet.spawn(runner.wait)
    # whichever comes first: a signal, or the runner dying on its own (woken at once, not polled:
    # under load every tenth of a second of the grace counts)
    runner_done.link(lambda _: stopping.ready() or stopping.send(None))
    stopping.wait()
    if runner_done.dead and stopping.wait() is None:
        log.error("service %s stopped unexpectedly", service_cls.name)
        return 1
    started = time.monotonic()
    log.info("service %s stopping", service_cls.name)
    try:
        with eventlet.Timeout(grace):
            runner.stop()
    except eventlet.Timeout:
        log.warning("service %s did not stop within %.0fs; killing it", service_cls.name, grace)
        runner.kill()
    log.info("service %s stopped in %.2fs", service_cls.name, time.monotonic() - started)
    return 0


def _exit(code: int) -> None:
    """End the process once the runner has stopped: everything is answered, acked and closed by
    then. The interpreter's own teardown under eventlet took about a second idle and several
    under load (greenlets finalised one by one), eating the grace an orchestrator gives."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
