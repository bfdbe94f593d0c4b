"""OPS-1: deploy/services.toml is the one list of the platform's processes; everything else agrees with it.

`make run` (platform_kit.stack), the migrator and the test plugin read it; docker-compose.yml and
the Kubernetes manifests are written by hand and checked against it here.
"""
from __future__ import annotations

import pytest

from platform_kit import manifest, migrate
from platform_kit.stack import default_specs
from tests.deploy.test_compose_file import (
    PACKAGES,
    app_services,
    container_env,
    deployments_running,
    environment,
    main_container,
    run_target,
    web_port,
)

PLATFORM = manifest.load()
SERVICES = PLATFORM.services


def test_OPS1_the_manifest_lists_exactly_the_service_packages_on_disk():
    on_disk = {p.entrypoint for p in PACKAGES if not p.is_gateway}
    assert on_disk == {s.module for s in SERVICES}
    assert len({s.port for s in SERVICES} | {PLATFORM.gateway_port}) == len(SERVICES) + 1, "ports must differ"
    assert len({s.database for s in SERVICES}) == len(SERVICES), "each service has its own database"


def test_OPS1_make_run_and_the_migrator_start_and_migrate_what_the_manifest_lists():
    specs = {spec.name: (spec.module, spec.port) for spec in default_specs()}
    assert specs == {**{s.name: (s.module, s.port) for s in SERVICES},
                     "gateway": (PLATFORM.gateway_module, PLATFORM.gateway_port)}
    assert migrate.services() == PLATFORM.names
    for service in SERVICES:
        assert migrate.database_url(service.name, env={}).endswith(f"/{service.database}")
        assert (migrate.migrations_dir(service.name) / "env.py").is_file()


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_OPS1_compose_runs_each_service_on_its_manifest_port_and_database(service):
    running = [svc for svc in app_services().values() if run_target(svc["command"]) == service.module]
    assert len(running) == 1, f"compose must run {service.module} once"
    env = environment(running[0])
    assert web_port(env.get("WEB_SERVER_ADDRESS")) == service.port
    assert (env.get(service.database_url_key) or "").endswith(f"/{service.database}")


def test_OPS1_compose_publishes_the_gateway_on_its_manifest_port():
    gateway = [svc for svc in app_services().values() if run_target(svc["command"]) == PLATFORM.gateway_module]
    assert len(gateway) == 1
    assert web_port(environment(gateway[0]).get("WEB_SERVER_ADDRESS")) == PLATFORM.gateway_port


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_OPS1_kubernetes_runs_each_service_on_its_manifest_port(service):
    package = next(p for p in PACKAGES if p.entrypoint == service.module)
    deployment = deployments_running(package)[0]
    container = main_container(deployment)
    assert web_port(container_env(container).get("WEB_SERVER_ADDRESS")) == service.port
    assert service.port in {p["containerPort"] for p in container.get("ports", [])}


def test_OPS1_a_manifest_entry_without_a_database_is_refused(tmp_path):
    broken = tmp_path / "services.toml"
    broken.write_text('[services.x]\npackage = "x_svc"\nport = 1\n')
    with pytest.raises(ValueError, match="services.x lacks database"):
        manifest.parse(broken)
