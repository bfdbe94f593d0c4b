"""GW-2, ORG-7: every route of the OpenAPI document, probed by role and across tenants.

The probes are generated from ``GET /openapi.json``, so a new route is covered without editing
this file: a route with path parameters and ``x-tenant-scoped`` true is called with the ids of
another tenant's objects (a path parameter nobody mapped fails the run, so the new route must be
mapped here), a route with ``x-roles`` is called by every role it does not list, and every route
with ``security`` is called without a token.

Two worlds: tenant A is the demo world (the vendor, the providers, the customer) with a project
manager and an engineer added to the vendor; tenant B is a fresh ISV and a fresh customer with a
department, an engineer, a product of ISV B, a project of customer B on it (delivered by ISV B
itself) and the in-site message ISV B got for it. Nothing links the two worlds, so no token of
one may ever see an id or a name of the other. The platform operator belongs to no tenant: it
takes part in the role checks only.
"""
import itertools
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests

from deploy import demo

# the wait_until fixture's function; the worlds are module-scoped and cannot take the fixture
from platform_kit.testing import _wait_until as wait_until

pytestmark = pytest.mark.e2e

# Path parameters that name a tenant's object: a World maps each to ids of its own objects.
OBJECT_PARAMETERS = ("project_id", "user_id", "department_id", "org_id", "message_id", "ticket_id",
                     "product_id", "customer_id", "subscription_id", "order_id", "contract_id", "stage_key", "step_key",
                     "template_id", "version", "endpoint_id", "delivery_id", "file_id", "mismatch_id", "key_id",
                     "attachment_id", "reply_id")
# Path parameters of routes with x-tenant-scoped false (a year, a day, a docs file).
NEUTRAL_VALUES = {"year": "2031", "day": "2031-01-02", "name": "probe.css"}
# Query parameters of list routes that name an object, and the World key they take ids from.
QUERY_FILTERS = {"org_id": "org_id", "vendor_id": "org_id", "provider_id": "org_id", "customer_id": "org_id",
                 "department_id": "department_id", "actor_user_id": "user_id"}
# Bodies of known operations; any other is built from its schema's required fields.
BODIES = {"assign_roles": {"roles": ["engineer"]}, "update_user": {"display_name": "Probe"},
          "update_department": {"name": "Probe"}}
ERROR_KEYS = {"error", "message", "fields"}


# --------------------------------------------------------------------------- the document

@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path} ({self.spec['operationId']})"

    @property
    def roles(self) -> set[str]:
        return set(self.spec.get("x-roles", ()))

    @property
    def secured(self) -> bool:
        return bool(self.spec.get("security"))

    @property
    def tenant_scoped(self) -> bool:
        return bool(self.spec.get("x-tenant-scoped"))

    def parameters(self, where: str) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", ()) if p.get("in") == where]


def operations_of(document: dict) -> list[Operation]:
    return [Operation(method, path, op) for path, ops in sorted(document["paths"].items())
            for method, op in sorted(ops.items())]


def example(schema: dict, components: dict):
    """A small value that the schema accepts: required fields only (or the first field)."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {})
        wanted = schema.get("required") or list(properties)[:1]
        return {name: example(properties.get(name, {"type": "string"}), components) for name in wanted}
    if kind == "array":
        item = example(schema.get("items", {"type": "string"}), components)
        return [item] * max(schema.get("minItems", 0), 0)
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    text = {"email": "probe@example.com", "date": "2031-01-02",
            "date-time": "2031-01-02T00:00:00+00:00"}.get(schema.get("format"), "probe")
    return text.ljust(schema.get("minLength", 0), "x")


def body_of(op: Operation, document: dict):
    if "requestBody" not in op.spec:
        return None
    if op.spec["operationId"] in BODIES:
        return BODIES[op.spec["operationId"]]
    if "application/json" not in op.spec["requestBody"]["content"]:
        return None  # a raw upload (the file is the body): probed without one, as before
    schema = op.spec["requestBody"]["content"]["application/json"]["schema"]
    return example(schema, document["components"]["schemas"])


def fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


# --------------------------------------------------------------------------- the worlds

@dataclass
class World:
    """One tenant's side: its tokens, its objects' ids by path parameter, what must not leak."""
    name: str
    tokens: dict[str, dict] = field(default_factory=dict)  # label -> Authorization header
    ids: dict[str, list[str]] = field(default_factory=dict)  # path parameter -> ids of own objects
    secrets: set[str] = field(default_factory=set)  # ids and names, searched in every answer
    message_ids: set[str] = field(default_factory=set)  # small integers: compared as "id" values

    def values_for(self, op: Operation) -> list[dict[str, str]]:
        """Every combination of this world's ids for the operation's path parameters."""
        names = op.parameters("path")
        if not op.tenant_scoped:
            return [{n: NEUTRAL_VALUES.get(n, "probe") for n in names}]
        unmapped = [n for n in names if n not in self.ids]
        assert not unmapped, (f"{op.name}: path parameter(s) {unmapped} name no known object; map them in "
                              "OBJECT_PARAMETERS and in both worlds of this module")
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(self.ids[n] for n in names))]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def call(session, e2e, method: str, url: str, **kwargs):
    return session.request(method.upper(), e2e.url(url), timeout=20, **kwargs)


def new_user(e2e, session, admin: dict, roles: list[str], **extra) -> tuple[dict, dict]:
    """A user of the admin's organisation that has changed its initial password: (user, headers)."""
    login = f"mx-{uuid.uuid4().hex[:10]}"
    created = call(session, e2e, "POST", "/api/v1/users", headers=admin,
                   json={"login_name": login, "display_name": f"Probe {login}", "roles": roles, **extra})
    assert created.status_code == 201, created.text
    first = e2e.login(login, created.json()["password"])
    changed = call(session, e2e, "POST", "/api/v1/auth/password", headers=bearer(first["access_token"]),
                   json={"current_password": created.json()["password"], "new_password": demo.DEMO_PASSWORD})
    assert changed.status_code == 200, changed.text
    return created.json()["user"], bearer(e2e.login(login)["access_token"])


def new_ticket(e2e, session, headers: dict, order_id: str, title: str) -> dict:
    """A ticket of the customer about its order (once ticket_svc has heard of the order)."""
    def opened():
        answer = call(session, e2e, "POST", "/api/v1/tickets", headers=headers, json={
            "title": title, "description": "probe", "category": "question", "order_id": order_id})
        return answer.json() if answer.status_code == 201 else None
    return wait_until(opened, timeout=30, message=f"a ticket about {order_id}")


def billing_ids(e2e, session, supplier: dict, customer: dict, customer_id: str,
                project_id: str) -> dict[str, list[str]]:
    """billing objects of a supplier (ISV) and its customer: a product, a subscription, an order (failed
    for want of credit, but an order) and a staged contract with a stage, proposed by the project's
    vendor (billing knows the project from project_svc's events)."""
    code = f"PROBE-{uuid.uuid4().hex[:8]}"
    product = call(session, e2e, "POST", "/api/v1/billing/products", headers=supplier, json={
        "code": code, "name": "probe", "face_value": 100, "price": 100, "currency": "CNY", "visible_to": [customer_id]})
    assert product.status_code == 201, product.text
    subscription = call(session, e2e, "POST", "/api/v1/billing/subscriptions", headers=customer,
                        json={"product_ids": [product.json()["id"]]}).json()["items"][0]
    call(session, e2e, "POST", f"/api/v1/billing/subscriptions/{subscription['id']}/approve", headers=supplier)
    call(session, e2e, "POST", "/api/v1/billing/agreements", headers=customer, json={
        "platform_agreement": True, "withholding_agreement": True, "payment_account": "probe-account"})
    call(session, e2e, "POST", f"/api/v1/billing/customers/{customer_id}/confirm", headers=e2e.auth("operator"))
    order = call(session, e2e, "POST", "/api/v1/billing/orders", headers={**customer, "Idempotency-Key": code},
                 json={"product_code": code})
    assert order.status_code == 201, order.text
    def proposed():
        answer = call(session, e2e, "POST", "/api/v1/billing/staged-contracts", headers=supplier, json={
            "project_id": project_id, "customer_id": customer_id,
            "stages": [{"key": "first", "name": "首期款", "amount": 100, "milestone_node_key": "confirm"}]})
        assert answer.status_code in (201, 404), answer.text
        return answer if answer.status_code == 201 else None
    contract = wait_until(proposed, timeout=30, message="billing to know the project")
    return {"customer_id": [customer_id], "subscription_id": [subscription["id"]],
            "order_id": [order.json()["order"]["id"]], "contract_id": [contract.json()["id"]], "stage_key": ["first"],
            "step_key": [f"fulfil:{order.json()['order']['id']}"],
            "billing_product_id": [product.json()["id"]]}


def new_webhook(e2e, session, headers: dict) -> dict:
    """A webhook endpoint of the caller's organisation: a public address, subscribed to an event that
    names no tenant (so nothing is ever sent to it)."""
    created = call(session, e2e, "POST", "/api/v1/webhooks", headers=headers,
                   json={"url": "https://93.184.216.34/probe", "event_types": ["calendar_changed"]})
    assert created.status_code == 201, created.text
    return created.json()


def new_api_key(e2e, session, headers: dict, roles: list[str]) -> dict:
    """An integrator key of the caller's organisation (GW-6); its id names it, its secret is not used."""
    created = call(session, e2e, "POST", "/api/v1/api-keys", headers=headers, json={"name": "Probe", "roles": roles})
    assert created.status_code == 201, created.text
    return created.json()["api_key"]


def me(e2e, session, headers: dict) -> dict:
    answer = call(session, e2e, "GET", "/api/v1/me", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def new_department(e2e, session, admin: dict, name: str) -> dict:
    created = call(session, e2e, "POST", "/api/v1/departments", headers=admin, json={"name": name})
    assert created.status_code == 201, created.text
    return created.json()


def message_about(e2e, session, headers: dict, project_id: str) -> dict:
    """The in-site message naming the project, once the provider has been told."""
    def found():
        inbox = call(session, e2e, "GET", "/api/v1/inbox", headers=headers, params={"limit": 200}).json()
        return next((m for m in inbox.get("items", ()) if project_id in m["body"]), None)
    return wait_until(found, timeout=30, message=f"the in-site message about project {project_id}")


def add_user(world: World, user: dict) -> None:
    world.secrets |= {user["id"], user["login_name"], user["display_name"]}


@pytest.fixture(scope="module")
def session():
    with requests.Session() as s:
        yield s


@pytest.fixture(scope="module")
def document(e2e, session):
    answer = call(session, e2e, "GET", "/openapi.json")
    assert answer.status_code == 200
    return answer.json()


@pytest.fixture(scope="module")
def operations(document):
    return operations_of(document)


@pytest.fixture(scope="module")
def world_a(e2e, session) -> World:
    """The demo world, with a department, a project manager and an engineer of the vendor."""
    world = World("A (demo)")
    ids = e2e.demo.org_ids
    vendor = e2e.auth("vendor.admin")
    suffix = uuid.uuid4().hex[:8]
    department = new_department(e2e, session, vendor, f"A probes {suffix}")
    manager, manager_headers = new_user(e2e, session, vendor, ["vendor_project_manager"])
    engineer, engineer_headers = new_user(e2e, session, vendor, ["engineer"], department_id=department["id"])
    world.tokens = {"vendor admin": vendor, "vendor project manager": manager_headers,
                    "provider admin": e2e.auth("provider-a.admin"), "engineer": engineer_headers,
                    "customer": e2e.auth("customer.admin")}
    # the demo customer buys the vendor's product that the vendor delivers itself
    order_id = f"ORD-A-{suffix}"
    bought = call(session, e2e, "POST", "/api/v1/purchases", headers=world.tokens["customer"],
                  json={"order_id": order_id, "product_id": e2e.demo.products[1], "customer_id": ids["customer"]})
    assert bought.status_code == 201, bought.text
    project = bought.json()["project"]
    message = message_about(e2e, session, vendor, project["id"])
    admins = {key: me(e2e, session, world.tokens[label])["user"]
              for key, label in (("vendor", "vendor admin"), ("provider_a", "provider admin"),
                                 ("customer", "customer"))}
    world.ids = {"org_id": [ids["vendor"], ids["provider_a"], ids["customer"]],
                 "user_id": [admins["vendor"]["id"], engineer["id"], admins["customer"]["id"]],
                 "department_id": [department["id"]], "project_id": [project["id"]],
                 "message_id": [message["id"]], "template_id": [e2e.demo.templates["vendor_flow"]],
                 "product_id": list(e2e.demo.products), "version": ["1"],
                 # a project's file is reached through its project, which already answers 404 to others
                 "file_id": [str(uuid.uuid4())],
                 "ticket_id": [new_ticket(e2e, session, world.tokens["customer"], order_id,
                                          f"A ticket {suffix}")["id"]],
                 "endpoint_id": [new_webhook(e2e, session, world.tokens["customer"])["id"]],
                 "key_id": [new_api_key(e2e, session, world.tokens["customer"], ["customer"])["id"]],
                 # a webhook delivery exists once an event reached an endpoint; a missing one answers 404
                 # exactly like another tenant's
                 "delivery_id": [str(uuid.uuid4())],
                 # reconciliation mismatches are the operator's, no tenant's: a missing one answers 404
                 "mismatch_id": [str(uuid.uuid4())],
                 # a ticket's attachment is reached through its ticket, which answers 404 to others; a
                 # canned reply of another provider answers 404 like a missing one
                 "attachment_id": [str(uuid.uuid4())], "reply_id": [str(uuid.uuid4())]}
    world.secrets |= set(world.ids["key_id"])
    world.secrets |= {world.ids["ticket_id"][0], f"A ticket {suffix}"}
    world.ids.update(billing_ids(e2e, session, vendor, world.tokens["customer"], ids["customer"], project["id"]))
    world.ids["product_id"] = [*world.ids.get("product_id", []), *world.ids.pop("billing_product_id")]
    world.secrets |= {world.ids[k][0] for k in ("subscription_id", "order_id", "contract_id")}
    world.secrets |= set(ids.values()) | {spec["name"] for spec in demo.ORGANISATIONS}
    world.secrets |= {department["id"], department["name"], project["id"], order_id}
    for user in (*admins.values(), manager, engineer):
        add_user(world, user)
    world.message_ids.add(message["id"])
    return world


@pytest.fixture(scope="module")
def world_b(e2e, session) -> World:
    """A fresh ISV and a fresh customer; the customer bought the ISV's own product."""
    world = World("B (fresh)")
    isv, customer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    suffix = uuid.uuid4().hex[:8]
    department = new_department(e2e, session, isv["headers"], f"B probes {suffix}")
    engineer, engineer_headers = new_user(e2e, session, isv["headers"], ["engineer"], department_id=department["id"])
    world.tokens = {"isv B admin": isv["headers"], "isv B engineer": engineer_headers,
                    "customer B": customer["headers"]}
    product_id = f"prod-b-{suffix}"
    with e2e.rpc() as rpc:
        template_id = rpc.template.get_product_flow(e2e.demo.products[0])["template_id"]
        rpc.template.bind_product({"product_id": product_id, "vendor_id": isv["org"]["id"],
                                   "product_code": f"B-{suffix}", "product_name": f"B product {suffix}",
                                   "template_id": template_id})
        # project_svc keeps the bound flow from template_svc's event (no RPC per purchase)
        wait_until(lambda: rpc.project.knows_product(product_id), message="project_svc to know the product")
    order_id = f"ORD-B-{suffix}"
    bought = call(session, e2e, "POST", "/api/v1/purchases", headers=customer["headers"],
                  json={"order_id": order_id, "product_id": product_id, "customer_id": customer["org"]["id"]})
    assert bought.status_code == 201, bought.text
    project = bought.json()["project"]
    assert project["vendor_id"] == isv["org"]["id"] and project["customer_id"] == customer["org"]["id"]
    message = message_about(e2e, session, isv["headers"], project["id"])  # ISV B delivers it itself
    admins = [me(e2e, session, isv["headers"])["user"], me(e2e, session, customer["headers"])["user"]]
    world.ids = {"org_id": [isv["org"]["id"], customer["org"]["id"]],
                 "user_id": [engineer["id"], *(a["id"] for a in admins)],
                 "department_id": [department["id"], isv["org"]["root_department_id"]],
                 "project_id": [project["id"]], "message_id": [message["id"]], "product_id": [product_id],
                 "template_id": [call(session, e2e, "POST", "/api/v1/service-templates/tpl-public-self-service/copy",
                                      headers=isv["headers"]).json()["id"]], "version": ["1"],
                 "file_id": [str(uuid.uuid4())],
                 "ticket_id": [new_ticket(e2e, session, customer["headers"], order_id, f"B ticket {suffix}")["id"]],
                 "endpoint_id": [new_webhook(e2e, session, isv["headers"])["id"]],
                 "key_id": [new_api_key(e2e, session, isv["headers"], ["provider_admin"])["id"]],
                 "delivery_id": [str(uuid.uuid4())], "mismatch_id": [str(uuid.uuid4())],
                 "attachment_id": [str(uuid.uuid4())], "reply_id": [str(uuid.uuid4())]}
    world.secrets |= set(world.ids["key_id"])
    world.secrets |= {world.ids["ticket_id"][0], f"B ticket {suffix}"}
    world.ids.update(billing_ids(e2e, session, isv["headers"], customer["headers"], customer["org"]["id"],
                                 project["id"]))
    world.ids["product_id"] = [*world.ids.get("product_id", []), *world.ids.pop("billing_product_id")]
    world.secrets |= {world.ids[k][0] for k in ("subscription_id", "order_id", "contract_id")}
    world.secrets |= {isv["org"]["id"], isv["org"]["name"], customer["org"]["id"], customer["org"]["name"],
                      isv["org"]["root_department_id"], department["id"], department["name"], project["id"],
                      order_id, product_id, f"B product {suffix}"}
    for user in (engineer, *admins):
        add_user(world, user)
    world.message_ids.add(message["id"])
    return world


# --------------------------------------------------------------------------- checks

def ids_in(payload) -> set[str]:
    """Every value of an "id" key anywhere in a JSON answer."""
    found = set()
    if isinstance(payload, dict):
        if "id" in payload:
            found.add(str(payload["id"]))
        for value in payload.values():
            found |= ids_in(value)
    elif isinstance(payload, list):
        for value in payload:
            found |= ids_in(value)
    return found


def leaks(answer, victim: World, sent: set[str]) -> list[str]:
    """The victim's ids and names in an answer, except those the caller sent itself (a "not
    found" message may repeat the id it was asked for: that tells the caller nothing new)."""
    found = [s for s in sorted(victim.secrets - sent) if s in answer.text]
    try:
        payload = answer.json()
    except ValueError:
        return found
    return found + sorted((ids_in(payload) & victim.message_ids) - sent)


def answered(answer) -> str:
    return f"{answer.status_code} {answer.text[:300]}"


def test_GW2_every_path_parameter_of_a_tenant_scoped_route_names_a_mapped_object(operations):
    """A new route with a path parameter must be mapped to an object of the worlds (or be
    declared tenant_scoped=False), else the cross-tenant probes would silently skip it."""
    scoped = [op for op in operations if op.parameters("path") and op.tenant_scoped]
    assert scoped, "the document lists no tenant-scoped route with path parameters"
    unmapped = {op.name: [p for p in op.parameters("path") if p not in OBJECT_PARAMETERS]
                for op in scoped}
    assert not {k: v for k, v in unmapped.items() if v}, "map these path parameters to objects"
    unmarked = [op.name for op in operations if op.parameters("path") and "x-tenant-scoped" not in op.spec]
    assert not unmarked, "every route with path parameters says whether it is tenant-scoped"


def test_ORG7_GW2_another_tenants_ids_answer_403_or_404_without_its_data_on_every_scoped_route(
        e2e, session, document, operations, world_a, world_b, request):
    scoped = [op for op in operations if op.parameters("path") and op.tenant_scoped]
    failures, probes, statuses = [], 0, Counter()
    for attacker, victim in ((world_a, world_b), (world_b, world_a)):
        for op in scoped:
            body = body_of(op, document)
            for values in victim.values_for(op):
                url = fill(op.path, values)
                for label, headers in attacker.tokens.items():
                    answer = call(session, e2e, op.method, url, headers=headers, json=body)
                    probes += 1
                    statuses[answer.status_code] += 1
                    where = f"{attacker.name} {label}: {op.method.upper()} {url}"
                    leaked = leaks(answer, victim, set(values.values()))
                    if leaked:
                        failures.append(f"{where} showed {victim.name}'s {leaked}: {answered(answer)}")
                    if answer.status_code in (403, 404):
                        if set(answer.json()) - ERROR_KEYS:
                            failures.append(f"{where} answered more than an error: {answered(answer)}")
                    elif answer.status_code not in (400, 422):  # refused as input, and nothing leaked
                        failures.append(f"{where} answered {answered(answer)}")
    request.node.user_properties += [("cross_tenant_probes", probes), ("cross_tenant_statuses", dict(statuses))]
    assert probes >= 100, f"only {probes} cross-tenant probes ran"
    assert not failures, f"{len(failures)} of {probes} probes failed:\n" + "\n".join(failures)


def test_ORG7_lists_of_one_tenant_never_show_another_tenants_objects(
        e2e, session, operations, world_a, world_b, request):
    lists = [op for op in operations if op.method == "get" and op.secured and not op.parameters("path")]
    assert any(op.path == "/api/v1/projects" for op in lists)
    failures, probes = [], 0
    for attacker, victim in ((world_a, world_b), (world_b, world_a)):
        for op in lists:
            filters = {name: victim.ids[key][0] for name, key in QUERY_FILTERS.items()
                       if name in op.parameters("query")}
            for params in ({"limit": 200} if "limit" in op.parameters("query") else {}, filters):
                for label, headers in attacker.tokens.items():
                    answer = call(session, e2e, "GET", op.path, headers=headers, params=params)
                    probes += 1
                    where = f"{attacker.name} {label}: GET {op.path} {params or ''}"
                    leaked = leaks(answer, victim, set(map(str, params.values())))
                    if leaked:
                        failures.append(f"{where} listed {victim.name}'s {leaked}: {answered(answer)}")
                    if answer.status_code >= 500 or answer.status_code == 401:
                        failures.append(f"{where} answered {answered(answer)}")
    request.node.user_properties.append(("list_probes", probes))
    assert not failures, f"{len(failures)} of {probes} probes failed:\n" + "\n".join(failures)


def test_ORG7_each_tenant_sees_its_own_objects_so_the_probes_are_not_vacuous(e2e, session, world_a, world_b):
    for world, label in ((world_a, "customer"), (world_b, "customer B"), (world_b, "isv B admin")):
        project_id = world.ids["project_id"][0]
        own = call(session, e2e, "GET", f"/api/v1/projects/{project_id}", headers=world.tokens[label])
        assert own.status_code == 200 and own.json()["id"] == project_id, answered(own)
        assert leaks(own, world, {project_id}), "the leak check finds a world's data in its own answers"
    for label in ("customer B", "isv B admin"):  # a fresh tenant's list is short
        listed = call(session, e2e, "GET", "/api/v1/projects", headers=world_b.tokens[label]).json()
        assert [p["id"] for p in listed["items"]] == world_b.ids["project_id"]
    for world, label in ((world_a, "vendor admin"), (world_b, "isv B admin")):
        for user_id in world.ids["user_id"][:1]:
            assert call(session, e2e, "GET", f"/api/v1/users/{user_id}", headers=world.tokens[label]).status_code == 200
        department = world.ids["department_id"][0]
        tree = call(session, e2e, "GET", "/api/v1/departments", headers=world.tokens[label])
        assert department in tree.text, answered(tree)


def test_GW2_a_role_not_listed_in_x_roles_gets_403_on_every_route(
        e2e, session, document, operations, world_a, request):
    tokens = {**world_a.tokens, "platform operator": e2e.auth("operator")}
    roles = {label: {r["key"] for r in me(e2e, session, headers)["roles"]} for label, headers in tokens.items()}
    assert roles["platform operator"] == {"platform_operator"} and roles["engineer"] == {"engineer"}
    guarded = [op for op in operations if op.roles]
    assert guarded, "no route of the document names its roles"
    failures, probes = [], 0
    for op in guarded:
        url = fill(op.path, world_a.values_for(op)[0])
        for label, headers in tokens.items():
            if roles[label] & op.roles:
                continue
            answer = call(session, e2e, op.method, url, headers=headers, json=body_of(op, document))
            probes += 1
            if answer.status_code != 403 or answer.json().get("error") != "forbidden":
                failures.append(f"{label} {sorted(roles[label])}: {op.name} needs {sorted(op.roles)} "
                                f"but answered {answered(answer)}")
    request.node.user_properties.append(("role_probes", probes))
    assert probes >= len(guarded), "every guarded route was probed by at least one other role"
    assert not failures, f"{len(failures)} of {probes} probes failed:\n" + "\n".join(failures)


def test_GW2_every_non_public_route_answers_401_with_www_authenticate_without_a_valid_token(
        e2e, session, document, operations, world_a, request):
    secured = [op for op in operations if op.secured]
    assert any(op.path == "/api/v1/me" for op in secured)
    failures, probes = [], 0
    for op in secured:
        url = fill(op.path, world_a.values_for(op)[0])
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic b3BlcmF0b3I6eA=="}):
            answer = call(session, e2e, op.method, url, headers=headers, json=body_of(op, document))
            probes += 1
            problem = None
            if answer.status_code != 401:
                problem = "status"
            elif not answer.headers.get("WWW-Authenticate", "").startswith("Bearer"):
                problem = "no WWW-Authenticate: Bearer"
            elif answer.json().get("error") != "unauthenticated":
                problem = "error code"
            if problem:
                failures.append(f"{op.name} with {json.dumps(headers)}: {problem}: {answered(answer)}")
    public = [op for op in operations if not op.secured and op.method == "get" and not op.parameters("path")]
    for op in public:
        assert call(session, e2e, "GET", op.path).status_code != 401, op.name
    request.node.user_properties.append(("unauthenticated_probes", probes))
    assert not failures, f"{len(failures)} of {probes} probes failed:\n" + "\n".join(failures)


# --------------------------------------------------------------------------- after a record moves
#
# The same probes, run again after each change that moves a record between parties: every list,
# count, export, dashboard and search route of the document (generated, as above), with the
# project tabs and "my projects" besides, called by each party; a party the rule no longer admits
# finds the record nowhere (not its id, its order, its notes or its new parties' names), and the
# record's detail answers it 404/403. One rule per record kind means: no list shows what the detail
# refuses.

PROJECT_VARIANTS = ({"mine": "handled"}, {"mine": "waiting"}, {"status": "in_progress"}, {"status": "paused"},
                    {"as_customer": "true"})
TICKET_STAFF_FIELDS = ("assignee_id", "assignee_name", "escalated", "suspected", "breached", "priority_rank",
                       "first_response_seconds", "resolution_seconds", "next_due_at", "timers", "log")


def list_probes(operations) -> list[tuple[str, dict]]:
    """(path, query) of every secured GET without path parameters, plus the project tabs."""
    probes = []
    for op in operations:
        if op.method != "get" or not op.secured or op.parameters("path"):
            continue
        base = {"limit": 200} if "limit" in op.parameters("query") else {}
        probes.append((op.path, base))
        if op.path in ("/api/v1/projects", "/api/v1/projects/export"):
            probes += [(op.path, {**base, **variant}) for variant in PROJECT_VARIANTS]
    return probes


def nowhere(e2e, session, operations, headers: dict, hidden: set[str], details: list[str], who: str,
            kept: dict[str, set[str]] | None = None) -> list[str]:
    """Where the caller finds any of ``hidden`` (lists, counts, exports and the given details), and
    the details it is not refused. ``kept``: per path, what the caller keeps as its own record (the
    in-site message it was sent while it delivered the project is its message, not the project)."""
    failures, kept = [], kept or {}
    for path, params in list_probes(operations):
        answer = call(session, e2e, "GET", path, headers=headers, params=params)
        found = sorted(s for s in hidden - kept.get(path, set()) if s in answer.text)
        if found:
            failures.append(f"{who}: GET {path} {params or ''} showed {found}: {answered(answer)}")
    for url in details:
        answer = call(session, e2e, "GET", url, headers=headers)
        if answer.status_code not in (403, 404):
            failures.append(f"{who}: GET {url} answered {answered(answer)}")
    return failures


def shown_everywhere(e2e, session, headers: dict, detail: str, list_path: str, record_id: str, who: str) -> None:
    """The party the rule admits sees the record in its detail and in its list (not vacuous)."""
    assert call(session, e2e, "GET", detail, headers=headers).status_code == 200, f"{who}: {detail}"
    listed = call(session, e2e, "GET", list_path, headers=headers, params={"limit": 200})
    assert record_id in listed.text, f"{who}: {list_path} does not list {record_id}"


def current_project(e2e, session, headers, project_id):
    return call(session, e2e, "GET", f"/api/v1/projects/{project_id}", headers=headers).json()


def test_ORG7_PRJ5_after_a_change_of_provider_the_former_provider_finds_the_project_nowhere(
        e2e, session, operations, world_b):
    """The former provider's admin (who paused and resumed it, so it "handled" it) and every other
    tenant find the project, its order and the new provider's name nowhere; the new provider does
    not read the former provider's note; vendor, customer and new provider see it (PRJ-5, PRJ-7)."""
    ids, customer, vendor = e2e.demo.org_ids, e2e.auth("customer.admin"), e2e.auth("vendor.admin")
    admins = {ids["provider_a"]: e2e.auth("provider-a.admin"), ids["provider_b"]: e2e.auth("provider-b.admin")}
    names = {ids["provider_a"]: "Demo Provider A", ids["provider_b"]: "Demo Provider B"}
    order_id = f"ORD-MX-{uuid.uuid4().hex[:8]}"
    bought = call(session, e2e, "POST", "/api/v1/purchases", headers=customer,
                  json={"order_id": order_id, "product_id": "prod-erp-install", "customer_id": ids["customer"]})
    assert bought.status_code == 201, bought.text
    project_id = bought.json()["project"]["id"]
    old = wait_until(lambda: current_project(e2e, session, customer, project_id)["provider_id"], timeout=30,
                     message="a provider for the project")
    new = next(org for org in admins if org != old)
    base = f"/api/v1/projects/{project_id}"
    for action in ("pause", "resume"):
        acted = call(session, e2e, "POST", f"{base}/{action}", headers=admins[old], json={"note": "probe"})
        assert acted.status_code == 200, acted.text
    note = f"former provider's own note {uuid.uuid4().hex[:8]}"
    assert call(session, e2e, "POST", f"{base}/notes", headers=admins[old], json={"body": note}).status_code == 201

    def totals(headers) -> dict:
        page = call(session, e2e, "GET", "/api/v1/projects", headers=headers, params={"limit": 1}).json()
        return {"total": page["total"], **page["counts"]}
    before = totals(admins[old])
    changed = call(session, e2e, "POST", f"{base}/change-provider", headers=vendor, json={"note": "too slow"})
    assert changed.status_code == 200, changed.text
    wait_until(lambda: current_project(e2e, session, customer, project_id)["provider_id"] == new, timeout=30,
               message="the new provider")

    after = totals(admins[old])
    assert (after["total"], after["in_progress"]) == (before["total"] - 1, before["in_progress"] - 1), (before, after)
    failures = nowhere(e2e, session, operations, admins[old], {project_id, order_id, names[new]}, [base],
                       "former provider admin", kept={"/api/v1/inbox": {project_id}})
    failures += nowhere(e2e, session, operations, admins[new], {note}, [], "new provider admin")
    for label, headers in world_b.tokens.items():
        failures += nowhere(e2e, session, operations, headers, {project_id, order_id, note}, [base], f"B {label}")
    assert not failures, f"{len(failures)} leaks:\n" + "\n".join(failures)
    for who, headers in (("vendor", vendor), ("customer", customer), ("new provider", admins[new])):
        shown_everywhere(e2e, session, headers, base, "/api/v1/projects", project_id, who)
    assert note in call(session, e2e, "GET", base, headers=vendor).text, "the vendor keeps every note"


def test_TKT3_after_a_transfer_and_an_escalation_only_the_tickets_parties_see_it_and_the_customer_no_staff_field(
        e2e, session, operations, world_a, world_b):
    """A ticket moves between agents and to the platform's support: the customer still reads it in its
    own shape only, another provider and the other tenant find it nowhere."""
    ticket_id = world_a.ids["ticket_id"][0]
    vendor = e2e.auth("vendor.admin")
    agent, agent_headers = new_user(e2e, session, vendor, ["support_agent"])
    holder = e2e.auth("vendor.support")
    base = f"/api/v1/tickets/{ticket_id}"

    def moved():  # 400 until ticket_svc has heard of the new agent (user_created)
        answer = call(session, e2e, "POST", f"{base}/transfer", headers=holder,
                      json={"to_agent_id": agent["id"], "note": "probe: please take over", "confirm_off_duty": True})
        return answer if answer.status_code != 400 else None
    transferred = wait_until(moved, timeout=30, message="ticket_svc to know the new agent")
    assert transferred.status_code == 200, transferred.text
    escalated = call(session, e2e, "POST", f"{base}/escalate", headers=agent_headers, json={"note": "probe"})
    assert escalated.status_code == 200, escalated.text

    title = call(session, e2e, "GET", base, headers=agent_headers).json()["title"]
    failures = nowhere(e2e, session, operations, e2e.auth("provider-a.admin"), {ticket_id, title}, [base],
                       "another provider")
    for label, headers in world_b.tokens.items():
        failures += nowhere(e2e, session, operations, headers, {ticket_id, title}, [base], f"B {label}")
    customer = world_a.tokens["customer"]
    for path, params in [(base, {}), ("/api/v1/tickets", {"limit": 200}), ("/api/v1/tickets/export", {})]:
        answer = call(session, e2e, "GET", path, headers=customer, params=params)
        assert answer.status_code == 200 and ticket_id in answer.text, answered(answer)
        shown = [f for f in TICKET_STAFF_FIELDS if f'"{f}"' in answer.text or f",{f}," in answer.text]
        if shown:
            failures.append(f"customer: GET {path} showed the staff's fields {shown}")
    assert not failures, f"{len(failures)} leaks:\n" + "\n".join(failures)
    shown_everywhere(e2e, session, agent_headers, base, "/api/v1/tickets", ticket_id, "the new assignee")
    shown_everywhere(e2e, session, e2e.auth("operator"), base, "/api/v1/ticket-escalations", ticket_id, "operator")


def test_ORG7_after_a_user_is_deactivated_its_token_reads_nothing_at_all(e2e, session, operations):
    vendor = e2e.auth("vendor.admin")
    engineer, headers = new_user(e2e, session, vendor, ["engineer"])
    assert call(session, e2e, "GET", "/api/v1/projects", headers=headers).status_code == 200
    off = call(session, e2e, "PATCH", f"/api/v1/users/{engineer['id']}", headers=vendor, json={"active": False})
    assert off.status_code == 200, off.text
    wait_until(lambda: call(session, e2e, "GET", "/api/v1/me", headers=headers).status_code == 401, timeout=15,
               message="the deactivated user's token to be refused")
    answers = {(path, str(params)): call(session, e2e, "GET", path, headers=headers, params=params).status_code
               for path, params in list_probes(operations)}
    assert set(answers.values()) == {401}, {k: v for k, v in answers.items() if v != 401}


def test_BIL8_ORG7_after_a_subscription_is_cancelled_the_other_tenant_still_finds_it_nowhere(
        e2e, session, operations, world_a, world_b):
    subscription_id = world_b.ids["subscription_id"][0]
    cancelled = call(session, e2e, "POST", f"/api/v1/billing/subscriptions/{subscription_id}/cancel",
                     headers=world_b.tokens["customer B"])
    assert cancelled.status_code in (200, 422), cancelled.text  # 422: inside a price-lock period (BIL-8)
    failures = []
    for label, headers in world_a.tokens.items():
        failures += nowhere(e2e, session, operations, headers, {subscription_id, *world_b.ids["order_id"]},
                            [], f"A {label}")
    assert not failures, f"{len(failures)} leaks:\n" + "\n".join(failures)
    listed = call(session, e2e, "GET", "/api/v1/billing/subscriptions", headers=world_b.tokens["isv B admin"])
    assert subscription_id in listed.text, "the supplier still sees its own subscription"


SURVEY = {"id": "form-mx", "name": "Survey", "fields": [
    {"key": "site_address", "label": "Site address", "type": "text", "required": True}]}
BY_ENGINEERS = [
    {"key": "assign", "kind": "assign_provider", "name": "分配服务商"},
    {"key": "req", "kind": "submit_requirements", "name": "提交需求", "settings": {"form": SURVEY}},
    {"key": "dispatch", "kind": "assign_order", "name": "分配订单", "settings": {"role": "engineer",
                                                                                 "rule": "provider_first"}},
    {"key": "deploy", "kind": "generic", "name": "部署", "settings": {"side": "provider", "role": "engineer"}},
    {"key": "done", "kind": "complete_project", "name": "项目完成"},
]


def bind_flow(e2e, product_id: str, vendor_id: str, nodes: list[dict]) -> None:
    """template_svc's product_template_bound, as it carries the frozen flow; project_svc keeps it."""
    from nameko.amqp.publish import get_producer
    from nameko.standalone.events import get_event_exchange

    from platform_kit.clock import utcnow
    exchange = get_event_exchange("template")
    with get_producer(e2e.amqp_uri) as producer:
        producer.publish({"event_id": str(uuid.uuid4()), "event_type": "product_template_bound", "version": 1,
                          "source": "template", "occurred_at": utcnow().isoformat(), "correlation_id": None,
                          "data": {"product_id": product_id, "vendor_id": vendor_id, "product_code": "MX",
                                   "product_name": "Matrix flow", "template_id": str(uuid.uuid4()),
                                   "template_name": "By engineers", "template_version": 1, "nodes": nodes}},
                         exchange=exchange, routing_key="product_template_bound", serializer="json",
                         declare=[exchange])
    with e2e.rpc() as rpc:
        wait_until(lambda: rpc.project.knows_product(product_id), timeout=30, message="the bound flow")


def sees_alike(e2e, session, headers: dict, project_id: str, order_id: str, who: str) -> bool:
    """One rule: the detail, the list and the export (its rows name the order) agree."""
    detail = call(session, e2e, "GET", f"/api/v1/projects/{project_id}", headers=headers).status_code == 200
    listed = project_id in call(session, e2e, "GET", "/api/v1/projects", headers=headers,
                                params={"limit": 200}).text
    exported = order_id in call(session, e2e, "GET", "/api/v1/projects/export", headers=headers).text
    assert detail == listed == exported, f"{who}: detail {detail}, list {listed}, export {exported}"
    return detail


def test_PRJ6_ORG7_after_a_change_of_operator_detail_list_and_export_agree_and_no_other_tenant_sees_it(
        e2e, session, operations, world_a):
    isv, buyer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    admin, customer = isv["headers"], buyer["headers"]
    engineers = [new_user(e2e, session, admin, ["engineer"]) for _ in range(2)]
    for user, _ in engineers:
        wait_until(lambda u=user: call(session, e2e, "PATCH", f"/api/v1/dispatch/employees/{u['id']}", headers=admin,
                                       json={"capacity": 5, "open": True}).status_code == 200,
                   timeout=30, message="dispatch to know the engineer")
    product_id = f"prod-mx-{uuid.uuid4().hex[:8]}"
    bind_flow(e2e, product_id, isv["org"]["id"], BY_ENGINEERS)
    order_id = f"ORD-MX-{uuid.uuid4().hex[:8]}"
    bought = call(session, e2e, "POST", "/api/v1/purchases", headers=customer,
                  json={"order_id": order_id, "product_id": product_id})
    assert bought.status_code == 201, bought.text
    project_id = bought.json()["project"]["id"]
    base = f"/api/v1/projects/{project_id}"
    wait_until(lambda: current_project(e2e, session, customer, project_id).get("current_node", {}).get("key")
               == "req", timeout=30, message="the vendor to be assigned")
    submitted = call(session, e2e, "POST", f"{base}/requirements", headers=customer,
                     json={"node_key": "req", "data": {"site_address": "Shanghai"}})
    assert submitted.status_code == 200, submitted.text
    project = wait_until(lambda: (p := current_project(e2e, session, admin, project_id)).get("current_node", {})
                         .get("key") == "deploy" and p, timeout=30, message="dispatch to assign an engineer")
    former = next(e for e in engineers if e[0]["id"] == project["operators"]["engineer"])
    latter = next(e for e in engineers if e is not former)
    changed = call(session, e2e, "POST", f"{base}/operator", headers=admin, json={"user_id": latter[0]["id"]})
    assert changed.status_code == 200, changed.text
    wait_until(lambda: current_project(e2e, session, admin, project_id)["operators"]["engineer"] == latter[0]["id"],
               timeout=30, message="the operator change to reach the project")

    # the former operator was assigned (a participant of its own provider): it keeps what it handled
    for who, headers in (("former operator", former[1]), ("new operator", latter[1]), ("provider admin", admin),
                         ("customer", customer)):
        assert sees_alike(e2e, session, headers, project_id, order_id, who), who
    handled = call(session, e2e, "GET", "/api/v1/projects", headers=former[1], params={"mine": "handled"})
    assert project_id in handled.text
    failures = []
    for label in ("vendor admin", "engineer"):  # another tenant's ISV roles (every role: the tests above)
        failures += nowhere(e2e, session, operations, world_a.tokens[label], {project_id, order_id}, [base],
                            f"A {label}")
    assert not failures, f"{len(failures)} leaks:\n" + "\n".join(failures)


BY_CLAIM = [
    {"key": "assign", "kind": "assign_provider", "name": "分配服务商"},
    {"key": "claim", "kind": "claim_order", "name": "领单", "settings": {"timeout_days": 1.0}},
    {"key": "deploy", "kind": "generic", "name": "部署", "settings": {"side": "provider"}},
    {"key": "done", "kind": "complete_project", "name": "项目完成"},
]


def test_DSP7_ORG7_after_a_claim_the_claimer_sees_the_project_alike_and_its_colleague_and_other_tenants_do_not(
        e2e, session, operations, world_a):
    isv, buyer = e2e.new_organisation("isv"), e2e.new_organisation("customer")
    admin, customer = isv["headers"], buyer["headers"]
    (claimer, claimer_headers), (colleague, colleague_headers) = (
        new_user(e2e, session, admin, ["customer_manager"]) for _ in range(2))
    product_id = f"prod-mx-{uuid.uuid4().hex[:8]}"
    bind_flow(e2e, product_id, isv["org"]["id"], BY_CLAIM)
    order_id = f"ORD-MX-{uuid.uuid4().hex[:8]}"
    bought = call(session, e2e, "POST", "/api/v1/purchases", headers=customer,
                  json={"order_id": order_id, "product_id": product_id})
    assert bought.status_code == 201, bought.text
    project_id = bought.json()["project"]["id"]

    def claimed():  # 4xx until dispatch has seen the project reach its claim node
        answer = call(session, e2e, "POST", "/api/v1/claims", headers=claimer_headers, json={"order_id": order_id})
        return answer.status_code == 201 and answer
    wait_until(claimed, timeout=30, message="the claim")
    wait_until(lambda: current_project(e2e, session, admin, project_id).get("current_node", {}).get("key")
               == "deploy", timeout=30, message="the claim to reach the project")

    assert sees_alike(e2e, session, claimer_headers, project_id, order_id, "claimer")
    assert not sees_alike(e2e, session, colleague_headers, project_id, order_id, "its colleague"), \
        "a customer manager who did not claim it is not admitted (no capacity of its own)"
    assert sees_alike(e2e, session, admin, project_id, order_id, "provider admin")
    failures = nowhere(e2e, session, operations, colleague_headers, {project_id, order_id},
                       [f"/api/v1/projects/{project_id}"], "colleague")
    for label in ("provider admin", "customer"):  # another tenant's provider and buyer
        failures += nowhere(e2e, session, operations, world_a.tokens[label], {project_id, order_id},
                            [f"/api/v1/projects/{project_id}"], f"A {label}")
    assert not failures, f"{len(failures)} leaks:\n" + "\n".join(failures)
