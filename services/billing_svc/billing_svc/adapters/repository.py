"""Loads and saves billing's aggregates; the only place that knows its tables and locks.

Locks: an order, a customer, a routing cursor and the ledger accounts a use case touches are
taken ``FOR UPDATE``; ledger accounts always in id order, so two transactions touching the same
accounts never deadlock.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from billing_svc.adapters.orm import (
    AccountRow,
    CustomerRow,
    HoldRow,
    KnownProjectRow,
    OrderRow,
    PostingRow,
    PriceLockRow,
    ProductRow,
    ProjectProgressRow,
    RoutingCursorRow,
    StagedContractRow,
    SubscriptionRow,
    SupplierRow,
    TransferRow,
)
from billing_svc.domain.catalogue import APPROVED, PriceLock, Product, Subscription
from billing_svc.domain.ledger import Account, Hold, Ledger, Posting, Transfer
from billing_svc.domain.orders import Order, PaymentStep, Refund
from billing_svc.domain.parties import Customer
from billing_svc.domain.stages import Stage, StagedContract
from platform_kit import paging


def _fields(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


_ORDER_SORTS = {"created_at": OrderRow.created_at, "amount": OrderRow.amount}


class _Loaded(dict):
    """The rows a unit of work loaded, held strongly: the session's identity map holds them weakly,
    so without this saving an aggregate would SELECT its row again before the UPDATE (a round
    trip per save, the largest part of the ledger's cost)."""

    def keep(self, key, row):
        self[key] = row
        return row


class _Simple:
    """Aggregates stored in one row with the same field names."""
    row: type
    model: type

    def __init__(self, session: Session):
        self.session = session
        self._rows = _Loaded()

    def get(self, id_: str, *, for_update: bool = False):
        row = self.session.get(self.row, id_, with_for_update=for_update, populate_existing=for_update)
        return None if row is None else self._to_domain(self._rows.keep(id_, row))

    def add(self, obj) -> None:
        self.session.add(self._rows.keep(obj.id, self.row(**self._to_row(obj))))
        self.session.flush()

    def save(self, obj) -> None:
        row = self._rows.get(obj.id) or self.session.get(self.row, obj.id)
        for name, value in self._to_row(obj).items():
            setattr(row, name, value)
        self.session.flush()

    def _to_row(self, obj) -> dict:
        return {f: getattr(obj, f) for f in _fields(self.model)}

    def _to_domain(self, row):
        return self.model(**{f: getattr(row, f) for f in _fields(self.model)})


class CustomerRepository(_Simple):
    row, model = CustomerRow, Customer

    def get_or_new(self, customer_id: str, *, for_update: bool = True) -> Customer:
        self.session.execute(pg_insert(CustomerRow).values(id=customer_id).on_conflict_do_nothing())
        return self.get(customer_id, for_update=for_update)


class SupplierRepository:
    def __init__(self, session: Session):
        self.session = session

    def fulfilment_url(self, supplier_id: str) -> str | None:
        row = self.session.get(SupplierRow, supplier_id)
        return row.fulfilment_url if row else None

    def set_fulfilment_url(self, supplier_id: str, url: str | None, report_url: str | None = None) -> None:
        stmt = pg_insert(SupplierRow).values(id=supplier_id, fulfilment_url=url, report_url=report_url)
        self.session.execute(stmt.on_conflict_do_update(index_elements=["id"],
                                                        set_={"fulfilment_url": url, "report_url": report_url}))

    def report_urls(self, supplier_ids: list[str]) -> dict[str, str | None]:
        """Each supplier's order-report URL (None: it has not configured one)."""
        rows = self.session.execute(select(SupplierRow.id, SupplierRow.report_url)
                                    .where(SupplierRow.id.in_(supplier_ids))).all()
        found = dict(rows)
        return {s: found.get(s) for s in supplier_ids}


class ProductRepository(_Simple):
    row, model = ProductRow, Product

    def by_ids(self, ids: list[str]) -> dict[str, Product]:
        rows = self.session.execute(select(ProductRow).where(ProductRow.id.in_(ids))).scalars()
        return {r.id: self._to_domain(r) for r in rows}

    def list(self, *, supplier_id: str | None = None, visible_to: str | None = None, code: str | None = None,
             limit: int = 50, offset: int = 0) -> tuple[list[Product], int]:
        query = select(ProductRow)
        if supplier_id:
            query = query.where(ProductRow.supplier_id == supplier_id)
        if visible_to:
            query = query.where(ProductRow.visible_to.contains([visible_to]), ProductRow.listed.is_(True))
        if code:
            query = query.where(ProductRow.code == code)
        total = paging.total(self.session, query)
        rows = self.session.execute(query.order_by(ProductRow.code, ProductRow.id).limit(limit).offset(offset))
        return [self._to_domain(r) for r in rows.scalars()], total


class SubscriptionRepository(_Simple):
    row, model = SubscriptionRow, Subscription

    def add_if_new(self, subscription: Subscription) -> Subscription:
        """One subscription per customer and product; asking again returns the existing one."""
        self.session.execute(pg_insert(SubscriptionRow).values(**self._to_row(subscription))
                             .on_conflict_do_nothing(index_elements=["customer_id", "product_id"]))
        row = self.session.execute(select(SubscriptionRow).where(
            SubscriptionRow.customer_id == subscription.customer_id,
            SubscriptionRow.product_id == subscription.product_id)).scalar_one()
        return self._to_domain(row)

    def of_product(self, product_id: str, status: str = APPROVED) -> list[Subscription]:
        rows = self.session.execute(select(SubscriptionRow).where(SubscriptionRow.product_id == product_id,
                                                                 SubscriptionRow.status == status)).scalars()
        return [self._to_domain(r) for r in rows]

    def usable(self, customer_id: str, product_code: str) -> list[Subscription]:
        rows = self.session.execute(
            select(SubscriptionRow).join(ProductRow, ProductRow.id == SubscriptionRow.product_id).where(
                SubscriptionRow.customer_id == customer_id, SubscriptionRow.product_code == product_code,
                SubscriptionRow.status == APPROVED, ProductRow.listed.is_(True), ProductRow.suspended.is_(False))
        ).scalars()
        return [self._to_domain(r) for r in rows]

    def list(self, *, customer_id: str | None = None, supplier_id: str | None = None, status: str | None = None,
             limit: int = 50, offset: int = 0) -> tuple[list[Subscription], int]:
        query = select(SubscriptionRow)
        for column, value in ((SubscriptionRow.customer_id, customer_id), (SubscriptionRow.supplier_id, supplier_id),
                              (SubscriptionRow.status, status)):
            if value is not None:
                query = query.where(column == value)
        total = paging.total(self.session, query)
        rows = self.session.execute(query.order_by(SubscriptionRow.requested_at.desc(), SubscriptionRow.id)
                                    .limit(limit).offset(offset)).scalars()
        return [self._to_domain(r) for r in rows], total


class RoutingRepository:
    def __init__(self, session: Session):
        self.session = session

    def take_cursor(self, customer_id: str, product_code: str) -> int:
        """The cursor, locked until commit: replicas take turns one after the other (BIL-4)."""
        self.session.execute(pg_insert(RoutingCursorRow).values(customer_id=customer_id, product_code=product_code,
                                                                cursor=0).on_conflict_do_nothing())
        return self.session.execute(select(RoutingCursorRow.cursor).where(
            RoutingCursorRow.customer_id == customer_id, RoutingCursorRow.product_code == product_code
        ).with_for_update()).scalar_one()

    def set_cursor(self, customer_id: str, product_code: str, cursor: int) -> None:
        row = self.session.get(RoutingCursorRow, (customer_id, product_code))
        row.cursor = cursor


class PriceLockRepository:
    def __init__(self, session: Session):
        self.session = session

    def in_force(self, now: datetime) -> PriceLock | None:
        """BIL-8: the lock in force at ``now`` (the latest set, when several cover it); a lock
        scheduled to start later leaves the current one in force."""
        row = self.session.execute(
            select(PriceLockRow).where(PriceLockRow.starts_at <= now, PriceLockRow.ends_at > now)
            .order_by(PriceLockRow.id.desc()).limit(1)).scalar_one_or_none()
        return None if row is None else PriceLock(row.starts_at, row.ends_at)

    def set(self, lock: PriceLock, by: str) -> None:
        self.session.add(PriceLockRow(starts_at=lock.starts_at, ends_at=lock.ends_at, set_by=by))


class OrderRepository:
    def __init__(self, session: Session):
        self.session = session
        self._rows = _Loaded()

    def add_if_new(self, order: Order) -> Order | None:
        """Insert unless the customer used this idempotency key before; returns the earlier order then."""
        inserted = self.session.execute(
            pg_insert(OrderRow).values(**self._to_row(order))
            .on_conflict_do_nothing(index_elements=["customer_id", "idempotency_key"]).returning(OrderRow.id)
        ).scalar_one_or_none()
        if inserted is not None:
            return None
        return self.by_key(order.customer_id, order.idempotency_key)

    def by_key(self, customer_id: str, key: str) -> Order | None:
        row = self.session.execute(select(OrderRow).where(OrderRow.customer_id == customer_id,
                                                          OrderRow.idempotency_key == key)).scalar_one_or_none()
        return None if row is None else self._to_domain(self._rows.keep(row.id, row))

    def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        row = self.session.get(OrderRow, order_id, with_for_update=for_update, populate_existing=for_update)
        return None if row is None else self._to_domain(self._rows.keep(order_id, row))

    def save(self, order: Order) -> None:
        row = self._rows.get(order.id) or self.session.get(OrderRow, order.id)
        for name, value in self._to_row(order).items():
            setattr(row, name, value)
        self.session.flush()

    def stuck(self, limit: int = 50, offset: int = 0) -> tuple[list[Order], int]:
        """Orders with a step stopped for the operator, or still waiting for a supplier that did not
        answer, oldest first (BIL-6)."""
        query = select(OrderRow).where(
            OrderRow.steps.contains([{"status": "stuck"}])
            | ((OrderRow.status == "fulfilling") & (OrderRow.fulfil_attempts > 0)))
        total = paging.total(self.session, query)
        rows = self.session.execute(query.order_by(OrderRow.created_at, OrderRow.id).limit(limit).offset(offset))
        return [self._to_domain(r) for r in rows.scalars()], total

    def failed_withholdings(self, customer_id: str) -> list[Order]:
        rows = self.session.execute(select(OrderRow).where(OrderRow.customer_id == customer_id,
                                                           OrderRow.status == "succeeded")).scalars()
        return [o for o in map(self._to_domain, rows) if o.withholding == "failed"]

    def list(self, *, customer_id: str | None = None, supplier_id: str | None = None, status: str | None = None,
             day_from: datetime | None = None, day_to: datetime | None = None, sort: str = "-created_at",
             limit: int = 50, offset: int = 0) -> tuple[list[Order], int]:
        query = select(OrderRow)
        for column, value in ((OrderRow.customer_id, customer_id), (OrderRow.supplier_id, supplier_id),
                              (OrderRow.status, status)):
            if value is not None:
                query = query.where(column == value)
        if day_from is not None:
            query = query.where(OrderRow.created_at >= day_from)
        if day_to is not None:
            query = query.where(OrderRow.created_at < day_to)
        total = paging.total(self.session, query)
        query = query.order_by(*paging.order_by(_ORDER_SORTS, sort, OrderRow.id))
        rows = self.session.execute(query.limit(limit).offset(offset)).scalars()
        return [self._to_domain(r) for r in rows], total

    @staticmethod
    def _to_row(order: Order) -> dict:
        values = {f: getattr(order, f) for f in _fields(Order) if f not in ("steps", "refunds")}
        values["steps"] = [dataclasses.asdict(s) for s in order.steps]
        values["refunds"] = [{**dataclasses.asdict(r), "requested_at": r.requested_at.isoformat()}
                             for r in order.refunds]
        return values

    @staticmethod
    def _to_domain(row: OrderRow) -> Order:
        order = Order(**{f: getattr(row, f) for f in _fields(Order)
                         if f not in ("steps", "refunds", "operator_actions")})
        # a copy: appending to the row's own list would change it unseen (no UPDATE is issued)
        order.operator_actions = [dict(a) for a in row.operator_actions or []]
        order.steps = [PaymentStep(**s) for s in row.steps]
        order.refunds = [Refund(**{**r, "requested_at": datetime.fromisoformat(r["requested_at"])})
                         for r in row.refunds]
        return order


class LedgerRepository:
    """Loads the part of the ledger a use case touches (accounts locked) and saves new transfers."""

    def __init__(self, session: Session):
        self.session = session
        self._rows = _Loaded()
        self._loaded: dict[str, tuple[int, int]] = {}    # account id -> (balance, pending) as read

    def open_accounts(self, accounts: list[Account]) -> None:
        """Open accounts that do not exist yet (existing ones keep their balances and floors)."""
        for account in accounts:
            self.session.execute(pg_insert(AccountRow).values(
                id=account.id, currency=account.currency, floor=account.floor, balance=0, pending=0,
            ).on_conflict_do_nothing())

    def set_floor(self, account_id: str, floor: int | None) -> None:
        row = self.session.get(AccountRow, account_id, with_for_update=True)
        row.floor = floor

    def load(self, account_ids: list[str], keys: list[str] = (), hold_ids: list[str] = (),
             lock: list[str] | None = None) -> Ledger:
        """The accounts (``lock``: those read under a row lock, in id order; None: all of them), the
        transfers already made under ``keys`` and the holds. ``save`` moves balances by what
        changed in memory (``balance = balance + x``), so an account read without a lock is never
        overwritten with a stale value: only an account whose floor is checked must be locked."""
        wanted_ids = sorted(set(account_ids))
        locked = wanted_ids if lock is None else sorted(set(lock) & set(wanted_ids))
        rows = list(self.session.execute(select(AccountRow).where(AccountRow.id.in_(locked))
                                         .order_by(AccountRow.id).with_for_update()
                                         .execution_options(populate_existing=True)).scalars()) if locked else []
        free = [i for i in wanted_ids if i not in locked]
        if free:
            rows += self.session.execute(select(AccountRow).where(AccountRow.id.in_(free))
                                         .execution_options(populate_existing=True)).scalars().all()
        for row in rows:
            self._loaded[row.id] = (row.balance, row.pending)
        ledger = Ledger(accounts={r.id: Account(r.id, r.currency, r.floor, r.balance, r.pending) for r in rows})
        for row in (self.session.execute(select(TransferRow).where(TransferRow.key.in_(list(keys)))).scalars()
                    if keys else ()):
            ledger.by_key[row.key] = self._transfer(row)
        wanted = [h for h in hold_ids if h]
        # each query is a round trip: none is made for nothing (the ledger's rate is its round trips)
        for row in self.session.execute(select(HoldRow).where(HoldRow.id.in_(wanted))).scalars() if wanted else ():
            self._rows.keep(("hold", row.id), row)
            ledger.holds[row.id] = Hold(row.id, tuple(Posting(a, n) for a, n in row.postings), row.currency,
                                        row.status)
        return ledger

    def save(self, ledger: Ledger) -> None:
        for transfer in ledger.new_transfers:
            self.session.add(TransferRow(id=transfer.id, key=transfer.key, kind=transfer.kind,
                                         currency=transfer.currency, pending_id=transfer.pending_id,
                                         at=transfer.at, memo=transfer.memo))
            for position, p in enumerate(transfer.postings):
                self.session.add(PostingRow(transfer_id=transfer.id, account_id=p.account_id, amount=p.amount,
                                            position=position))
            if transfer.kind == "pending":
                self.session.add(HoldRow(id=transfer.id, status="pending", currency=transfer.currency,
                                         postings=[[p.account_id, p.amount] for p in transfer.postings]))
        self.session.flush()
        for transfer in ledger.new_transfers:
            if transfer.pending_id:
                hold = self._rows.get(("hold", transfer.pending_id)) or self.session.get(HoldRow, transfer.pending_id)
                hold.status = ledger.holds[transfer.pending_id].status
        self.session.flush()
        # in id order, as the locks at load: the accounts locked there (credit:, clearing) sort before
        # the others a step touches, so two steps never wait for each other's rows crosswise
        for account in sorted(ledger.accounts.values(), key=lambda a: a.id):
            balance, pending = self._loaded.get(account.id, (account.balance, account.pending))
            if (account.balance, account.pending) != (balance, pending):
                self.session.execute(update(AccountRow).where(AccountRow.id == account.id).values(
                    balance=AccountRow.balance + (account.balance - balance),
                    pending=AccountRow.pending + (account.pending - pending)))
                self._loaded[account.id] = (account.balance, account.pending)
        ledger.new_transfers = []

    def accounts(self, prefix: str) -> list[Account]:
        rows = self.session.execute(select(AccountRow).where(AccountRow.id.startswith(prefix))
                                    .order_by(AccountRow.id)).scalars()
        return [Account(r.id, r.currency, r.floor, r.balance, r.pending) for r in rows]

    def transfers_between(self, start: datetime, end: datetime) -> list[Transfer]:
        rows = self.session.execute(select(TransferRow).where(TransferRow.at >= start, TransferRow.at < end)
                                    .order_by(TransferRow.at, TransferRow.id)).scalars().all()
        return [self._transfer(r) for r in rows]

    def _transfer(self, row: TransferRow) -> Transfer:
        postings = self.session.execute(select(PostingRow).where(PostingRow.transfer_id == row.id)
                                        .order_by(PostingRow.position)).scalars()
        return Transfer(row.id, row.key, row.kind, row.currency, tuple(Posting(p.account_id, p.amount)
                                                                         for p in postings),
                        row.at, row.pending_id, row.memo)


class StagedContractRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, contract: StagedContract) -> None:
        self.session.add(StagedContractRow(**self._to_row(contract)))
        self.session.flush()

    def get(self, contract_id: str, *, for_update: bool = False) -> StagedContract | None:
        row = self.session.get(StagedContractRow, contract_id, with_for_update=for_update,
                               populate_existing=for_update)
        return None if row is None else self._to_domain(row)

    def list(self, *, customer_id: str | None = None, supplier_id: str | None = None, status: str | None = None,
             project_id: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[StagedContract], int]:
        query = select(StagedContractRow)
        for column, value in ((StagedContractRow.customer_id, customer_id),
                              (StagedContractRow.supplier_id, supplier_id), (StagedContractRow.status, status),
                              (StagedContractRow.project_id, project_id)):
            if value is not None:
                query = query.where(column == value)
        total = paging.total(self.session, query)
        rows = self.session.execute(query.order_by(StagedContractRow.id).limit(limit).offset(offset)).scalars()
        return [self._to_domain(r) for r in rows], total

    def stuck(self, limit: int = 50, offset: int = 0) -> tuple[list[StagedContract], int]:
        """Contracts with a stage's payment step stopped for the operator (BIL-6, BIL-12)."""
        query = select(StagedContractRow).where(StagedContractRow.stages.contains([{"steps": [{"status": "stuck"}]}]))
        total = paging.total(self.session, query)
        rows = self.session.execute(query.order_by(StagedContractRow.id).limit(limit).offset(offset)).scalars()
        return [self._to_domain(r) for r in rows], total

    def of_project(self, project_id: str) -> list[StagedContract]:
        rows = self.session.execute(select(StagedContractRow).where(StagedContractRow.project_id == project_id)
                                    .order_by(StagedContractRow.id).with_for_update()).scalars()
        return [self._to_domain(r) for r in rows]

    def save(self, contract: StagedContract) -> None:
        row = self.session.get(StagedContractRow, contract.id)
        for name, value in self._to_row(contract).items():
            setattr(row, name, value)
        self.session.flush()

    def project(self, project_id: str) -> dict | None:
        """The project as project_svc's events described it: vendor, customer and provider ids."""
        row = self.session.get(KnownProjectRow, project_id)
        return None if row is None else {"project_id": row.project_id, "vendor_id": row.vendor_id,
                                         "customer_id": row.customer_id, "provider_id": row.provider_id}

    def remember_project(self, project_id: str, vendor_id: str, customer_id: str, provider_id: str | None) -> None:
        """Idempotent; a later event's provider replaces the earlier one (a change of provider)."""
        stmt = pg_insert(KnownProjectRow).values(project_id=project_id, vendor_id=vendor_id, customer_id=customer_id,
                                                 provider_id=provider_id)
        set_ = {"provider_id": stmt.excluded.provider_id} if provider_id else {}
        self.session.execute(stmt.on_conflict_do_update(index_elements=["project_id"], set_=set_) if set_
                             else stmt.on_conflict_do_nothing())

    def progress(self, project_id: str) -> tuple[dict[str, int], list[str]]:
        """(nodes reached: key → index, confirm nodes passed) seen for the project so far."""
        row = self.session.get(ProjectProgressRow, project_id)
        return (dict(row.reached), list(row.accepted)) if row else ({}, [])

    def record_progress(self, project_id: str, node_key: str, node_index: int) -> None:
        stmt = pg_insert(ProjectProgressRow).values(project_id=project_id, reached={node_key: node_index})
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["project_id"],
            set_={"reached": ProjectProgressRow.reached.op("||")(stmt.excluded.reached)}))

    def record_passed(self, project_id: str, node_key: str) -> None:
        stmt = pg_insert(ProjectProgressRow).values(project_id=project_id, reached={}, accepted=[node_key])
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["project_id"],
            set_={"accepted": ProjectProgressRow.accepted.op("||")(stmt.excluded.accepted)}))

    @staticmethod
    def _to_row(contract: StagedContract) -> dict:
        values = {f: getattr(contract, f) for f in _fields(StagedContract) if f != "stages"}
        values["stages"] = [{**dataclasses.asdict(s),
                             "due_at": s.due_at.isoformat() if s.due_at else None,
                             "paid_at": s.paid_at.isoformat() if s.paid_at else None} for s in contract.stages]
        return values

    @staticmethod
    def _to_domain(row: StagedContractRow) -> StagedContract:
        def stage(s: dict) -> Stage:
            # stages stored before stage payments went through the provider have no steps
            return Stage(**{**s, "due_at": datetime.fromisoformat(s["due_at"]) if s["due_at"] else None,
                            "paid_at": datetime.fromisoformat(s["paid_at"]) if s["paid_at"] else None,
                            "steps": [PaymentStep(**step) for step in s.get("steps", [])]})
        values = {f: getattr(row, f) for f in _fields(StagedContract) if f != "stages"}
        return StagedContract(**values, stages=[stage(s) for s in row.stages])
