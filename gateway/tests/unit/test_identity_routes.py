"""The gateway's identity routes against a fake identity service (no RabbitMQ, no identity_svc):
what the route sends to the service and how the service's answers and refusals reach the caller
(GW-2, sign-in limits). The guard runs for real on Redis, as in production."""
from __future__ import annotations

import secrets
import socket
import uuid

import pytest
import requests
from nameko import config
from nameko.extensions import DependencyProvider

from gateway.routes.identity import IdentityRoutes
from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, VENDOR_ADMIN
from platform_kit.auth import Keyring, issue_access_token
from platform_kit.errors import RateLimited, Unauthenticated

SECRET = secrets.token_urlsafe(32)
PAIR = {"access_token": "a", "token_type": "Bearer", "expires_in": 900, "refresh_token": "r",
        "refresh_expires_in": 2592000, "must_change_password": False}


class FakeIdentity:
    """Records every call; ``refuse`` makes the next call raise what identity would."""

    def __init__(self):
        self.calls: list[tuple[str, tuple]] = []
        self.refuse: Exception | None = None

    def _answer(self, name: str, args: tuple, answer):
        self.calls.append((name, args))
        if self.refuse is not None:
            raise self.refuse
        return answer

    def login(self, login_name, password, client_address):
        return self._answer("login", (login_name, password, client_address), PAIR)

    def refresh(self, refresh_token):
        return self._answer("refresh", (refresh_token,), PAIR)

    def logout(self, access_token, refresh_token):
        return self._answer("logout", (access_token, refresh_token), {"logged_out": True})


IDENTITY = FakeIdentity()


class FakeServices(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return type("Services", (), {"identity": IDENTITY})()


class IdentityGateway(IdentityRoutes):
    name = "identity_routes_under_test"
    services = FakeServices()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway(container_factory):
    IDENTITY.calls.clear()
    IDENTITY.refuse = None
    port = free_port()
    settings = {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "JWT_SECRET": SECRET,
                "REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": f"gwid-{uuid.uuid4().hex[:8]}",
                "AMQP_URI": "memory://", "RATE_LIMIT_PER_MINUTE": 100_000}
    with config.patch(settings):
        container = container_factory(IdentityGateway)
        container.start()
        yield f"http://127.0.0.1:{port}"


def test_GW2_login_sends_the_address_the_gateway_sees_and_never_one_from_the_body(gateway):
    answer = requests.post(f"{gateway}/api/v1/auth/login", json={"login_name": "anna", "password": "pw"}, timeout=10)
    assert answer.status_code == 200 and answer.json() == PAIR, answer.text
    assert IDENTITY.calls == [("login", ("anna", "pw", "127.0.0.1"))]
    forged = requests.post(f"{gateway}/api/v1/auth/login", timeout=10,
                           json={"login_name": "anna", "password": "pw", "client_address": "10.1.1.1"})
    assert forged.status_code == 400 and "client_address" in forged.json()["fields"]
    assert len(IDENTITY.calls) == 1, "a refused body reaches no service"


def test_GW2_a_log_in_limit_of_identity_answers_429_with_retry_after(gateway):
    IDENTITY.refuse = RateLimited("Too many failed sign-in attempts for this account from your address. "
                                  "Try again in 15 minutes.", {"retry_after": ["900"]})
    answer = requests.post(f"{gateway}/api/v1/auth/login", json={"login_name": "anna", "password": "pw"}, timeout=10)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "900"
    assert answer.json()["error"] == "rate_limited" and "from your address" in answer.json()["message"]


def test_GW2_a_refused_refresh_answers_401_with_a_bearer_challenge(gateway):
    IDENTITY.refuse = Unauthenticated("The refresh token is not valid; sign in again.")
    answer = requests.post(f"{gateway}/api/v1/auth/refresh", json={"refresh_token": "spent"}, timeout=10)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert IDENTITY.calls == [("refresh", ("spent",))]


def test_GW2_logout_ends_the_sign_in_of_the_token_on_the_request(gateway):
    token, _ = issue_access_token(Actor("u1", "org1", ISV, (VENDOR_ADMIN,)), Keyring(SECRET))
    answer = requests.post(f"{gateway}/api/v1/auth/logout", json={"refresh_token": "r1"}, timeout=10,
                           headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json() == {"logged_out": True}, answer.text
    assert IDENTITY.calls == [("logout", (token, "r1"))]
    assert requests.post(f"{gateway}/api/v1/auth/logout", json={}, timeout=10).status_code == 401
