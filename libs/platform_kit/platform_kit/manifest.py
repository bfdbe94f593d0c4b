"""The deployment's manifest: which processes make up the platform (read from a TOML file).

The kernel knows no service by name: ``make run``, the migrator, the test plugin and the event
catalogue ask this module, which reads ``deploy/services.toml`` (or the file named by
``PLATFORM_MANIFEST``), found from the working directory upwards.
"""
from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_RELATIVE_PATH = Path("deploy") / "services.toml"


@dataclass(frozen=True)
class Service:
    name: str
    package: str
    port: int
    database: str

    @property
    def module(self) -> str:
        return f"{self.package}.service"

    @property
    def database_url_key(self) -> str:
        return f"{self.name.upper()}_DATABASE_URL"


@dataclass(frozen=True)
class Manifest:
    services: tuple[Service, ...]
    gateway_module: str
    gateway_port: int
    path: Path

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.services)

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise LookupError(f"{name!r} is not a service of the manifest {self.path} (known: {', '.join(self.names)})")


def find_path(start: Path | None = None) -> Path:
    named = os.environ.get("PLATFORM_MANIFEST")
    if named:
        return Path(named)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_RELATIVE_PATH
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no {DEFAULT_RELATIVE_PATH} in {here} or above, and PLATFORM_MANIFEST is not set")


def parse(path: Path) -> Manifest:
    data = tomllib.loads(path.read_text())
    services = []
    for name, entry in data.get("services", {}).items():
        missing = {"package", "port", "database"} - entry.keys()
        if missing:
            raise ValueError(f"{path}: services.{name} lacks {', '.join(sorted(missing))}")
        services.append(Service(name, entry["package"], int(entry["port"]), entry["database"]))
    gateway = data.get("gateway", {})
    return Manifest(tuple(services), gateway.get("module", "gateway.service"), int(gateway.get("port", 8000)), path)


@functools.cache
def load() -> Manifest:
    return parse(find_path())
