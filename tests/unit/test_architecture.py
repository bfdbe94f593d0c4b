"""The shape every service keeps (docs/architecture.md), checked rather than hoped for.

- Domain code is pure: importing every ``<service>.domain`` package (and the contracts package the
  domains share) in a fresh interpreter loads none of nameko, SQLAlchemy, eventlet, kombu, redis
  or PyJWT.
- The kernel (``platform_kit``) is mechanism only: it imports no service and names no service,
  event type or role; those facts live with their owners (``platform_contracts``, the manifest).
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from platform_contracts import roles
from platform_kit import contracts, manifest

ROOT = Path(__file__).resolve().parents[2]
KERNEL = ROOT / "libs" / "platform_kit" / "platform_kit"
FRAMEWORKS = ("nameko", "sqlalchemy", "eventlet", "kombu", "redis", "jwt", "psycopg2", "werkzeug")
SERVICES = manifest.load().services

PROBE = """
import importlib, json, pkgutil, sys
loaded = []
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for info in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=name + "."):
        importlib.import_module(info.name)
    loaded.append(name)
print(json.dumps({"checked": loaded, "frameworks": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def _import_in_fresh_interpreter(*packages: str) -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE, *packages], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_the_domain_of_every_service_loads_no_framework(service):
    domain = ROOT / "services" / service.package / service.package / "domain"
    if not domain.is_dir():
        pytest.fail(f"{service.package} has no domain package: its rules must live in {domain.relative_to(ROOT)}")
    probe = _import_in_fresh_interpreter(f"{service.package}.domain")
    leaked = sorted(set(FRAMEWORKS) & set(probe["frameworks"]))
    assert not leaked, f"{service.package}.domain loads {leaked}: domain code must be pure Python"


def test_the_contracts_domains_share_load_no_framework_but_marshmallow():
    probe = _import_in_fresh_interpreter("platform_contracts.roles", "platform_contracts.actor",
                                         "platform_contracts.nodes", "platform_kit.exceptions",
                                         "platform_kit.workcal")
    assert not set(FRAMEWORKS) & set(probe["frameworks"])


def _kernel_sources() -> list[Path]:
    return sorted(KERNEL.rglob("*.py"))


def test_the_kernel_imports_no_service_package():
    packages = {s.package for s in SERVICES} | {"gateway", "deploy"}
    offenders = []
    for path in _kernel_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in packages]
    assert not offenders


def test_the_kernel_names_no_service_event_type_or_role():
    words = ({s.name for s in SERVICES} | {s.package for s in SERVICES}
             | {c.event_type for c in contracts.all_contracts()} | set(roles.ROLES) - {"customer"})
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b")
    found = []
    for path in _kernel_sources():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for match in pattern.finditer(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    assert not found, "the kernel must stay generic; move these facts to their owners:\n" + "\n".join(found)
