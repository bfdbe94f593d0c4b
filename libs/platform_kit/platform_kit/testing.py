"""pytest plugin of the platform: real PostgreSQL, RabbitMQ and Redis, isolated per run and per test.

- ``test_database_urls`` (session): one fresh database per service, created and migrated with
  the same code as production (so every test run also proves the migrations).
- ``platform_config`` (test): nameko config for this test: its own RabbitMQ virtual host
  (nameko's ``rabbit_config``), the test databases, Redis, and web servers on free ports.
- ``wait_until``: poll a condition with a bound instead of sleeping.
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

import pytest
from nameko import config as nameko_config

from platform_kit import migrate
from platform_kit.migrate import drop_database

# Two suites running at once on one machine (two checkouts, or a developer beside CI) set
# different prefixes, so neither drops the other's databases.
TEST_PREFIX = os.environ.get("PLATFORM_TEST_DB_PREFIX", "test_")


def recreate_database(url: str) -> None:
    """Drop it if it exists; ``migrate.upgrade`` creates it again."""
    drop_database(url)


@pytest.fixture(scope="session")
def test_database_urls() -> dict[str, str]:
    urls = {}
    for service in migrate.SERVICES:
        url = f"postgresql://postgres@127.0.0.1:5432/{TEST_PREFIX}{service}_svc"
        recreate_database(url)
        migrate.upgrade(service, url)
        urls[service] = url
    return urls


def config_keys(urls: dict[str, str]) -> dict[str, str]:
    return {f"{service.upper()}_DATABASE_URL": url for service, url in urls.items()}


@pytest.fixture
def platform_config(rabbit_config, test_database_urls):
    values = {
        **config_keys(test_database_urls),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
        "WEB_SERVER_ADDRESS": "127.0.0.1:0",
        "RPC_TIMEOUT_SECONDS": 10,
    }
    with nameko_config.patch(values):
        yield nameko_config


def _wait_until(condition: Callable[[], object], timeout: float = 10.0, interval: float = 0.05,
                message: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


@pytest.fixture
def wait_until():
    return _wait_until
