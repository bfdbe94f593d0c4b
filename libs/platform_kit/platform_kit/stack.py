"""Start, watch and stop the whole platform as local processes (``make run`` and end-to-end tests).

Each service and the gateway is its own ``python -m platform_kit.run`` process with its own log
file. Stopping sends SIGTERM to all, then SIGKILL to whatever still runs after the grace period,
so the whole stack is gone within ``grace`` seconds.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from platform_kit import manifest


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    module: str
    port: int

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"


def default_specs(port_offset: int = 0) -> list[ProcessSpec]:
    """Every service of the manifest and the gateway, on the manifest's ports plus ``port_offset``."""
    platform = manifest.load()
    specs = [ProcessSpec(s.name, s.module, s.port + port_offset) for s in platform.services]
    specs.append(ProcessSpec("gateway", platform.gateway_module, platform.gateway_port + port_offset))
    return specs


class Stack:
    def __init__(self, specs: list[ProcessSpec], env: dict[str, str], log_dir: Path,
                 python: str = sys.executable):
        self.specs = {s.name: s for s in specs}
        self.env = env
        self.log_dir = Path(log_dir)
        self.python = python
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, *names: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        names = names or tuple(self.specs)
        # a health check answered by a stray process from an earlier run would be a lie
        taken = [f"{n} (port {self.specs[n].port})" for n in names if port_open("127.0.0.1", self.specs[n].port)]
        if taken:
            raise RuntimeError(f"already in use by another process: {', '.join(taken)}; stop it first")
        for name in names:
            spec = self.specs[name]
            env = {**os.environ, **self.env, "WEB_SERVER_ADDRESS": f"127.0.0.1:{spec.port}",
                   "PLATFORM_SERVICE": name}
            log = open(self.log_dir / f"{name}.log", "ab")
            self.procs[name] = subprocess.Popen(
                [self.python, "-m", "platform_kit.run", spec.module], env=env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)

    def wait_healthy(self, *names: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for name in names or tuple(self.specs):
            spec = self.specs[name]
            while True:
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_dir / name}.log")
                try:
                    if requests.get(spec.health_url, timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} did not become healthy within {timeout:.0f}s")
                time.sleep(0.2)

    def stop(self, *names: str, grace: float = 8.0) -> None:
        targets = [n for n in (names or tuple(self.procs)) if n in self.procs]
        for name in targets:
            _signal(self.procs[name], signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name in targets:
            proc = self.procs.pop(name)
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL)
                proc.wait()

    def kill(self, name: str) -> None:
        """Die without warning (tests of crash recovery)."""
        proc = self.procs.pop(name)
        _signal(proc, signal.SIGKILL)
        proc.wait()

    def running(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is None]


def _signal(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
