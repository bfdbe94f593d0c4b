"""billing_svc entrypoints: load input, open a unit of work, call a handler, dump output."""
from __future__ import annotations

import json
import logging

from billing_svc import finance, handlers
from billing_svc.adapters.callbacks import sync_callback_endpoint
from billing_svc.adapters.dependencies import Outside, SupportedCurrencies
from billing_svc.adapters.finance import FinanceRepository
from billing_svc.adapters.outside import Answer, OutsideUnavailable
from billing_svc.adapters.repository import (
    CustomerRepository,
    LedgerRepository,
    OrderRepository,
    PriceLockRepository,
    ProductRepository,
    RoutingRepository,
    StagedContractRepository,
    SubscriptionRepository,
    SupplierRepository,
)
from billing_svc.domain import notices, statements
from billing_svc.domain.orders import PaymentRequest
from billing_svc.exceptions import BadInput, WrongState
from billing_svc.schemas import (
    AgreementsSchema,
    CreditAccountListSchema,
    CreditLimitSchema,
    CustomerSchema,
    CustomerSettingsSchema,
    DecisionSchema,
    FulfilmentUrlSchema,
    LedgerAccountPageSchema,
    LedgerAccountQuerySchema,
    LedgerBalanceQuerySchema,
    LedgerBalanceSchema,
    LedgerTransactionPageSchema,
    LedgerTransactionQuerySchema,
    MismatchQuerySchema,
    NewProductSchema,
    NewRefundSchema,
    NewStagedContractSchema,
    OrderPageSchema,
    OrderQuerySchema,
    OrderSchema,
    PlacedOrderSchema,
    PlaceOrderSchema,
    PriceLockSchema,
    ProductChangeSchema,
    ProductPageSchema,
    ProductQuerySchema,
    ProductSchema,
    ProviderNoticeSchema,
    ReconcileSchema,
    ReconciliationSchema,
    ResolveMismatchSchema,
    StagedContractPageSchema,
    StagedContractQuerySchema,
    StagedContractSchema,
    StatementLineSchema,
    StatementQuerySchema,
    StatementSchema,
    StepActionSchema,
    StoredMismatchPageSchema,
    StoredMismatchSchema,
    StuckOrderQuerySchema,
    SubscribeSchema,
    SubscriptionListSchema,
    SubscriptionPageSchema,
    SubscriptionQuerySchema,
    SubscriptionSchema,
    SupplierOrderSchema,
    SupplierReportLineSchema,
    SupplierResultSchema,
)
from platform_kit.auth import Caller, require_actor
from platform_kit.calls import ServiceRpc
from platform_kit.clock import utcnow
from platform_kit.consumer import on_event
from platform_kit.contracts import load_data
from platform_kit.db import Database
from platform_kit.errors import ServiceUnavailable, ValidationFailed, rpc
from platform_kit.idempotency import Operation
from platform_kit.scheduling import on_deadline
from platform_kit.service import PlatformService
from platform_kit.validation import load

log = logging.getLogger(__name__)
PROCESSING_RECHECK_SECONDS = 2.0


def _page(items, total, query) -> dict:
    return {"items": items, "total": total, "limit": query["limit"], "offset": query["offset"]}


class BillingService(PlatformService):
    name = "billing"
    db = Database("BILLING_DATABASE_URL", repositories={
        "customers": CustomerRepository, "suppliers": SupplierRepository, "products": ProductRepository,
        "subscriptions": SubscriptionRepository, "routing": RoutingRepository, "price_locks": PriceLockRepository,
        "orders": OrderRepository, "ledger": LedgerRepository, "contracts": StagedContractRepository,
        "finance": FinanceRepository,
    })
    caller = Caller()
    operation = Operation()
    outside = Outside()
    currencies = SupportedCurrencies()
    notify = ServiceRpc("notify")     # the customer's callback URL is a notify webhook endpoint (BIL-9)

    # --- customers and the operator (BIL-2, BIL-8, BIL-9, BIL-10) ---------------------------

    @rpc
    def sign_agreements(self, payload: dict) -> dict:
        """payload: AgreementsSchema (the calling customer). Returns CustomerSchema."""
        body = load(AgreementsSchema(), payload)
        with self.db.unit_of_work() as uow:
            return CustomerSchema().dump(handlers.sign_agreements(require_actor(self.caller), body, utcnow(), uow))

    @rpc
    def update_customer_settings(self, payload: dict) -> dict:
        """payload: CustomerSettingsSchema. A callback URL becomes (or moves, or deletes) the customer's
        webhook endpoint at notify_svc for order_result_ready first, so a URL notify refuses saves
        nothing; ``callback_secret`` is in the answer when the endpoint was created now."""
        body = load(CustomerSettingsSchema(), payload)
        actor = require_actor(self.caller)
        handlers.customer_org(actor)
        secret = sync_callback_endpoint(self.notify, body["callback_url"]) if "callback_url" in body else None
        with self.db.unit_of_work() as uow:
            answer = CustomerSchema().dump(handlers.update_customer_settings(actor, body, uow))
        return {**answer, "callback_secret": secret} if secret else answer

    @rpc
    def get_customer(self, customer_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return CustomerSchema().dump(handlers.get_customer(customer_id, require_actor(self.caller), uow))

    @rpc
    def confirm_customer(self, customer_id: str) -> dict:
        """The operator confirms the customer's withholding binding (BIL-2)."""
        with self.db.unit_of_work() as uow:
            return CustomerSchema().dump(handlers.confirm_customer(customer_id, require_actor(self.caller),
                                                                   utcnow(), uow))

    @rpc
    def set_price_lock(self, payload: dict) -> dict:
        body = load(PriceLockSchema(), payload)
        with self.db.unit_of_work() as uow:
            return PriceLockSchema().dump(handlers.set_price_lock(require_actor(self.caller), body, uow))

    # --- suppliers: catalogue, subscriptions, credit ------------------------------------------

    @rpc
    def set_fulfilment_url(self, payload: dict) -> dict:
        body = load(FulfilmentUrlSchema(), payload)
        with self.db.unit_of_work() as uow:
            return handlers.set_fulfilment_url(require_actor(self.caller), body["fulfilment_url"], uow,
                                               body["report_url"])

    @rpc
    def publish_product(self, payload: dict) -> dict:
        body = load(NewProductSchema(), payload)
        with self.db.unit_of_work() as uow:
            return ProductSchema().dump(handlers.publish_product(require_actor(self.caller), body, uow,
                                                                         self.currencies))

    @rpc
    def update_product(self, product_id: str, payload: dict) -> dict:
        """Emits billing_notification_requested to subscribers on a price change or suspension (BIL-10)."""
        body = load(ProductChangeSchema(), payload)
        with self.db.unit_of_work() as uow:
            return ProductSchema().dump(handlers.update_product(require_actor(self.caller), product_id, body,
                                                                utcnow(), uow))

    @rpc
    def list_products(self, filters: dict) -> dict:
        query = load(ProductQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_products(require_actor(self.caller), query, uow)
        return ProductPageSchema().dump(_page(items, total, query))

    @rpc
    def request_subscriptions(self, payload: dict) -> dict:
        body = load(SubscribeSchema(), payload)
        with self.db.unit_of_work() as uow:
            items = handlers.request_subscriptions(require_actor(self.caller), body["product_ids"], utcnow(), uow)
        return SubscriptionListSchema().dump({"items": items})

    @rpc
    def decide_subscription(self, subscription_id: str, payload: dict) -> dict:
        body = load(DecisionSchema(), payload)
        with self.db.unit_of_work() as uow:
            return SubscriptionSchema().dump(handlers.decide_subscription(
                require_actor(self.caller), subscription_id, body["approve"], utcnow(), uow))

    @rpc
    def change_subscription(self, subscription_id: str, action: str) -> dict:
        with self.db.unit_of_work() as uow:
            return SubscriptionSchema().dump(handlers.change_subscription(
                require_actor(self.caller), subscription_id, action, utcnow(), uow))

    @rpc
    def list_subscriptions(self, filters: dict) -> dict:
        query = load(SubscriptionQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_subscriptions(require_actor(self.caller), query, uow)
        return SubscriptionPageSchema().dump(_page(items, total, query))

    @rpc
    def set_credit_limit(self, customer_id: str, payload: dict) -> dict:
        body = load(CreditLimitSchema(), payload)
        with self.db.unit_of_work() as uow:
            return handlers.set_credit_limit(require_actor(self.caller), customer_id, body["limit"],
                                             body["currency"], uow, self.currencies)

    @rpc
    def credit_accounts(self) -> dict:
        with self.db.unit_of_work() as uow:
            return CreditAccountListSchema().dump({"items": handlers.credit_accounts(require_actor(self.caller), uow)})

    # --- orders and money (BIL-4..BIL-7) --------------------------------------------------------

    @rpc
    def place_order(self, payload: dict) -> dict:
        """payload: PlaceOrderSchema. Returns PlacedOrderSchema. Emits order_result_ready at once
        when the credit is insufficient; otherwise fulfilment runs from a durable deadline."""
        body = load(PlaceOrderSchema(), payload)
        with self.db.unit_of_work() as uow:
            order, created = handlers.place_order(require_actor(self.caller), body, utcnow(), uow, self.currencies)
        return PlacedOrderSchema().dump({"order": order, "created": created})

    @rpc
    def get_order(self, order_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return OrderSchema().dump(handlers.get_order(require_actor(self.caller), order_id, uow))

    @rpc
    def list_orders(self, filters: dict) -> dict:
        query = load(OrderQuerySchema(), filters)
        if query.get("day"):
            query["day_from"], query["day_to"] = handlers._day_bounds(query["day"])
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_orders(require_actor(self.caller), query, uow)
        return OrderPageSchema().dump(_page(items, total, query))

    @rpc
    def export_orders(self, filters: dict) -> dict:
        """The orders list's filters (no paging); returns {"lines": StatementLineSchema rows}."""
        query = load(OrderQuerySchema(), filters)
        if query.get("day"):
            query["day_from"], query["day_to"] = handlers._day_bounds(query["day"])
        with self.db.unit_of_work() as uow:
            lines = handlers.export_orders(require_actor(self.caller), query, uow)
        return {"lines": StatementLineSchema(many=True).dump(lines)}

    @rpc
    def supplier_result(self, order_id: str, payload: dict) -> dict:
        """The supplier's call-back for an order it answered ``processing`` (BIL-4)."""
        body = load(SupplierResultSchema(), payload)
        with self.db.unit_of_work() as uow:
            order = handlers.record_fulfilment(order_id, body["status"] == "succeeded", body["reason"],
                                               body["reference"], utcnow(), uow, supplier=require_actor(self.caller))
        return OrderSchema().dump(order)

    @rpc
    def start_refund(self, order_id: str, payload: dict) -> dict:
        body = load(NewRefundSchema(), payload)
        with self.db.unit_of_work() as uow:
            return OrderSchema().dump(handlers.start_refund(require_actor(self.caller), order_id, body["amount"],
                                                            body["reason"], utcnow(), uow,
                                                            refund_id=self.operation.id(f"refund:{order_id}")))

    @rpc
    def retry_withholdings(self) -> dict:
        with self.db.unit_of_work() as uow:
            orders = handlers.retry_withholdings(require_actor(self.caller), utcnow(), uow)
        return {"retried": [o.id for o in orders]}

    @rpc
    def provider_notice(self, body: str, signature: str | None) -> dict:
        """The payment provider's asynchronous notice, as the gateway received it: the raw body and
        its ``Provider-Signature`` header. Refused (401) unless signed with PAYMENT_NOTICE_SECRET
        within the time window; applied once per notice id (a duplicate changes nothing)."""
        raw = body.encode()
        notices.verify(self.outside.notice_secret, signature, raw, utcnow(), self.outside.notice_tolerance)
        try:
            payload = json.loads(raw)
        except ValueError:
            raise BadInput("The notice body is not JSON.", {"_body": ["expected a JSON object"]}) from None
        notice = load(ProviderNoticeSchema(), payload if isinstance(payload, dict) else {})
        with self.db.unit_of_work() as uow:
            return handlers.apply_provider_notice(notice, utcnow(), uow)

    @on_deadline("billing_fulfil")
    def fulfil(self, order_id: str, payload: dict) -> None:
        """Ask the supplier's system. No usable answer (no URL, a 5xx, a time-out) is asked again
        after a back-off until the budget is spent, then the order fails and its credit is
        released; an order still ``processing`` at its fulfilment deadline fails the same way."""
        policy = self.outside.policy
        with self.db.unit_of_work() as uow:
            found = handlers.fulfilment_request(order_id, utcnow(), uow, policy)
        if found is None:
            return
        order, url = found
        try:
            if not url:
                raise OutsideUnavailable("供应商未配置履约地址（no fulfilment URL configured）")
            answer = self.outside.suppliers.fulfil(url, SupplierOrderSchema().dump(order))
        except OutsideUnavailable as err:
            log.warning("supplier %s did not answer for order %s: %s", order.supplier_id, order_id, err)
            with self.db.unit_of_work() as uow:
                handlers.fulfilment_unanswered(order_id, str(err), utcnow(), uow, policy)
            return
        with self.db.unit_of_work() as uow:
            if answer.final:
                handlers.record_fulfilment(order_id, answer.status == "succeeded", answer.reason, answer.reference,
                                           utcnow(), uow)
            else:
                handlers.fulfilment_processing(order_id, utcnow(), uow, policy)

    @on_deadline("billing_pay")
    def pay(self, order_id: str, payload: dict) -> None:
        """The order's next payment step at the provider (BIL-6). A step without an answer is
        queried; only a step the provider never received is sent (again, with the same key)."""
        policy = self.outside.policy
        with self.db.unit_of_work() as uow:
            found = handlers.next_payment(order_id, uow, utcnow())
        if found is None:
            return
        request = found[0]
        try:
            answer = self._ask_provider(*found)
        except ServiceUnavailable as err:
            # unknown outcome: the step stays 'sent', asked again after a back-off until its budget is spent
            log.warning("payment step %s: %s", request.key, err)
            with self.db.unit_of_work() as uow:
                handlers.payment_unanswered(order_id, request.key, utcnow(), uow, policy)
            return
        with self.db.unit_of_work() as uow:
            if answer.final:
                handlers.record_payment(order_id, request.key, answer.status == "succeeded", answer.reference,
                                        utcnow(), uow, policy)
            else:
                handlers.payment_unanswered(order_id, request.key, utcnow(), uow, policy, processing=True)

    # --- the operator's hand on stuck steps (BIL-6) -------------------------------------------------

    @rpc
    def stuck_orders(self, filters: dict) -> dict:
        """The operator's list: orders with a payment step stopped after its retry budget, or
        waiting for a supplier that does not answer. Returns OrderPageSchema."""
        query = load(StuckOrderQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.stuck_orders(require_actor(self.caller), query, uow)
        return OrderPageSchema().dump(_page(items, total, query))

    @rpc
    def resolve_step(self, order_id: str, payload: dict) -> dict:
        """payload: StepActionSchema (step_key, action retry | fail | void); the operator only.
        Failing or voiding a step that went out asks the provider first: its own final answer, if
        it has one, settles the step instead (never paid twice, never lost). Returns OrderSchema
        with ``changed`` (false: a repeated click, nothing changed)."""
        body = load(StepActionSchema(), payload)
        actor = require_actor(self.caller)
        key, action = body["step_key"], body["action"]
        with self.db.unit_of_work() as uow:
            to_ask = handlers.step_to_resolve(actor, order_id, key, action, uow)
        known = None
        if to_ask is not None:
            try:
                answer = self.outside.provider.query(to_ask)
            except OutsideUnavailable as err:
                raise ServiceUnavailable(f"The payment provider cannot say what became of {key}: {err}") from err
            if answer is not None and not answer.final:
                raise WrongState(f"The payment provider is still executing {key}; it cannot be {action}ed now.",
                                 {"action": ["the provider is still executing this step"]})
            known = None if answer is None else answer.status == "succeeded"
        with self.db.unit_of_work() as uow:
            order, changed = handlers.resolve_step(actor, order_id, key, action, utcnow(), uow,
                                                   self.outside.policy, known)
        return {**OrderSchema().dump(order), "changed": changed}

    @on_deadline("billing_stage_pay")
    def pay_stage_step(self, contract_id: str, payload: dict) -> None:
        """A staged contract's next payment step at the provider (BIL-12), as for an order: a step
        without an answer is asked again after a back-off until its budget or its answer deadline
        is spent, then stops (stuck) for the operator."""
        policy = self.outside.policy
        with self.db.unit_of_work() as uow:
            found = handlers.next_stage_payment(contract_id, uow, utcnow())
        if found is None:
            return
        request = found[0]
        try:
            answer = self._ask_provider(*found)
        except ServiceUnavailable as err:
            log.warning("stage payment step %s: %s", request.key, err)
            with self.db.unit_of_work() as uow:
                handlers.stage_payment_unanswered(contract_id, request.key, utcnow(), uow, policy)
            return
        with self.db.unit_of_work() as uow:
            if answer.final:
                handlers.record_stage_payment(contract_id, request.key, answer.status == "succeeded",
                                              answer.reference, utcnow(), uow, policy)
            else:
                handlers.stage_payment_unanswered(contract_id, request.key, utcnow(), uow, policy, processing=True)

    @rpc
    def stuck_staged_contracts(self, filters: dict) -> dict:
        """The operator's list of staged contracts with a stage's payment step stopped after its
        retry budget or answer deadline. Returns StagedContractPageSchema."""
        query = load(StuckOrderQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.stuck_staged_contracts(require_actor(self.caller), query, uow)
        return StagedContractPageSchema().dump(_page(items, total, query))

    @rpc
    def resolve_stage_step(self, contract_id: str, payload: dict) -> dict:
        """payload: StepActionSchema; the operator only. As ``resolve_step`` for a stage's step:
        failing or voiding a step that went out asks the provider first. Returns
        StagedContractSchema with ``changed``."""
        body = load(StepActionSchema(), payload)
        actor = require_actor(self.caller)
        key, action = body["step_key"], body["action"]
        with self.db.unit_of_work() as uow:
            to_ask = handlers.stage_step_to_resolve(actor, contract_id, key, action, uow)
        known = self._provider_final_answer(to_ask, key, action) if to_ask is not None else None
        with self.db.unit_of_work() as uow:
            contract, changed = handlers.resolve_stage_step(actor, contract_id, key, action, utcnow(), uow,
                                                            self.outside.policy, known)
        return {**StagedContractSchema().dump(contract), "changed": changed}

    def _provider_final_answer(self, key: str, step_key: str, action: str) -> bool | None:
        """What the provider says became of a stuck step before the operator fails or voids it:
        True/False its final answer, None it never received it; 503 unreachable, 422 still executing."""
        try:
            answer = self.outside.provider.query(key)
        except OutsideUnavailable as err:
            raise ServiceUnavailable(f"The payment provider cannot say what became of {step_key}: {err}") from err
        if answer is not None and not answer.final:
            raise WrongState(f"The payment provider is still executing {step_key}; it cannot be {action}ed now.",
                             {"action": ["the provider is still executing this step"]})
        return None if answer is None else answer.status == "succeeded"

    def _ask_provider(self, request: PaymentRequest, must_query: bool) -> Answer:
        """Query a step that went out before; send only one the provider never received."""
        try:
            answer = self.outside.provider.query(request.key) if must_query else None
            return answer if answer is not None else self.outside.provider.pay(request)
        except OutsideUnavailable as err:
            # unknown outcome: the step stays 'sent' and the deadline's retry will query it
            raise ServiceUnavailable(f"payment provider: {err}") from err

    # --- statements and reconciliation (BIL-11) ---------------------------------------------------

    @rpc
    def daily_statement(self, filters: dict) -> dict:
        query = load(StatementQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            return StatementSchema().dump(handlers.daily_statement(require_actor(self.caller), query, uow))

    @rpc
    def reconcile(self, payload: dict) -> dict:
        """The operator's reconciliation of a day: the provider's settlement file against the
        ledger, and every supplier's order report against the orders. A supplier's report is
        fetched from its report URL unless it is posted in ``supplier_reports``."""
        body = load(ReconcileSchema(), payload)
        require_actor(self.caller)
        day = body["day"]
        try:
            settlement = self.outside.provider.settlement(day.isoformat())
        except OutsideUnavailable as err:
            raise ServiceUnavailable(f"The payment provider's settlement file is not available: {err}") from err
        with self.db.unit_of_work() as uow:
            to_fetch = handlers.reports_to_fetch(day, body["supplier_reports"], uow)
        reports, sources = dict(body["supplier_reports"]), {}
        for supplier_id, url in to_fetch.items():
            if url is None:
                sources[supplier_id] = statements.MISSING
                continue
            try:
                lines = self.outside.suppliers.report(url, day.isoformat())
                reports[supplier_id] = load(SupplierReportLineSchema(many=True), lines)
                sources[supplier_id] = statements.FETCHED
            except (OutsideUnavailable, ValidationFailed) as err:
                log.warning("supplier %s: its order report for %s is not usable: %s", supplier_id, day, err)
                sources[supplier_id] = statements.UNAVAILABLE
        with self.db.unit_of_work() as uow:
            result = handlers.reconcile(day, settlement, reports, uow, sources)
            return ReconciliationSchema().dump(finance.store_reconciliation(result, utcnow(), uow))

    @rpc
    def list_mismatches(self, filters: dict) -> dict:
        """Stored reconciliation mismatches with their resolution (operator)."""
        query = load(MismatchQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = finance.list_mismatches(require_actor(self.caller), query, uow)
        return StoredMismatchPageSchema().dump(_page(items, total, query))

    @rpc
    def resolve_mismatch(self, mismatch_id: str, payload: dict) -> dict:
        body = load(ResolveMismatchSchema(), payload)
        with self.db.unit_of_work() as uow:
            return StoredMismatchSchema().dump(finance.resolve_mismatch(require_actor(self.caller), mismatch_id,
                                                                        body["resolution"], utcnow(), uow))

    # --- the ledger for finance (BIL-14) ----------------------------------------------------------

    @rpc
    def ledger_accounts(self, filters: dict) -> dict:
        query = load(LedgerAccountQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = finance.list_accounts(require_actor(self.caller), query, uow)
        return LedgerAccountPageSchema().dump(_page(items, total, query))

    @rpc
    def ledger_transactions(self, filters: dict) -> dict:
        query = load(LedgerTransactionQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = finance.list_transactions(require_actor(self.caller), query, uow)
        return LedgerTransactionPageSchema().dump(_page(items, total, query))

    @rpc
    def ledger_balance(self, filters: dict) -> dict:
        query = load(LedgerBalanceQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            return LedgerBalanceSchema().dump(finance.balance_at(require_actor(self.caller), query["account_id"],
                                                                 query["at"] or utcnow(), uow))

    # --- staged payments (BIL-12) -----------------------------------------------------------------

    @rpc
    def create_staged_contract(self, payload: dict) -> dict:
        body = load(NewStagedContractSchema(), payload)
        with self.db.unit_of_work() as uow:
            return StagedContractSchema().dump(handlers.create_staged_contract(require_actor(self.caller), body,
                                                                               utcnow(), uow, self.currencies))

    @rpc
    def decide_staged_contract(self, contract_id: str, payload: dict) -> dict:
        """The customer accepts or declines a proposed contract; accepting emits payment_stage_due for
        the stages whose milestones already passed."""
        body = load(DecisionSchema(), payload)
        with self.db.unit_of_work() as uow:
            return StagedContractSchema().dump(handlers.decide_staged_contract(
                require_actor(self.caller), contract_id, body["approve"], utcnow(), uow))

    @rpc
    def list_staged_contracts(self, filters: dict) -> dict:
        query = load(StagedContractQuerySchema(), filters)
        with self.db.unit_of_work() as uow:
            items, total = handlers.list_staged_contracts(require_actor(self.caller), query, uow)
        return StagedContractPageSchema().dump(_page(items, total, query))

    @on_event("project", "project_created")
    def handle_project_created(self, event: dict) -> None:
        """Billing's read model of the project's vendor and customer (who may propose and accept)."""
        with self.db.unit_of_work() as uow:
            handlers.project_known(load_data(event), uow)
            uow.commit()

    @rpc
    def get_staged_contract(self, contract_id: str) -> dict:
        with self.db.unit_of_work() as uow:
            return StagedContractSchema().dump(handlers.get_staged_contract(require_actor(self.caller),
                                                                            contract_id, uow))

    @rpc
    def collect_stage(self, contract_id: str, stage_key: str) -> dict:
        """Withhold a due stage from the customer (BIL-12); the payment runs from billing_stage_pay."""
        with self.db.unit_of_work() as uow:
            return StagedContractSchema().dump(handlers.collect_stage(require_actor(self.caller), contract_id,
                                                                      stage_key, utcnow(), uow))

    @on_event("project", "node_reached")
    def handle_node_reached(self, event: dict) -> None:
        """Stages whose milestone the flow passed fall due (emits payment_stage_due)."""
        with self.db.unit_of_work() as uow:
            handlers.node_reached(event, load_data(event), utcnow(), uow)

    @on_event("project", "node_completed")
    def handle_node_completed(self, event: dict) -> None:
        """A passed confirm node accepts its milestone (emits payment_stage_due)."""
        with self.db.unit_of_work() as uow:
            handlers.node_completed(event, load_data(event), utcnow(), uow)

    @on_deadline("billing_stage_overdue")
    def stage_overdue(self, key: str, payload: dict) -> None:
        """Once per overdue period: billing_notification_requested (urgent) until paid."""
        contract_id, _, stage_key = key.partition(":")
        with self.db.unit_of_work() as uow:
            handlers.stage_overdue(contract_id, stage_key, utcnow(), uow)
