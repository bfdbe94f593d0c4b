"""GW-6, GW-4, ORG-4, ORG-7 through the gateway: an enterprise system working with its
organisation's API key from a plain HTTP client, customer admins managing their own users, and
sign-in limits that count clients (not the load balancer) behind trusted proxies."""
import random
import uuid

import pytest
import requests

from deploy import demo
from platform_kit.stack import ProcessSpec, Stack

pytestmark = pytest.mark.e2e

PROXIED_GATEWAY_PORT_OFFSET = 961  # beside the limited gateway of test_auth_e2e (960)


def make_key(e2e, admin: dict, **body) -> dict:
    answer = requests.post(e2e.url("/api/v1/api-keys"), headers=admin, timeout=15,
                           json={"name": "金蝶 ERP", "roles": ["customer"], **body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def with_key(key: str, **headers) -> dict:
    return {"X-Api-Key": key, **headers}


def keys_of(e2e, admin: dict, **query) -> list[dict]:
    answer = requests.get(e2e.url("/api/v1/api-keys"), headers=admin, params=query, timeout=15)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


@pytest.fixture(scope="module")
def buyer(e2e):
    return e2e.new_organisation("customer")


@pytest.fixture(scope="module")
def stranger(e2e):
    return e2e.new_organisation("customer")


def test_GW6_an_erp_buys_and_lists_with_its_key_from_a_plain_client_and_is_refused_at_once_once_revoked(
        e2e, buyer):
    created = make_key(e2e, buyer["headers"])
    key, record = created["key"], created["api_key"]
    assert key.startswith(record["prefix"]) and record["state"] == "active" and record["roles"] == ["customer"]
    assert record["display_name"] == "金蝶 ERP（API 密钥）" and record["last_used_at"] is None

    order_id = f"ERP-{uuid.uuid4().hex[:10]}"
    with requests.Session() as erp:  # no sign-in, no token refresh: the key on every request
        bought = erp.post(e2e.url("/api/v1/purchases"), timeout=15,
                          headers=with_key(key, **{"Idempotency-Key": order_id}),
                          json={"order_id": order_id, "product_id": e2e.demo.products[0]})
        assert bought.status_code == 201, bought.text
        project = bought.json()["project"]
        assert project["customer_id"] == buyer["org"]["id"]
        listed = erp.get(e2e.url("/api/v1/projects"), headers=with_key(key), timeout=15)
        assert listed.status_code == 200, listed.text
        assert project["id"] in {p["id"] for p in listed.json()["items"]}
        me = erp.get(e2e.url("/api/v1/me"), headers=with_key(key), timeout=15)
        assert me.status_code == 200, me.text
        assert me.json()["user"]["display_name"] == "金蝶 ERP（API 密钥）"
        # what the key does is shown under its name, as a service account's
        said = erp.post(e2e.url(f"/api/v1/projects/{project['id']}/messages"), headers=with_key(key), timeout=15,
                        json={"body": "系统已下单，请安排实施。"})
        assert said.status_code in (200, 201), said.text
        detail = erp.get(e2e.url(f"/api/v1/projects/{project['id']}"), headers=with_key(key), timeout=15).json()
        assert detail["people"].get(record["id"]) == "金蝶 ERP（API 密钥）", detail["people"]

        shown = next(k for k in keys_of(e2e, buyer["headers"]) if k["id"] == record["id"])
        assert shown["last_used_at"] and key not in str(keys_of(e2e, buyer["headers"]))

        revoked = requests.post(e2e.url(f"/api/v1/api-keys/{record['id']}/revoke"), headers=buyer["headers"],
                                timeout=15)
        assert revoked.status_code == 200 and revoked.json()["state"] == "revoked", revoked.text
        refused = erp.get(e2e.url("/api/v1/projects"), headers=with_key(key), timeout=15)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"] == "unauthenticated" and "revoked" in refused.json()["message"]
        again = erp.post(e2e.url("/api/v1/purchases"), headers=with_key(key), timeout=15,
                         json={"order_id": f"ERP-{uuid.uuid4().hex[:10]}", "product_id": e2e.demo.products[0]})
        assert again.status_code == 401


def test_GW6_ORG7_a_key_of_one_tenant_never_reaches_anothers_data(e2e, buyer, stranger):
    order_id = f"ORD-{uuid.uuid4().hex[:10]}"
    bought = requests.post(e2e.url("/api/v1/purchases"), headers=buyer["headers"], timeout=15,
                           json={"order_id": order_id, "product_id": e2e.demo.products[0]})
    assert bought.status_code == 201, bought.text
    project_id = bought.json()["project"]["id"]
    theirs = make_key(e2e, stranger["headers"], name="Other ERP")["key"]
    assert requests.get(e2e.url(f"/api/v1/projects/{project_id}"), headers=with_key(theirs),
                        timeout=15).status_code == 404
    listed = requests.get(e2e.url("/api/v1/projects"), headers=with_key(theirs), timeout=15)
    assert listed.status_code == 200 and project_id not in listed.text
    # its purchase is its own organisation's, whatever customer it names
    own = requests.post(e2e.url("/api/v1/purchases"), headers=with_key(theirs), timeout=15,
                        json={"order_id": f"ORD-{uuid.uuid4().hex[:10]}", "product_id": e2e.demo.products[0],
                              "customer_id": buyer["org"]["id"]})
    assert own.status_code in (201, 422), own.text
    if own.status_code == 201:
        assert own.json()["project"]["customer_id"] == stranger["org"]["id"]


def test_GW6_a_key_cannot_be_scoped_beyond_its_creators_roles_nor_manage_users_or_keys(e2e, buyer):
    for roles in (["platform_operator"], ["customer", "engineer"]):
        answer = requests.post(e2e.url("/api/v1/api-keys"), headers=buyer["headers"], timeout=15,
                               json={"name": "Too much", "roles": roles})
        assert answer.status_code == 422 and "roles" in answer.json()["fields"], answer.text
    admin_key = make_key(e2e, buyer["headers"], name="Provisioning", roles=["customer", "customer_admin"])["key"]
    for path, body in (("/api/v1/api-keys", {"name": "Child", "roles": ["customer"]}),
                       ("/api/v1/users", {"login_name": f"k-{uuid.uuid4().hex[:8]}", "display_name": "x",
                                          "roles": ["customer"]})):
        answer = requests.post(e2e.url(path), headers=with_key(admin_key), json=body, timeout=15)
        assert answer.status_code == 403, answer.text
    # an employee of the organisation (no admin role) makes no keys
    plain = make_key(e2e, buyer["headers"], name="Plain")["key"]
    assert requests.post(e2e.url("/api/v1/api-keys"), headers=with_key(plain), timeout=15,
                         json={"name": "x", "roles": ["customer"]}).status_code == 403


def test_GW6_another_organisations_admin_can_neither_list_nor_revoke_a_key(e2e, buyer, stranger):
    record = make_key(e2e, buyer["headers"], name="Shop")["api_key"]
    assert record["id"] not in {k["id"] for k in keys_of(e2e, stranger["headers"])}
    listed = requests.get(e2e.url("/api/v1/api-keys"), headers=stranger["headers"],
                          params={"org_id": buyer["org"]["id"]}, timeout=15)
    assert listed.status_code == 404, listed.text
    revoke = requests.post(e2e.url(f"/api/v1/api-keys/{record['id']}/revoke"), headers=stranger["headers"],
                           timeout=15)
    assert revoke.status_code == 404, revoke.text
    assert next(k for k in keys_of(e2e, buyer["headers"]) if k["id"] == record["id"])["state"] == "active"


def test_GW6_GW4_a_key_is_counted_against_its_own_rate_limit(e2e, buyer):
    key = make_key(e2e, buyer["headers"], name="Chatty", rate_limit_per_minute=3)["key"]
    answers = [requests.get(e2e.url("/api/v1/me"), headers=with_key(key), timeout=15) for _ in range(8)]
    statuses = [a.status_code for a in answers]
    assert statuses[0] == 200 and 429 in statuses, statuses
    assert int(next(a for a in answers if a.status_code == 429).headers["Retry-After"]) >= 1
    # the organisation's admin is another client
    assert requests.get(e2e.url("/api/v1/me"), headers=buyer["headers"], timeout=15).status_code == 200


def test_GW6_the_openapi_document_states_the_key_as_a_security_scheme(e2e):
    document = requests.get(e2e.url("/openapi.json"), timeout=15).json()
    assert document["components"]["securitySchemes"]["apiKey"] == {
        **document["components"]["securitySchemes"]["apiKey"], "type": "apiKey", "in": "header", "name": "X-Api-Key"}
    assert {"apiKey": []} in document["paths"]["/api/v1/projects"]["get"]["security"]


# --------------------------------------------------------------------------- customer admins

def test_ORG4_ORG7_a_customer_admin_creates_deactivates_and_resets_a_second_user(e2e, buyer, stranger):
    login = f"buyer-{uuid.uuid4().hex[:8]}"
    created = requests.post(e2e.url("/api/v1/users"), headers=buyer["headers"], timeout=15,
                            json={"login_name": login, "display_name": "采购员", "roles": ["customer"]})
    assert created.status_code == 201, created.text
    user, password = created.json()["user"], created.json()["password"]
    assert user["org_id"] == buyer["org"]["id"] and user["roles"] == ["customer"] and len(password) == 8
    assert e2e.login(login, password)["must_change_password"] is True
    listed = requests.get(e2e.url("/api/v1/users"), headers=buyer["headers"], timeout=15).json()["items"]
    assert {u["org_id"] for u in listed} == {buyer["org"]["id"]} and user["id"] in {u["id"] for u in listed}
    second_admin = requests.put(e2e.url(f"/api/v1/users/{user['id']}/roles"), headers=buyer["headers"], timeout=15,
                                json={"roles": ["customer", "customer_admin"]})
    assert second_admin.status_code == 422 and "roles" in second_admin.json()["fields"]
    reset = requests.post(e2e.url(f"/api/v1/users/{user['id']}/reset-password"), headers=buyer["headers"],
                          timeout=15)
    assert reset.status_code == 200 and reset.json()["password"] != password
    off = requests.patch(e2e.url(f"/api/v1/users/{user['id']}"), headers=buyer["headers"], timeout=15,
                         json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    # nothing outside its organisation
    for method, path, body in (("PATCH", f"/api/v1/users/{user['id']}", {"active": True}),
                               ("POST", f"/api/v1/users/{user['id']}/reset-password", None)):
        answer = requests.request(method, e2e.url(path), headers=stranger["headers"], json=body, timeout=15)
        assert answer.status_code == 404, answer.text
    directory = requests.get(e2e.url("/api/v1/customer-organisations"), headers=buyer["headers"],
                             params={"q": "Org"}, timeout=15)
    assert directory.status_code == 403


# --------------------------------------------------------------------------- trusted proxies

@pytest.fixture(scope="module")
def proxied_gateway(e2e, tmp_path_factory):
    """A second gateway of the same stack behind a load balancer on 127.0.0.1 (TRUSTED_PROXIES)."""
    env = {**e2e.stack.env, "TRUSTED_PROXIES": "127.0.0.1"}
    port = e2e.stack.specs["gateway"].port + PROXIED_GATEWAY_PORT_OFFSET
    gateway = Stack([ProcessSpec("gateway", "gateway.service", port)], env=env,
                    log_dir=tmp_path_factory.mktemp("proxied-gateway"))
    try:
        gateway.start()
        gateway.wait_healthy(timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        gateway.stop(grace=5)


def _address() -> str:
    return f"198.51.{random.randint(0, 255)}.{random.randint(1, 254)}"


def _fail(base: str, login: str, forwarded_for: str, session=requests) -> int:
    return session.post(base + "/api/v1/auth/login", headers={"X-Forwarded-For": forwarded_for}, timeout=15,
                        json={"login_name": login, "password": f"Wrong{uuid.uuid4().hex[:6]}pass"}).status_code


def test_GW2_two_clients_behind_a_trusted_proxy_are_limited_separately(e2e, proxied_gateway):
    account = e2e.new_organisation("isv")
    first, second = _address(), _address()
    statuses = [_fail(proxied_gateway, account["login"], first) for _ in range(6)]
    assert statuses[0] == 401 and statuses[-1] == 429, statuses
    # the balancer's other client has its own count for this account: not locked out by the first
    assert _fail(proxied_gateway, account["login"], second) == 401
    right = requests.post(proxied_gateway + "/api/v1/auth/login", headers={"X-Forwarded-For": second}, timeout=15,
                          json={"login_name": account["login"], "password": demo.DEMO_PASSWORD})
    assert right.status_code == 200, right.text


def test_GW2_an_untrusted_peers_x_forwarded_for_is_ignored(e2e, proxied_gateway):
    account = e2e.new_organisation("isv")
    peer = f"127.{random.randint(1, 254)}.{random.randint(0, 254)}.{random.randint(1, 254)}"
    with requests.Session() as client:
        client.mount("http://", _FromAddress(peer))
        statuses = [_fail(proxied_gateway, account["login"], _address(), client) for _ in range(6)]
    assert statuses[0] == 401 and statuses[-1] == 429, statuses


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connect from another loopback address: a peer that is not the trusted proxy."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)
