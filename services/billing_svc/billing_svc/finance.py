"""Use cases for a finance team (BIL-14, BIL-11): the ledger as it can be read, the events of every
money movement, and the reconciliation mismatches with their resolution.

Who sees what: the platform operator (the finance role) every account; a supplier or a customer the
accounts whose id names its organisation, and the transfers touching them. Another party's account
answers as a missing one (ORG-7).
"""
from __future__ import annotations

from datetime import datetime

from billing_svc.domain import money
from billing_svc.domain.orders import PAYOUT, REFUND_COLLECT, REFUND_RETURN, WITHHOLD, PaymentStep
from billing_svc.exceptions import BillingNotFound, NotAllowed, WrongState
from platform_contracts.actor import Actor

OPEN, RESOLVED = "open", "resolved"

# --- the ledger ----------------------------------------------------------------------------------


def _scope(actor: Actor) -> str | None:
    """None: every account (the operator); else the caller's organisation."""
    return None if actor.is_operator else actor.org_id


def account_view(row) -> dict:
    parsed = money.parse_account(row.id)
    available = None if row.floor is None else row.balance - row.pending - row.floor
    return {"account_id": row.id, "kind": parsed["kind"], "currency": row.currency,
            "customer_id": parsed["customer_id"], "supplier_id": parsed["supplier_id"], "balance": row.balance,
            "pending": row.pending, "floor": row.floor, "available": available}


def list_accounts(actor: Actor, query: dict, uow) -> tuple[list[dict], int]:
    """Balances per account and currency (posted ``balance``, ``pending`` reserved by holds)."""
    rows, total = uow.finance.accounts(owner=_scope(actor), currency=query.get("currency"), kind=query.get("kind"),
                                       limit=query["limit"], offset=query["offset"])
    return [account_view(r) for r in rows], total


def list_transactions(actor: Actor, query: dict, uow) -> tuple[list[dict], int]:
    """Transfers with their postings, newest first, filtered by account, currency, kind and time."""
    rows, total = uow.finance.transfers(owner=_scope(actor), account_id=query.get("account_id"),
                                        currency=query.get("currency"), kind=query.get("kind"),
                                        start=query.get("from"), end=query.get("to"), limit=query["limit"],
                                        offset=query["offset"])
    items = [{"id": t.id, "key": t.key, "kind": t.kind, "currency": t.currency, "at": t.at, "memo": t.memo,
              "pending_id": t.pending_id, "postings": [{"account_id": p.account_id, "amount": p.amount}
                                                       for p in postings]} for t, postings in rows]
    return items, total


def balance_at(actor: Actor, account_id: str, at: datetime, uow) -> dict:
    """The account's posted balance as of ``at`` (postings that had taken effect by then)."""
    row = uow.finance.account(account_id)
    if row is None or not (actor.is_operator or actor.org_id in money.owners(account_id)):
        raise BillingNotFound(f"账户 {account_id} 不存在 / Account {account_id} was not found.",
                              {"account_id": ["not found"]})
    return {"account_id": row.id, "currency": row.currency, "at": at,
            "balance": uow.finance.balance_at(account_id, at)}


# --- events of every money movement ----------------------------------------------------------------

def movement_type(step: PaymentStep, succeeded: bool, refund_failed: bool) -> str | None:
    """The event a settled provider step is (a refund's collect failing fails the refund; a return
    that failed is tried again, so it is no event of its own)."""
    if step.kind == WITHHOLD:
        return "withholding_succeeded" if succeeded else "withholding_failed"
    if step.kind == PAYOUT:
        return "payout_paid" if succeeded else "payout_failed"
    if step.kind == REFUND_RETURN and succeeded:
        return "refund_completed"
    if step.kind == REFUND_COLLECT and not succeeded and refund_failed:
        return "refund_failed"
    return None


def money_moved(uow, step: PaymentStep, succeeded: bool, *, customer_id: str, supplier_id: str, currency: str,
                order_id: str | None = None, contract_id: str | None = None, stage_key: str | None = None,
                refund_failed: bool = False) -> None:
    """Emits the movement's event in the transaction that recorded it (once: only when the step was
    settled now). ``movement_id`` is the step's idempotency key, the same as at the provider."""
    event_type = movement_type(step, succeeded, refund_failed)
    if event_type is None:
        return
    uow.emit(event_type, {"movement_id": step.key, "customer_id": customer_id, "supplier_id": supplier_id,
                          "amount": step.amount, "currency": currency, "order_id": order_id,
                          "contract_id": contract_id, "stage_key": stage_key, "refund_id": step.refund_id,
                          "provider_reference": step.provider_ref})


# --- reconciliation mismatches (BIL-11) -----------------------------------------------------------

def _operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise NotAllowed("只有平台运营（财务）可以处理对账差异 / Only the platform operator handles reconciliation.")


def mismatch_view(row) -> dict:
    return {"id": row.id, "day": row.day, "source": row.source, "reference": row.reference,
            "problem": row.problem, "ledger": row.ledger, "theirs": row.theirs, "found_at": row.found_at,
            "status": row.status, "resolution": row.resolution, "resolved_by": row.resolved_by,
            "resolved_at": row.resolved_at}


def store_reconciliation(result: dict, now: datetime, uow) -> dict:
    """Keeps every mismatch found (once per day, source, reference and problem, with what was decided
    about it) and answers each with its id and status."""
    stored = uow.finance.record_mismatches(result["day"], result["mismatches"], now)
    for m in result["mismatches"]:
        row = stored[(m["source"], str(m["reference"]), m["problem"])]
        m.update({"id": row.id, "status": row.status})
    uow.commit()
    return result


def list_mismatches(actor: Actor, query: dict, uow) -> tuple[list[dict], int]:
    _operator(actor)
    rows, total = uow.finance.mismatches(day=query.get("day"), status=query.get("status"),
                                         source=query.get("source"), limit=query["limit"], offset=query["offset"])
    return [mismatch_view(r) for r in rows], total


def resolve_mismatch(actor: Actor, mismatch_id: str, resolution: str, now: datetime, uow) -> dict:
    """Once: a resolved mismatch keeps the first resolution (asking again with the same words
    answers it unchanged; other words are refused)."""
    _operator(actor)
    row = uow.finance.mismatch(mismatch_id, for_update=True)
    if row is None:
        raise BillingNotFound(f"对账差异 {mismatch_id} 不存在 / Mismatch {mismatch_id} was not found.")
    if row.status == RESOLVED:
        if row.resolution == resolution:
            return mismatch_view(row)
        raise WrongState("该对账差异已处理 / The mismatch is already resolved.", {"resolution": ["already resolved"]})
    row.status, row.resolution, row.resolved_by, row.resolved_at = RESOLVED, resolution, actor.user_id, now
    uow.commit()
    return mismatch_view(row)


