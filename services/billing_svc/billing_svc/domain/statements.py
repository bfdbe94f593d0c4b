"""Daily statements and reconciliation (BIL-11). Pure Python."""
from __future__ import annotations

from datetime import date

from billing_svc.domain.ledger import Transfer
from billing_svc.domain.orders import SUCCEEDED, Order

PROVIDER_STEPS = ("withhold:", "payout:", "refund:", "stage:")
FETCHED, POSTED, UNAVAILABLE, MISSING = "fetched", "posted", "unavailable", "missing"


def order_lines(orders: list[Order]) -> list[dict]:
    """One row per order, as statements and exports show them."""
    return [{"order_id": o.id, "created_at": o.created_at, "customer_id": o.customer_id,
             "supplier_id": o.supplier_id, "product_code": o.product_code, "amount": o.amount,
             "currency": o.currency, "status": o.status, "withholding": o.withholding, "paid": o.paid,
             "paid_out": o.paid_out, "refunded": o.refunded} for o in orders]


def totals(orders: list[Order]) -> list[dict]:
    """BIL-13: one row of sums per currency, never a sum across currencies."""
    rows = []
    for currency in sorted({o.currency for o in orders}):
        mine = [o for o in orders if o.currency == currency]
        done = [o for o in mine if o.status == SUCCEEDED]
        rows.append({"currency": currency, "orders": len(mine), "succeeded": len(done),
                     "amount": sum(o.amount for o in done), "paid": sum(o.paid for o in mine),
                     "paid_out": sum(o.paid_out for o in mine), "refunded": sum(o.refunded for o in mine)})
    return rows


def statement(day: date, orders: list[Order]) -> dict:
    """The day's orders and their sums per currency (``totals``); the counts are of all orders."""
    done = [o for o in orders if o.status == SUCCEEDED]
    return {"day": day, "lines": order_lines(orders), "orders": len(orders), "succeeded": len(done),
            "totals": totals(orders)}


def reconcile(transfers: list[Transfer], settlement: list[dict], orders: list[Order],
              supplier_reports: dict[str, list[dict]], sources: dict[str, str] | None = None) -> tuple[int, list[dict]]:
    """Every mismatch between the ledger and the provider's settlement file (by payment key), and
    between the platform's orders and each supplier's order report (by order id).

    ``sources`` says where each report came from; a supplier with orders that day whose report is
    ``unavailable`` or ``missing`` is listed as a mismatch of its own (its orders are unchecked)."""
    mismatches = []
    ours = {t.key: t.amount for t in transfers if t.key.startswith(PROVIDER_STEPS)}
    theirs = {row["key"]: row["amount"] for row in settlement if row.get("status") == "succeeded"}
    for key in sorted(set(ours) | set(theirs)):
        if key not in theirs:
            mismatches.append({"source": "provider", "reference": key, "problem": "missing at the provider",
                               "ledger": ours[key], "theirs": None})
        elif key not in ours:
            mismatches.append({"source": "provider", "reference": key, "problem": "missing in the ledger",
                               "ledger": None, "theirs": theirs[key]})
        elif ours[key] != theirs[key]:
            mismatches.append({"source": "provider", "reference": key, "problem": "amounts differ",
                               "ledger": ours[key], "theirs": theirs[key]})
    checked = len(set(ours) | set(theirs))
    by_id = {o.id: o for o in orders}
    for supplier_id, source in sorted((sources or {}).items()):
        if supplier_id not in supplier_reports:
            mismatches.append({"source": "supplier", "reference": supplier_id,
                               "problem": "report unavailable" if source == UNAVAILABLE else "no report",
                               "ledger": sum(1 for o in orders if o.supplier_id == supplier_id and o.reached_supplier),
                               "theirs": None})
    for supplier_id, report in sorted(supplier_reports.items()):
        reported = {line["order_id"]: line for line in report}
        # an order refused for credit never reached its supplier: its report cannot have it
        mine = {o.id for o in orders if o.supplier_id == supplier_id and o.reached_supplier}
        for order_id in sorted(mine | set(reported)):
            checked += 1
            order, line = by_id.get(order_id), reported.get(order_id)
            if line is None:
                mismatches.append({"source": "supplier", "reference": order_id, "problem": "missing in the report",
                                   "ledger": order.status, "theirs": None})
            elif order is None or order.supplier_id != supplier_id:
                mismatches.append({"source": "supplier", "reference": order_id, "problem": "unknown order",
                                   "ledger": None, "theirs": line["status"]})
            elif (line["status"], line["amount"]) != (order.status, order.amount):
                mismatches.append({"source": "supplier", "reference": order_id, "problem": "status or amount differ",
                                   "ledger": f"{order.status} {order.amount}",
                                   "theirs": f"{line['status']} {line['amount']}"})
    return checked, mismatches
