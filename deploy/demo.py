"""Demo data for a local run: a public flow template, two products, provider configuration.

Idempotent: loading it twice changes nothing.
"""
from __future__ import annotations

from nameko.exceptions import RemoteError

from platform_kit.errors import NotFound

DEMO_VENDOR = "isv-demo-vendor"
DEMO_PROVIDERS = ("isv-demo-provider-a", "isv-demo-provider-b")
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
     "providers": [{"provider_id": DEMO_PROVIDERS[0], "weight": 20, "max_held": 100},
                   {"provider_id": DEMO_PROVIDERS[1], "weight": 30, "max_held": 100}]},
    {"product_id": "prod-site-design", "product_code": "WEB-DSGN", "product_name": "Website design",
     "providers": []},
]


def load(rpc) -> list[str]:
    """Load the demo data through the services' RPC interfaces; return lines to show the user."""
    lines = []
    template_id = None
    for product in PRODUCTS:
        try:
            flow = rpc.template.get_product_flow(product["product_id"])
            template_id = flow["template_id"]
        except (NotFound, RemoteError):
            if template_id is None:
                template_id = rpc.template.create_template(
                    {"name": "Standard delivery (sub-account auto dispatch)", "nodes": STANDARD_FLOW})["template_id"]
            rpc.template.bind_product({"product_id": product["product_id"], "vendor_id": DEMO_VENDOR,
                                       "product_code": product["product_code"],
                                       "product_name": product["product_name"], "template_id": template_id})
        rpc.dispatch.set_product_providers({"product_id": product["product_id"], "vendor_id": DEMO_VENDOR,
                                            "providers": product["providers"]})
        lines.append(f"product {product['product_id']} ({product['product_name']}), "
                     f"{len(product['providers']) or 'no'} provider(s) configured")
    return lines
