"""Start and stop docker-compose.yml with podman-compose, honouring its health conditions.

podman 4.3 (Debian bookworm's) cannot wait for ``condition: service_healthy`` (podman-compose
ignores it below podman 4.6), runs health checks only from systemd timers (there is no systemd in
these containers' hosts), and fails to start a container whose ``--requires`` chain is deeper than
one ("depends on container ... not found in input list"). So this starts the file's services in the
order of their ``depends_on``, one level at a time with ``up -d --no-deps``, and waits for each
level itself: a service with a health check until ``podman healthcheck run`` passes, a one-shot job
(``restart: "no"``) until it exited 0. Where podman is new enough, ``podman-compose up -d`` or
``docker compose up -d`` does the same on its own.

    deploy/containers/build-images.sh                       # the images (cached)
    JWT_SECRET=... PAYMENT_NOTICE_SECRET=... python -m deploy.containers.compose up
    python -m deploy.containers.compose down                # containers, network and volumes
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
CONTAINERS_CONF = Path(__file__).resolve().parent / "containers.conf"


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"CONTAINERS_CONF": str(CONTAINERS_CONF), **os.environ, **(extra or {})}


def podman_compose() -> list[str]:
    beside = Path(sys.executable).with_name("podman-compose")
    found = str(beside) if beside.exists() else shutil.which("podman-compose")
    if not found:
        raise RuntimeError("podman-compose is not installed (pip install -r requirements-dev.txt)")
    return [found]


def services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]


def levels(defined: dict[str, dict]) -> list[list[str]]:
    """The services in start order: each level depends only on earlier ones."""
    deps = {name: set(svc.get("depends_on") or {}) for name, svc in defined.items()}
    ordered, done = [], set()
    while len(done) < len(deps):
        level = sorted(name for name, needs in deps.items() if name not in done and needs <= done)
        if not level:
            raise ValueError(f"a depends_on cycle among {sorted(set(deps) - done)}")
        ordered.append(level)
        done.update(level)
    return ordered


def container(project: str, service: str) -> str:
    return f"{project}_{service}_1"


def _run(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def wait_ready(project: str, service: str, spec: dict, env: dict[str, str], timeout: float) -> None:
    name = container(project, service)
    deadline = time.monotonic() + timeout
    if spec.get("restart") == "no":                       # a one-shot job: it must exit 0
        waited = _run(["podman", "wait", name], env, timeout=timeout)
        code = waited.stdout.strip()
        if code != "0":
            logs = _run(["podman", "logs", "--tail", "30", name], env).stdout
            raise RuntimeError(f"{service} exited with {code or waited.stderr.strip()}:\n{logs}")
        return
    if not spec.get("healthcheck"):
        return
    while True:
        if _run(["podman", "healthcheck", "run", name], env, timeout=60).returncode == 0:
            return
        state = _run(["podman", "inspect", "--format", "{{.State.Status}}", name], env).stdout.strip()
        if time.monotonic() > deadline or state in ("exited", "stopped"):
            logs = _run(["podman", "logs", "--tail", "30", name], env).stdout
            raise RuntimeError(f"{service} is not healthy after {timeout:g}s (state {state}):\n{logs}")
        time.sleep(2)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def up(project: str, env: dict[str, str], timeout: float = 240, say=_say) -> None:
    defined = services()
    for level in levels(defined):
        started = time.monotonic()
        result = _run([*podman_compose(), "-p", project, "up", "-d", "--no-deps", *level], env)
        if result.returncode:
            raise RuntimeError(f"podman-compose up {' '.join(level)} failed:\n{result.stdout}{result.stderr}")
        for service in level:
            wait_ready(project, service, defined[service], env, timeout)
        say(f"{', '.join(level)}: ready in {time.monotonic() - started:.0f}s")


def down(project: str, env: dict[str, str]) -> None:
    _run([*podman_compose(), "-p", project, "down", "-v", "-t", "10"], env)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "up"
    project = os.environ.get("COMPOSE_PROJECT_NAME", "aftersales")
    env = environment()
    if command == "up":
        up(project, env)
    elif command == "down":
        down(project, env)
    else:
        raise SystemExit("usage: python -m deploy.containers.compose [up|down]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
