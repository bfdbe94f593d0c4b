"""GW-2, GW-3, GW-4, ORG-4, ORG-5, ORG-7 through the gateway: signing in, the first log-in, token
revocation and rotation, forged tokens, fields nobody may set, idempotency keys and rate limits.

Every account that a test changes (password, log-out, failed log-ins) is made for that test, so
the demo accounts and their cached tokens stay usable by the other tests.
"""
import base64
import json
import os
import random
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import jwt
import pytest
import requests
from requests.adapters import HTTPAdapter

from deploy import demo
from platform_kit.auth import decode_access_token, issue_access_token
from platform_kit.clock import utcnow
from platform_kit.stack import ProcessSpec, Stack

SECRET = os.environ["PLATFORM_E2E_JWT_SECRET"]  # JWT_SECRET of the e2e stack (conftest.py)

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Changed2026pass"
SECOND_GATEWAY_PORT_OFFSET = 960  # 28960 beside the e2e gateway on 28000


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def create_user(e2e, http, admin: dict, roles=("engineer",)) -> tuple[dict, str]:
    """A user of the admin's organisation with its one-time password (ORG-4)."""
    login = f"au-{uuid.uuid4().hex[:10]}"
    created = http.post(e2e.url("/api/v1/users"), headers=admin,
                        json={"login_name": login, "display_name": f"User {login}", "roles": list(roles)})
    assert created.status_code == 201, created.text
    return created.json()["user"], created.json()["password"]


def activated_user(e2e, http, admin: dict, roles=("engineer",)) -> tuple[dict, dict]:
    """A user past its first log-in (password changed to the demo one): (user, token pair)."""
    user, initial = create_user(e2e, http, admin, roles)
    first = e2e.login(user["login_name"], initial)
    changed = http.post(e2e.url("/api/v1/auth/password"), headers=bearer(first["access_token"]),
                        json={"current_password": initial, "new_password": demo.DEMO_PASSWORD})
    assert changed.status_code == 200, changed.text
    return user, e2e.login(user["login_name"])


def assert_unauthenticated(answer) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "unauthenticated" and answer.json()["message"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def menu_keys(me: dict) -> set[str]:
    return {child["key"] for top in me["menus"] for child in top["children"]}


@pytest.fixture(scope="module")
def isv(e2e):
    """A fresh ISV whose admin creates the users the tests change."""
    return e2e.new_organisation("isv")


@pytest.fixture(scope="module")
def buyer(e2e):
    """A fresh customer organisation: its project list holds only what these tests bought."""
    return e2e.new_organisation("customer")


@pytest.fixture(scope="module")
def document(e2e):
    return requests.get(e2e.url("/openapi.json"), timeout=15).json()


# --------------------------------------------------------------------------- who am I

@pytest.mark.parametrize("login_name, org_key, roles, shown, hidden", [
    ("operator", None, {"platform_operator"}, {"operations.organisations", "settings.audit_log", "templates.approvals"},
     {"projects.claim", "purchased.services", "settings.users"}),
    ("vendor.admin", "vendor", {"vendor_admin", "provider_admin"},
     {"templates.flows", "settings.users", "projects.manage", "purchased.services"},
     {"operations.organisations", "settings.audit_log"}),
    # the customer's main account manages its own users (customer_admin)
    ("customer.admin", "customer", {"customer", "customer_admin"}, {"projects.mine", "tickets.mine", "settings.users"},
     {"projects.manage", "templates.flows", "operations.organisations"}),
])
def test_GW2_ORG7_log_in_then_me_gives_the_roles_organisation_and_menus_of_the_account(
        e2e, http, login_name, org_key, roles, shown, hidden):
    pair = e2e.login(login_name)
    assert pair["token_type"] == "Bearer" and pair["expires_in"] > 0 and pair["refresh_token"]
    assert pair["must_change_password"] is False
    answer = http.get(e2e.url("/api/v1/me"), headers=bearer(pair["access_token"]))
    assert answer.status_code == 200, answer.text
    me = answer.json()
    assert me["user"]["login_name"] == login_name
    assert {r["key"] for r in me["roles"]} == roles == set(me["user"]["roles"])
    if org_key:
        assert me["organisation"]["id"] == e2e.demo.org_ids[org_key] == me["user"]["org_id"]
    else:
        assert me["organisation"]["kind"] == "operator"
    assert shown <= menu_keys(me), f"missing menus: {shown - menu_keys(me)}"
    assert not hidden & menu_keys(me), f"menus of other roles: {hidden & menu_keys(me)}"
    assert "password_hash" not in answer.text


def test_ORG7_an_employee_sees_only_the_employee_menus_of_its_role(e2e, http, isv):
    user, pair = activated_user(e2e, http, isv["headers"], ("engineer",))
    me = http.get(e2e.url("/api/v1/me"), headers=bearer(pair["access_token"])).json()
    assert {r["key"] for r in me["roles"]} == {"engineer"} and me["organisation"]["id"] == isv["org"]["id"]
    assert me["department"]["id"] == isv["org"]["root_department_id"]
    assert "settings.profile" in menu_keys(me)
    assert not {"settings.users", "templates.flows", "projects.claim", "operations.organisations"} & menu_keys(me)


# --------------------------------------------------------------------------- first log-in, password, sessions

def test_ORG4_GW2_a_first_log_in_may_only_read_me_change_the_password_or_sign_out(e2e, http, isv, document):
    user, initial = create_user(e2e, http, isv["headers"])
    pair = e2e.login(user["login_name"], initial)
    assert pair["must_change_password"] is True
    pending = bearer(pair["access_token"])
    open_routes = {("get", "/api/v1/me"), ("post", "/api/v1/auth/password"), ("post", "/api/v1/auth/logout")}
    wrong, probed = [], 0
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            if not op.get("security") or (method, path) in open_routes:
                continue
            answer = http.request(method.upper(), e2e.url(re.sub(r"\{[a-z_]+\}", "x1", path)), headers=pending,
                                  json={} if "requestBody" in op else None)
            probed += 1
            if answer.status_code != 403 or "password" not in answer.json().get("fields", {}):
                wrong.append(f"{method.upper()} {path}: {answer.status_code} {answer.text[:200]}")
    assert probed >= 15 and not wrong, "\n".join(wrong)
    me = http.get(e2e.url("/api/v1/me"), headers=pending)
    assert me.status_code == 200 and me.json()["user"]["must_change_password"] is True
    refused = http.post(e2e.url("/api/v1/auth/password"), headers=pending,
                        json={"current_password": "not-the-one-time-password", "new_password": NEW_PASSWORD})
    assert refused.status_code == 422 and "current_password" in refused.json()["fields"]
    changed = http.post(e2e.url("/api/v1/auth/password"), headers=pending,
                        json={"current_password": initial, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert_unauthenticated(http.get(e2e.url("/api/v1/me"), headers=pending))
    after = e2e.login(user["login_name"], NEW_PASSWORD)
    assert after["must_change_password"] is False
    assert http.get(e2e.url("/api/v1/projects"), headers=bearer(after["access_token"])).status_code == 200


def test_ORG4_a_user_still_on_its_one_time_password_may_sign_out(e2e, http, isv):
    user, initial = create_user(e2e, http, isv["headers"])
    pair = e2e.login(user["login_name"], initial)
    out = http.post(e2e.url("/api/v1/auth/logout"), headers=bearer(pair["access_token"]),
                    json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 200, out.text
    assert_unauthenticated(http.get(e2e.url("/api/v1/me"), headers=bearer(pair["access_token"])))


def test_ORG4_GW2_a_password_change_revokes_the_old_tokens_and_the_new_token_works_at_once(e2e, http, isv):
    user, pair = activated_user(e2e, http, isv["headers"])
    old = bearer(pair["access_token"])
    assert http.get(e2e.url("/api/v1/me"), headers=old).status_code == 200
    changed = http.post(e2e.url("/api/v1/auth/password"), headers=old,
                        json={"current_password": demo.DEMO_PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200 and changed.json()["sessions_revoked"] is True, changed.text
    assert_unauthenticated(http.get(e2e.url("/api/v1/me"), headers=old))
    assert_unauthenticated(http.post(e2e.url("/api/v1/auth/refresh"), json={"refresh_token": pair["refresh_token"]}))
    fresh = bearer(e2e.login(user["login_name"], NEW_PASSWORD)["access_token"])
    # at once, no waiting: the revocation must not catch a token issued right after the change
    me = http.get(e2e.url("/api/v1/me"), headers=fresh)
    assert me.status_code == 200 and me.json()["user"]["id"] == user["id"], me.text
    assert http.get(e2e.url("/api/v1/projects"), headers=fresh).status_code == 200


def test_GW2_logout_revokes_the_access_token_and_the_refresh_token_of_that_sign_in_only(e2e, http, isv):
    user, pair = activated_user(e2e, http, isv["headers"])
    other = e2e.login(user["login_name"])  # a second device
    out = http.post(e2e.url("/api/v1/auth/logout"), headers=bearer(pair["access_token"]),
                    json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 200 and out.json() == {"logged_out": True}, out.text
    assert_unauthenticated(http.get(e2e.url("/api/v1/me"), headers=bearer(pair["access_token"])))
    assert_unauthenticated(http.post(e2e.url("/api/v1/auth/refresh"), json={"refresh_token": pair["refresh_token"]}))
    assert http.get(e2e.url("/api/v1/me"), headers=bearer(other["access_token"])).status_code == 200


def test_GW2_refresh_rotates_and_a_reused_refresh_token_is_refused_and_ends_that_sign_in(e2e, http, isv):
    user, pair = activated_user(e2e, http, isv["headers"])
    rotated = http.post(e2e.url("/api/v1/auth/refresh"), json={"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != pair["refresh_token"] and second["access_token"] != pair["access_token"]
    assert http.get(e2e.url("/api/v1/me"), headers=bearer(second["access_token"])).json()["user"]["id"] == user["id"]
    reused = http.post(e2e.url("/api/v1/auth/refresh"), json={"refresh_token": pair["refresh_token"]})
    assert_unauthenticated(reused)
    # someone else may hold a copy: the whole sign-in ends, the rotated pair included
    assert_unauthenticated(http.post(e2e.url("/api/v1/auth/refresh"), json={"refresh_token": second["refresh_token"]}))
    assert_unauthenticated(http.get(e2e.url("/api/v1/me"), headers=bearer(second["access_token"])))


# --------------------------------------------------------------------------- forged tokens

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def flip_a_payload_character(token: str, claims: dict) -> str:
    header, payload, signature = token.split(".")
    i = len(payload) // 2
    return ".".join([header, payload[:i] + ("B" if payload[i] == "A" else "A") + payload[i + 1:], signature])


def raise_roles_keeping_the_signature(token: str, claims: dict) -> str:
    header, _, signature = token.split(".")
    raised = {**claims, "roles": ["platform_operator"], "okind": "operator"}
    return ".".join([header, b64(json.dumps(raised).encode()), signature])


def alg_none(token: str, claims: dict) -> str:
    return ".".join([b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()), b64(json.dumps(claims).encode()), ""])


def expired(token: str, claims: dict) -> str:
    actor = decode_access_token(token, SECRET).actor
    return issue_access_token(actor, SECRET, now=utcnow() - timedelta(hours=1))[0]


FORGERIES = {
    "expired": expired,
    "tampered_payload_character": flip_a_payload_character,
    "tampered_roles": raise_roles_keeping_the_signature,
    "wrong_secret": lambda token, claims: jwt.encode(claims, "not-the-e2e-secret-at-all-0123456789", "HS256"),
    "alg_none": alg_none,
    "hs512_with_the_right_secret": lambda token, claims: jwt.encode(claims, SECRET, "HS512"),
}


@pytest.fixture(scope="module")
def real_token(isv) -> tuple[str, dict]:
    token = isv["headers"]["Authorization"].partition(" ")[2]
    return token, json.loads(unb64(token.split(".")[1]))


def test_GW2_a_token_signed_again_with_the_right_secret_and_hs256_is_accepted(e2e, http, real_token):
    """The control of the forgeries below: re-signing as the platform does works, so each
    refusal is due to what that forgery changed."""
    token, claims = real_token
    assert claims["typ"] == "access" and claims["iss"]
    resigned = jwt.encode(claims, SECRET, "HS256")
    assert http.get(e2e.url("/api/v1/me"), headers=bearer(resigned)).status_code == 200
    assert http.get(e2e.url("/api/v1/me"), headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_GW2_a_forged_or_expired_token_answers_401_with_a_json_error(e2e, http, real_token, forgery):
    forged = FORGERIES[forgery](*real_token)
    assert forged != real_token[0]
    for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/organisations")):
        answer = http.request(method, e2e.url(path), headers=bearer(forged))
        assert_unauthenticated(answer)
        assert "Traceback" not in answer.text
    if forgery == "expired":
        assert "expired" in answer.json()["message"]


# --------------------------------------------------------------------------- fields nobody may set

@pytest.mark.parametrize("field, value", [("org_id", "DEMO_VENDOR"), ("must_change_password", False),
                                          ("password", "Chosen2026pass")])
def test_GW3_creating_a_user_with_a_field_nobody_may_set_is_refused_naming_it_and_writes_nothing(
        e2e, http, isv, field, value):
    value = e2e.demo.org_ids["vendor"] if value == "DEMO_VENDOR" else value
    login = f"au-{uuid.uuid4().hex[:10]}"
    answer = http.post(e2e.url("/api/v1/users"), headers=isv["headers"], json={
        "login_name": login, "display_name": "Mass assignment", "roles": ["engineer"], field: value})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "validation_failed" and set(answer.json()["fields"]) == {field}
    listed = http.get(e2e.url("/api/v1/users"), headers=isv["headers"], params={"q": login}).json()
    assert listed["total"] == 0, "nothing is half-written"


def test_GW3_ORG2_patching_ones_own_user_with_roles_or_org_id_is_refused_naming_the_field(e2e, http, isv):
    user, pair = activated_user(e2e, http, isv["headers"])
    own = bearer(pair["access_token"])
    for body, named in (({"roles": ["vendor_admin"]}, "roles"),
                        ({"display_name": "Still me", "org_id": e2e.demo.org_ids["vendor"]}, "org_id")):
        answer = http.patch(e2e.url(f"/api/v1/users/{user['id']}"), headers=own, json=body)
        assert answer.status_code == 400 and named in answer.json()["fields"], answer.text
    me = http.get(e2e.url("/api/v1/me"), headers=own).json()
    assert me["user"]["roles"] == ["engineer"] and me["user"]["org_id"] == isv["org"]["id"]
    assert me["user"]["display_name"] == user["display_name"]


def test_ORG2_a_non_admin_cannot_raise_its_own_roles(e2e, http, isv):
    user, pair = activated_user(e2e, http, isv["headers"])
    own = bearer(pair["access_token"])
    raised = http.put(e2e.url(f"/api/v1/users/{user['id']}/roles"), headers=own,
                      json={"roles": ["engineer", "vendor_admin"]})
    assert raised.status_code == 403 and raised.json()["error"] == "forbidden", raised.text
    assert http.get(e2e.url("/api/v1/me"), headers=own).json()["user"]["roles"] == ["engineer"]
    seen_by_admin = http.get(e2e.url(f"/api/v1/users/{user['id']}"), headers=isv["headers"]).json()
    assert seen_by_admin["roles"] == ["engineer"]


def test_ORG5_ORG7_a_customer_naming_another_customer_id_buys_for_its_own_organisation(e2e, http, buyer):
    other = e2e.demo.org_ids["customer"]
    bought = http.post(e2e.url("/api/v1/purchases"), headers=buyer["headers"], json={
        "order_id": f"ORD-{uuid.uuid4().hex[:12]}", "product_id": e2e.demo.products[1], "customer_id": other})
    assert bought.status_code == 201, bought.text
    project_id = bought.json()["project"]["id"]
    mine = http.get(e2e.url(f"/api/v1/projects/{project_id}"), headers=buyer["headers"])
    assert mine.status_code == 200 and mine.json()["customer_id"] == buyer["org"]["id"], mine.text
    assert http.get(e2e.url(f"/api/v1/projects/{project_id}"), headers=e2e.auth("customer.admin")).status_code == 404


# --------------------------------------------------------------------------- idempotency keys

def purchase(e2e, headers: dict, order_id: str, key: str | None = None):
    body = {"order_id": order_id, "product_id": e2e.demo.products[1], "customer_id": "ignored"}
    extra = {"Idempotency-Key": key} if key else {}
    return requests.post(e2e.url("/api/v1/purchases"), json=body, headers={**headers, **extra}, timeout=30)


def projects_of_order(e2e, http, headers: dict, order_id: str) -> list[dict]:
    listed = http.get(e2e.url("/api/v1/projects"), headers=headers, params={"limit": 200}).json()
    assert listed["total"] <= 200
    return [p for p in listed["items"] if p["order_id"] == order_id]


def test_GW4_the_same_idempotency_key_and_body_replays_the_identical_answer(e2e, http, buyer):
    key, order_id = f"key-{uuid.uuid4()}", f"ORD-{uuid.uuid4().hex[:12]}"
    first = purchase(e2e, buyer["headers"], order_id, key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers, first.text
    again = purchase(e2e, buyer["headers"], order_id, key)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.text == first.text
    assert len(projects_of_order(e2e, http, buyer["headers"], order_id)) == 1


def test_GW4_the_same_idempotency_key_with_another_body_answers_422_naming_the_key(e2e, http, buyer):
    key, order_id, other_order = f"key-{uuid.uuid4()}", f"ORD-{uuid.uuid4().hex[:12]}", f"ORD-{uuid.uuid4().hex[:12]}"
    assert purchase(e2e, buyer["headers"], order_id, key).status_code == 201
    refused = purchase(e2e, buyer["headers"], other_order, key)
    assert refused.status_code == 422, refused.text
    assert "Idempotency-Key" in refused.json()["fields"]
    assert projects_of_order(e2e, http, buyer["headers"], other_order) == []


def test_GW4_five_parallel_requests_with_one_key_make_one_project_and_one_real_answer(e2e, http, buyer):
    key, order_id = f"key-{uuid.uuid4()}", f"ORD-{uuid.uuid4().hex[:12]}"
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda _: purchase(e2e, buyer["headers"], order_id, key), range(5)))
    real = [a for a in answers if a.headers.get("Idempotent-Replayed") != "true" and a.status_code != 409]
    assert [a.status_code for a in real] == [201], [(a.status_code, a.text[:200]) for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert "Idempotency-Key" in answer.json()["fields"]
        elif answer is not real[0]:
            assert answer.status_code == 201 and answer.text == real[0].text
    projects = projects_of_order(e2e, http, buyer["headers"], order_id)
    assert [p["id"] for p in projects] == [real[0].json()["project"]["id"]]


# --------------------------------------------------------------------------- rate limits

class FromAddress(HTTPAdapter):
    """Connect from another loopback address (all of 127.0.0.0/8 is local), so that what the
    platform counts per client address (anonymous requests, failed log-ins) belongs to one test
    alone and not to every other client of the stack on 127.0.0.1."""

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


def assert_rate_limited(answer, most_seconds: int) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.json()["error"] == "rate_limited"
    assert 1 <= int(answer.headers["Retry-After"]) <= most_seconds


@pytest.fixture(scope="module")
def limited_gateway(e2e, tmp_path_factory):
    """A second gateway on the same stack allowing 5 requests a minute per client, with its own
    REDIS_KEY_PREFIX so that its counts are its own."""
    env = {**e2e.stack.env, "RATE_LIMIT_PER_MINUTE": "5", "REDIS_KEY_PREFIX": f"e2e-rl-{uuid.uuid4().hex[:10]}"}
    port = e2e.stack.specs["gateway"].port + SECOND_GATEWAY_PORT_OFFSET
    gateway = Stack([ProcessSpec("gateway", "gateway.service", port)], env=env,
                    log_dir=tmp_path_factory.mktemp("limited-gateway"))
    try:
        gateway.start()
        gateway.wait_healthy(timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        gateway.stop(grace=5)


def test_GW4_requests_beyond_the_limit_per_minute_answer_429_with_retry_after_per_client(
        e2e, http, isv, limited_gateway):
    with client_from_a_new_address() as anonymous:
        # 12 in a row: even if a minute ends among them, one window holds more than 5
        burst = [anonymous.get(limited_gateway + "/openapi.json", timeout=10) for _ in range(12)]
        # the liveness probe is never counted: an orchestrator is not a client
        assert anonymous.get(limited_gateway + "/health", timeout=10).status_code == 200
    assert burst[0].status_code == 200 and 429 in {a.status_code for a in burst}, [a.status_code for a in burst]
    for answer in burst:
        if answer.status_code != 200:
            assert_rate_limited(answer, 60)
    # a signed-in user is another client, with its own count
    user, pair = activated_user(e2e, http, isv["headers"])
    signed_in = bearer(pair["access_token"])
    answers = [http.get(limited_gateway + "/api/v1/me", headers=signed_in, timeout=10) for _ in range(12)]
    assert answers[0].status_code == 200 and answers[0].json()["user"]["id"] == user["id"]
    assert 429 in {a.status_code for a in answers}, [a.status_code for a in answers]
    assert_rate_limited(next(a for a in answers if a.status_code == 429), 60)


def test_GW4_OPS2_a_deployment_with_another_redis_key_prefix_counts_its_clients_apart(e2e, limited_gateway):
    """Two deployments on one Redis (the e2e gateway and the limited one) share no window."""
    with client_from_a_new_address() as client:
        for _ in range(6):
            assert client.get(e2e.url("/openapi.json"), timeout=10).status_code == 200
        assert client.get(limited_gateway + "/openapi.json", timeout=10).status_code == 200


def test_GW2_ORG4_failed_log_ins_of_one_account_answer_429_with_retry_after_even_for_the_right_password(e2e):
    account = e2e.new_organisation("isv")
    with client_from_a_new_address() as client:
        login = e2e.url("/api/v1/auth/login")
        answers = [client.post(login, json={"login_name": account["login"], "password": f"Wrong{n}pass2026"},
                               timeout=15) for n in range(6)]
        statuses = [a.status_code for a in answers]
        assert statuses[0] == 401 and statuses[-1] == 429, statuses
        assert statuses == sorted(statuses), "once limited, the account stays limited"
        for answer in answers:
            if answer.status_code == 429:
                assert_rate_limited(answer, 15 * 60)
        right = client.post(login, json={"login_name": account["login"], "password": demo.DEMO_PASSWORD}, timeout=15)
        assert_rate_limited(right, 15 * 60)
        assert "access_token" not in right.text
    # the admin's session from before the failures is not affected
    assert requests.get(e2e.url("/api/v1/me"), headers=account["headers"], timeout=15).status_code == 200
