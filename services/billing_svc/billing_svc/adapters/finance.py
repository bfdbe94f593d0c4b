"""Reads of the ledger for finance (BIL-14) and the stored reconciliation mismatches (BIL-11).

Read-only over the ledger's tables: balances as posted, transfers with their postings, a balance
as of an instant (the sum of the postings that had taken effect then). A party's scope is the
accounts whose id names its organisation (``money.owners``), expressed here as id patterns.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from billing_svc.adapters.orm import AccountRow, MismatchRow, PostingRow, TransferRow
from platform_kit import paging

# transfers whose postings move balances (a pending hold only reserves; a void moves nothing)
MOVING_KINDS = ("posted", "post_pending")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def owned_by(column, org_id: str):
    """Accounts of ``org_id``: its payment account, its credit at suppliers or theirs to it, its credit line."""
    org = _escape(org_id)
    return or_(*(column.like(pattern, escape="\\") for pattern in (
        f"customer:{org}:%", f"supplier:{org}:%", f"credit_line:{org}:%", f"credit:{org}:%", f"credit:%:{org}:%")))


class FinanceRepository:
    def __init__(self, session: Session):
        self.session = session

    # --- the ledger -------------------------------------------------------------------------

    def accounts(self, *, owner: str | None, currency: str | None, kind: str | None, limit: int,
                 offset: int) -> tuple[list[AccountRow], int]:
        query = select(AccountRow)
        if owner is not None:
            query = query.where(owned_by(AccountRow.id, owner))
        if currency:
            query = query.where(AccountRow.currency == currency)
        if kind:
            query = query.where(AccountRow.id.like(f"{_escape(kind)}:%", escape="\\"))
        total = paging.total(self.session, query)
        rows = self.session.execute(query.order_by(AccountRow.currency, AccountRow.id).limit(limit)
                                    .offset(offset)).scalars().all()
        return list(rows), total

    def account(self, account_id: str) -> AccountRow | None:
        return self.session.get(AccountRow, account_id)

    def transfers(self, *, owner: str | None, account_id: str | None, currency: str | None, kind: str | None,
                  start: datetime | None, end: datetime | None, limit: int,
                  offset: int) -> tuple[list[tuple[TransferRow, list[PostingRow]]], int]:
        """Newest first; each with its postings in order."""
        query = select(TransferRow)
        touching = []
        if owner is not None:
            touching.append(owned_by(PostingRow.account_id, owner))
        if account_id:
            touching.append(PostingRow.account_id == account_id)
        if touching:
            query = query.where(exists().where(and_(PostingRow.transfer_id == TransferRow.id, *touching)))
        if currency:
            query = query.where(TransferRow.currency == currency)
        if kind:
            query = query.where(TransferRow.kind == kind)
        if start is not None:
            query = query.where(TransferRow.at >= start)
        if end is not None:
            query = query.where(TransferRow.at < end)
        total = paging.total(self.session, query)
        rows = self.session.execute(query.order_by(TransferRow.at.desc(), TransferRow.id).limit(limit)
                                    .offset(offset)).scalars().all()
        postings: dict[str, list[PostingRow]] = {r.id: [] for r in rows}
        if rows:
            for p in self.session.execute(select(PostingRow).where(PostingRow.transfer_id.in_(list(postings)))
                                          .order_by(PostingRow.transfer_id, PostingRow.position)).scalars():
                postings[p.transfer_id].append(p)
        return [(r, postings[r.id]) for r in rows], total

    def balance_at(self, account_id: str, at: datetime) -> int:
        """The sum of the account's postings that had taken effect at ``at`` (inclusive)."""
        return self.session.execute(
            select(func.coalesce(func.sum(PostingRow.amount), 0))
            .join(TransferRow, TransferRow.id == PostingRow.transfer_id)
            .where(PostingRow.account_id == account_id, TransferRow.kind.in_(MOVING_KINDS), TransferRow.at <= at)
        ).scalar_one()

    # --- reconciliation mismatches -----------------------------------------------------------

    def record_mismatches(self, day: date, mismatches: list[dict], now: datetime) -> dict[tuple, MismatchRow]:
        """Each mismatch once per day, source, reference and problem (a mismatch found again keeps its
        resolution); returns the stored rows by that key."""
        for m in mismatches:
            self.session.execute(pg_insert(MismatchRow).values(
                id=str(uuid.uuid4()), day=day, source=m["source"], reference=str(m["reference"]),
                problem=m["problem"], ledger=m.get("ledger"), theirs=m.get("theirs"), found_at=now,
                status="open").on_conflict_do_nothing(index_elements=["day", "source", "reference", "problem"]))
        rows = self.session.execute(select(MismatchRow).where(MismatchRow.day == day)).scalars().all()
        return {(r.source, r.reference, r.problem): r for r in rows}

    def mismatches(self, *, day: date | None, status: str | None, source: str | None, limit: int,
                   offset: int) -> tuple[list[MismatchRow], int]:
        query = select(MismatchRow)
        for column, value in ((MismatchRow.day, day), (MismatchRow.status, status), (MismatchRow.source, source)):
            if value is not None:
                query = query.where(column == value)
        total = paging.total(self.session, query)
        rows = self.session.execute(query.order_by(MismatchRow.day.desc(), MismatchRow.found_at.desc(),
                                                   MismatchRow.id).limit(limit).offset(offset)).scalars().all()
        return list(rows), total

    def mismatch(self, mismatch_id: str, *, for_update: bool = False) -> MismatchRow | None:
        return self.session.get(MismatchRow, mismatch_id, with_for_update=for_update)
