"""Which severity tier a customer is entitled to (TKT-8, seed 003 3.1). Pure Python.

The tier comes from the customer's service contract with the provider, which the provider sets:
for a product (every customer of it), for a customer (every product), or for a customer on one
product. The most specific contract wins. A customer may ask for a higher tier on a ticket; it is
a request an agent grants (by re-prioritising), never a choice that sets 7x24 15-minute service.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ticket_svc.domain.sla import TIERS


@dataclass(frozen=True)
class Entitlement:
    provider_id: str
    customer_org_id: str | None     # None: every customer (of the product)
    product_id: str | None          # None: every product (of the customer)
    tier: str


def rank(tier: str | None) -> int:
    """P0 is 0 and most urgent; no tier (ordinary after-sales) ranks after P3."""
    return int(tier[1]) if tier in TIERS else len(TIERS)


def entitled_tier(contracts: Iterable[Entitlement], customer_org_id: str, product_id: str | None) -> str | None:
    """The tier of the most specific contract covering the customer and product, None without one."""
    best: tuple[int, str] | None = None
    for contract in contracts:
        if contract.customer_org_id not in (None, customer_org_id):
            continue
        if contract.product_id is not None and contract.product_id != product_id:
            continue
        specific = (contract.customer_org_id is not None) * 2 + (contract.product_id is not None)
        if best is None or specific > best[0]:
            best = (specific, contract.tier)
    return best[1] if best else None


def is_higher(requested: str | None, entitled: str | None) -> bool:
    return requested is not None and rank(requested) < rank(entitled)
