"""Demo data for a local run, loaded through the services' RPC interfaces. Idempotent.

The platform operator, two ISVs (one vendor that also delivers, one provider), a customer
organisation, a public flow template, two products and their provider configuration (and, for
``make run`` only, ``load_projects``: the demo customer's purchases). Every
account gets a fixed demo password so the printed log-ins keep working across runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from nameko.standalone.rpc import ClusterRpcClient

from platform_contracts.actor import Actor
from platform_kit.auth import decode_access_token
from platform_kit.errors import NotFound

OPERATOR_LOGIN, DEMO_PASSWORD = "operator", "Demo2026pass"
# each admin has a phone and an e-mail address, so their notifications show in the local peers'
# SMS page and mailbox (make run, compose); both are reserved example values
ORGANISATIONS = [
    {"key": "vendor", "name": "Demo Vendor Co.", "kind": "isv", "admin": "vendor.admin",
     "phone": "13800000001", "email": "vendor.admin@vendor.example"},
    {"key": "provider_a", "name": "Demo Provider A", "kind": "isv", "admin": "provider-a.admin",
     "phone": "13800000002", "email": "provider-a.admin@provider-a.example"},
    {"key": "provider_b", "name": "Demo Provider B", "kind": "isv", "admin": "provider-b.admin",
     "phone": "13800000003", "email": "provider-b.admin@provider-b.example"},
    {"key": "customer", "name": "Demo Customer Ltd.", "kind": "customer", "admin": "customer.admin",
     "phone": "13800000004", "email": "customer.admin@customer.example"},
]
STANDARD_FLOW = [
    {"key": "assign_provider", "kind": "assign_provider", "name": "Assign provider"},
    {"key": "requirements", "kind": "submit_requirements", "name": "Submit requirements"},
    {"key": "assign_engineer", "kind": "assign_order", "name": "Assign engineer", "role": "engineer"},
    {"key": "deliver", "kind": "generic", "name": "Deliver and upload the report", "role": "engineer"},
    {"key": "confirm", "kind": "confirm", "name": "Customer confirms delivery"},
    {"key": "complete", "kind": "complete_project", "name": "Complete project"},
]
PRODUCTS = [
    {"product_id": "prod-erp-install", "product_code": "ERP-INST", "product_name": "ERP installation",
     "providers": [("provider_a", 20, 100), ("provider_b", 30, 100)]},
    {"product_id": "prod-site-design", "product_code": "WEB-DSGN", "product_name": "Website design",
     "providers": []},
]


@dataclass
class Demo:
    org_ids: dict[str, str]
    logins: list[tuple[str, str, str]]  # (login, password, who)
    products: list[str]
    templates: dict[str, str] = field(default_factory=dict)  # the vendor's own flow and the demo products' flows
    orders: list[str] = field(default_factory=list)  # the demo projects' order ids (make run only)


def _as(rpc_uri: str, actor: Actor, timeout: float = 30) -> ClusterRpcClient:
    return ClusterRpcClient(uri=rpc_uri, timeout=timeout, context_data={"actor": actor.to_header()})


def _ensure_password(rpc, rpc_uri: str, login: str, first_password: str | None, secret: str) -> None:
    """A new account (``first_password`` known) changes its one-time password to the demo one."""
    if first_password is None:
        return
    tokens = rpc.identity.login(login, first_password, "demo-loader")
    actor = decode_access_token(tokens["access_token"], secret).actor
    with _as(rpc_uri, actor) as own:
        own.identity.change_password({"current_password": first_password, "new_password": DEMO_PASSWORD})


def load(rpc, rpc_uri: str, jwt_secret: str, supplier_url: str | None = None) -> Demo:
    """``jwt_secret``: the stack's JWT_SECRET (the loader reads its own tokens to act as the new admins);
    ``supplier_url``: the demo vendor's fulfilment system as a supplier (the local supplier peer)."""
    secret = jwt_secret
    boot = rpc.identity.bootstrap_operator(OPERATOR_LOGIN, DEMO_PASSWORD)
    operator = Actor(boot["user"]["id"], boot["organisation"]["id"], "operator", tuple(boot["user"]["roles"]))
    org_ids: dict[str, str] = {}
    logins = [(OPERATOR_LOGIN, DEMO_PASSWORD, "platform operator")]
    with _as(rpc_uri, operator) as op:
        existing = {o["name"]: o for o in op.identity.list_organisations({"limit": 200})["items"]}
        for spec in ORGANISATIONS:
            first_password = None
            org = existing.get(spec["name"])
            if org is None:
                created = op.identity.create_organisation({
                    "name": spec["name"], "kind": spec["kind"],
                    "admin": {"login_name": spec["admin"], "display_name": f"{spec['name']} admin",
                              "phone": spec["phone"], "email": spec["email"]}})
                org, first_password = created["organisation"], created["password"]
            org_ids[spec["key"]] = org["id"]
            _ensure_password(rpc, rpc_uri, spec["admin"], first_password, secret)
            logins.append((spec["admin"], DEMO_PASSWORD, f"admin of {spec['name']} ({spec['kind']})"))

    template_id = None
    for product in PRODUCTS:
        try:
            template_id = rpc.template.get_product_flow(product["product_id"])["template_id"]
        except NotFound:
            if template_id is None:
                template_id = rpc.template.create_template(
                    {"name": "Standard delivery (sub-account auto dispatch)", "nodes": STANDARD_FLOW})["template_id"]
            rpc.template.bind_product({"product_id": product["product_id"], "vendor_id": org_ids["vendor"],
                                       "product_code": product["product_code"],
                                       "product_name": product["product_name"], "template_id": template_id})
        rpc.dispatch.set_product_providers({
            "product_id": product["product_id"], "vendor_id": org_ids["vendor"],
            "providers": [{"provider_id": org_ids[key], "weight": weight, "max_held": most}
                          for key, weight, most in product["providers"]]})
    logins += _load_support_desk(rpc, rpc_uri, org_ids, secret)
    _load_billing(rpc_uri, org_ids, supplier_url)
    templates = _load_flow_templates(rpc_uri, org_ids)
    _wait_for_project_flows(rpc, [p["product_id"] for p in PRODUCTS] + [p["product_id"] for p in FLOW_PRODUCTS])
    return Demo(org_ids, logins, [p["product_id"] for p in PRODUCTS], templates)


# --- after-sales tickets (ticket_svc): a support agent on duty at the vendor and at provider A
SUPPORT_AGENTS = [("vendor", "vendor.support"), ("provider_a", "provider-a.support")]


def _load_support_desk(rpc, rpc_uri: str, org_ids: dict[str, str], secret: str) -> list[tuple[str, str, str]]:
    """Idempotent: one support agent per delivering organisation, on duty; the vendor serves
    08:00-22:00 every day (TKT-2 allows longer hours than 09:00-18:00 on working days)."""
    logins = []
    for key, login in SUPPORT_AGENTS:
        admin = Actor("demo-loader", org_ids[key], "isv", ("vendor_admin", "provider_admin"))
        with _as(rpc_uri, admin) as own:
            if not own.identity.list_users({"q": login, "role": "support_agent"})["items"]:
                created = own.identity.create_user({"login_name": login, "display_name": f"{login} (客服)",
                                                    "roles": ["support_agent"]})
                _ensure_password(rpc, rpc_uri, login, created["password"], secret)
            if key == "vendor":
                own.ticket.set_service_hours({"start": "08:00:00", "end": "22:00:00", "every_day": True})
        agent = decode_access_token(rpc.identity.login(login, DEMO_PASSWORD, "demo-loader")["access_token"],
                                    secret).actor
        with _as(rpc_uri, agent) as own:
            own.ticket.go_on_duty()
        logins.append((login, DEMO_PASSWORD, f"support agent of {key} (on duty; tickets)"))
    return logins


# --- the supplier money chain (billing_svc): the demo customer onboarded, subscribed to a vendor product
BILLING_PRODUCT = {"code": "CMCC-1G-NATION", "name": "全国流量 1GB", "face_value": 3000, "price": 2850,
                   "currency": "CNY"}


def _load_billing(rpc_uri: str, org_ids: dict[str, str], supplier_url: str | None = None) -> None:
    """Idempotent: agreements signed and confirmed, the vendor's top-up product approved for the
    customer with a credit limit of 1,000.00 CNY, and (with ``supplier_url``) the vendor's
    fulfilment system and its order report at that supplier system."""
    vendor = Actor("demo-loader", org_ids["vendor"], "isv", ("vendor_admin",))
    customer = Actor("demo-loader", org_ids["customer"], "customer", ("customer",))
    operator = Actor("demo-loader", "platform", "operator", ("platform_operator",))
    with _as(rpc_uri, vendor) as sup, _as(rpc_uri, customer) as cust, _as(rpc_uri, operator) as op:
        cust.billing.sign_agreements({"platform_agreement": True, "withholding_agreement": True,
                                      "payment_account": "alipay-ent-demo-customer"})
        op.billing.confirm_customer(org_ids["customer"])
        found = sup.billing.list_products({"code": BILLING_PRODUCT["code"]})["items"]
        product = found[0] if found else sup.billing.publish_product(
            {**BILLING_PRODUCT, "visible_to": [org_ids["customer"]]})
        subscription = cust.billing.request_subscriptions({"product_ids": [product["id"]]})["items"][0]
        if subscription["status"] == "requested":
            sup.billing.decide_subscription(subscription["id"], {"approve": True})
        sup.billing.set_credit_limit(org_ids["customer"], {"limit": 100_000})
        if supplier_url:
            sup.billing.set_fulfilment_url({"fulfilment_url": f"{supplier_url}/orders",
                                            "report_url": f"{supplier_url}/reports"})


# --- service-flow templates (template_svc): products on the three public templates and a vendor's own flow
FLOW_PRODUCTS = [
    {"product_id": "prod-self-service", "code": "SELF-SVC", "name": "Self-delivered setup",
     "template_id": "tpl-public-self-service"},
    {"product_id": "prod-sub-account", "code": "SUB-ACCT", "name": "Managed deployment by engineers",
     "template_id": "tpl-public-sub-account"},
    {"product_id": "prod-outsourced", "code": "OUTSRC", "name": "Outsourced implementation",
     "template_id": "tpl-public-department"},
]
VENDOR_FLOW_NAME = "Demo Vendor delivery (sub-account auto dispatch)"


def _load_flow_templates(rpc_uri: str, org_ids: dict[str, str]) -> dict[str, str]:
    """Idempotent: the vendor's copy of the public sub-account flow, published and approved, and
    one demo product per public template."""
    vendor = Actor("demo-loader", org_ids["vendor"], "isv", ("vendor_admin",))
    operator = Actor("demo-loader", "platform", "operator", ("platform_operator",))
    with _as(rpc_uri, vendor) as own, _as(rpc_uri, operator) as op:
        found = own.template.list_templates({"owner": "own", "name": VENDOR_FLOW_NAME})["items"]
        if found:
            template = found[0]
        else:
            template = own.template.copy_template("tpl-public-sub-account")
            own.template.update_template(template["id"], {"name": VENDOR_FLOW_NAME, "nodes": template["nodes"]})
        if template.get("approved_version") is None:
            if template.get("status") in (None, "draft"):
                template = own.template.publish_template(template["id"])  # a first publish is approved
            if template.get("approved_version") is None:
                op.template.approve_version(template["id"], 1)
        for product in FLOW_PRODUCTS:
            own.template.save_product(product)
    return {"vendor_flow": template["id"], **{p["product_id"]: p["template_id"] for p in FLOW_PRODUCTS}}


def _wait_for_project_flows(rpc, product_ids: list[str], timeout: float = 30.0) -> None:
    """project_svc keeps each product's flow from template_svc's product_template_bound events;
    purchases right after loading need it there (bounded; a missing one is reported, not waited
    for forever)."""
    import time

    deadline = time.monotonic() + timeout
    waiting = list(product_ids)
    while waiting and time.monotonic() < deadline:
        waiting = [p for p in waiting if not rpc.project.knows_product(p)]
        if waiting:
            time.sleep(0.2)
    if waiting:
        raise RuntimeError(f"project_svc did not receive the flows of {waiting} within {timeout:g}s")


# --- delivery projects (project_svc): a few purchases of the demo customer, for `make run` only
# (the test stack starts without projects, so that tests count their own)
DEMO_PURCHASES = [("DEMO-ORD-0001", "prod-erp-install"), ("DEMO-ORD-0002", "prod-erp-install"),
                  ("DEMO-ORD-0003", "prod-erp-install"), ("DEMO-ORD-0004", "prod-site-design"),
                  ("DEMO-ORD-0005", "prod-self-service"), ("DEMO-ORD-0006", "prod-sub-account"),
                  ("DEMO-ORD-0007", "prod-outsourced")]


def load_projects(rpc_uri: str, loaded: Demo) -> list[str]:
    """Idempotent (one project per order id): the marketplace's purchases for the demo customer;
    dispatch then assigns their providers. Returns the order ids."""
    operator = Actor("demo-loader", "platform", "operator", ("platform_operator",))
    with _as(rpc_uri, operator) as marketplace:
        for order_id, product_id in DEMO_PURCHASES:
            marketplace.project.create_from_purchase({"order_id": order_id, "product_id": product_id,
                                                      "customer_id": loaded.org_ids["customer"]})
    return [order_id for order_id, _ in DEMO_PURCHASES]


def main() -> int:
    """``python -m deploy.demo``: load the demo data into a running stack (compose's one-shot ``demo``
    job). Reads AMQP_URI, JWT_SECRET and DEMO_SUPPLIER_URL (the supplier peer) from the environment."""
    import os
    import sys

    amqp_uri, secret = os.environ["AMQP_URI"], os.environ["JWT_SECRET"]
    with ClusterRpcClient(uri=amqp_uri, timeout=60) as rpc:
        loaded = load(rpc, amqp_uri, secret, os.environ.get("DEMO_SUPPLIER_URL") or None)
    loaded.orders = load_projects(amqp_uri, loaded)
    sys.stdout.write("demo data loaded: log-ins " + ", ".join(login for login, _, _ in loaded.logins)
                     + f" (password {DEMO_PASSWORD}); projects " + ", ".join(loaded.orders) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
