"""Sign-in under attack, through the gateway (GW-2, ORG-4): failed log-ins wait per account
and address, so one shared office address does not lock out everyone behind it; and a reused
refresh token ends exactly that sign-in, not the user's other sign-ins.

Each test uses accounts made for it and its own loopback source addresses, so the counters it
fills belong to it alone.
"""
import random
import uuid

import pytest
import requests
from requests.adapters import HTTPAdapter

from deploy import demo

pytestmark = pytest.mark.e2e

ACCOUNT_AT_ADDRESS_LIMIT = 5  # identity_svc.domain.login_limits.ACCOUNT_AT_ADDRESS


class FromAddress(HTTPAdapter):
    """Connect from another loopback address (all of 127.0.0.0/8 is local): the gateway then
    sees that address as the client's."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def client_from_a_new_address() -> requests.Session:
    client = requests.Session()
    address = f"127.{random.randint(1, 254)}.{random.randint(0, 254)}.{random.randint(1, 254)}"
    client.mount("http://", FromAddress(address))
    return client


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def activated_user(e2e, admin: dict) -> str:
    """A user of the admin's organisation past its first log-in (password: the demo one)."""
    login = f"si-{uuid.uuid4().hex[:10]}"
    created = requests.post(e2e.url("/api/v1/users"), headers=admin, timeout=15,
                            json={"login_name": login, "display_name": f"User {login}", "roles": ["engineer"]})
    assert created.status_code == 201, created.text
    first = e2e.login(login, created.json()["password"])
    changed = requests.post(e2e.url("/api/v1/auth/password"), headers=bearer(first["access_token"]), timeout=15,
                            json={"current_password": created.json()["password"], "new_password": demo.DEMO_PASSWORD})
    assert changed.status_code == 200, changed.text
    return login


@pytest.fixture(scope="module")
def isv(e2e):
    return e2e.new_organisation("isv")


def log_in(client: requests.Session, e2e, login_name: str, password: str = demo.DEMO_PASSWORD):
    return client.post(e2e.url("/api/v1/auth/login"), json={"login_name": login_name, "password": password},
                       timeout=15)


def test_GW2_failed_log_ins_from_one_office_address_lock_neither_the_colleagues_nor_the_user_elsewhere(
        e2e, isv):
    victim, colleague = activated_user(e2e, isv["headers"]), activated_user(e2e, isv["headers"])
    with client_from_a_new_address() as office:
        for n in range(ACCOUNT_AT_ADDRESS_LIMIT):
            assert log_in(office, e2e, victim, f"Wrong{n}pass2026").status_code == 401
        waiting = log_in(office, e2e, victim)
        assert waiting.status_code == 429 and "from your address" in waiting.json()["message"], waiting.text
        assert 1 <= int(waiting.headers["Retry-After"]) <= 15 * 60
        # a colleague behind the same address signs in
        assert log_in(office, e2e, colleague).status_code == 200
        for n in range(ACCOUNT_AT_ADDRESS_LIMIT):  # and a few more people mistype there
            assert log_in(office, e2e, f"nobody-{uuid.uuid4().hex[:6]}", f"Typo{n}2026").status_code == 401
        assert log_in(office, e2e, colleague).status_code == 200
    with client_from_a_new_address() as home:
        assert log_in(home, e2e, victim).status_code == 200, "the user, elsewhere, is not locked out"


def test_GW2_a_reused_refresh_token_ends_that_sign_in_and_the_users_other_sign_in_goes_on(e2e, isv, http):
    user = activated_user(e2e, isv["headers"])
    phone, laptop = e2e.login(user), e2e.login(user)
    refresh = e2e.url("/api/v1/auth/refresh")
    rotated = http.post(refresh, json={"refresh_token": laptop["refresh_token"]}, timeout=15)
    assert rotated.status_code == 200, rotated.text
    reused = http.post(refresh, json={"refresh_token": laptop["refresh_token"]}, timeout=15)
    assert reused.status_code == 401 and reused.json()["error"] == "unauthenticated"
    for ended in (laptop["access_token"], rotated.json()["access_token"]):
        assert http.get(e2e.url("/api/v1/me"), headers=bearer(ended), timeout=15).status_code == 401
    assert http.post(refresh, json={"refresh_token": rotated.json()["refresh_token"]}, timeout=15).status_code == 401
    me = http.get(e2e.url("/api/v1/me"), headers=bearer(phone["access_token"]), timeout=15)
    assert me.status_code == 200 and me.json()["user"]["login_name"] == user, me.text
    assert http.post(refresh, json={"refresh_token": phone["refresh_token"]}, timeout=15).status_code == 200
