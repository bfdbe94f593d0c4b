"""BIL-14: which event each settled provider step of an order is (refunds included)."""
from __future__ import annotations

from datetime import UTC, datetime

from billing_svc import finance
from billing_svc.domain.orders import Order
from platform_kit.testing import FakeUnitOfWork

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def settle(uow, order: Order, key: str, succeeded: bool) -> None:
    order.answer(key, succeeded, "pay-1")
    refund = next((r for r in order.refunds if r.id == order.step(key).refund_id), None)
    finance.money_moved(uow, order.step(key), succeeded, customer_id=order.customer_id,
                        supplier_id=order.supplier_id, currency=order.currency, order_id=order.id,
                        refund_failed=refund is not None and refund.status == "failed")


def test_BIL14_an_orders_withholding_payout_and_refunds_are_each_an_event():
    uow = FakeUnitOfWork("billing")
    order = Order("o1", "c", "s", "p", "US-1G", 400, "USD", "k", NOW)
    order.fulfilled(NOW)
    settle(uow, order, "withhold:o1:1", True)
    settle(uow, order, "payout:o1:1", False)           # tried again under a new key
    settle(uow, order, "payout:o1:2", True)
    order.start_refund("r1", 150, "", NOW)
    settle(uow, order, "refund:r1:collect", True)       # the first leg is no event of its own
    settle(uow, order, "refund:r1:return:1", True)
    order.start_refund("r2", 100, "", NOW)
    settle(uow, order, "refund:r2:collect", False)
    uow.commit()
    assert [(e["event_type"], e["data"]["movement_id"]) for e in uow.events] == [
        ("withholding_succeeded", "withhold:o1:1"), ("payout_failed", "payout:o1:1"), ("payout_paid", "payout:o1:2"),
        ("refund_completed", "refund:r1:return:1"), ("refund_failed", "refund:r2:collect")]
    assert {e["data"]["currency"] for e in uow.events} == {"USD"}
    assert uow.events[3]["data"]["refund_id"] == "r1" and uow.events[3]["data"]["amount"] == 150
