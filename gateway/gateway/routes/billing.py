"""The supplier money chain (BIL-1..12): agreements, catalogue, subscriptions, credit, orders,
refunds, statements, reconciliation and staged payments.

Suppliers are ISV organisations (their admins act for them) and enterprise customers are
customer organisations; billing_svc checks every object's party again (ORG-7).
"""
from __future__ import annotations

from gateway.api.billing import (
    BillingAgreementsBody,
    BillingCreditAccountList,
    BillingCreditAccountView,
    BillingCreditLimitBody,
    BillingCustomerView,
    BillingFulfilmentUrlBody,
    BillingFulfilmentUrlView,
    BillingLedgerAccountPage,
    BillingLedgerAccountQuery,
    BillingLedgerBalanceQuery,
    BillingLedgerBalanceView,
    BillingLedgerTransactionPage,
    BillingLedgerTransactionQuery,
    BillingMismatchPage,
    BillingMismatchQuery,
    BillingMismatchView,
    BillingNewProductBody,
    BillingNewStagedContractBody,
    BillingNoticeReceipt,
    BillingOrderExportQuery,
    BillingOrderPage,
    BillingOrderQuery,
    BillingOrderView,
    BillingPlacedOrder,
    BillingPlaceOrderBody,
    BillingPriceLockBody,
    BillingProductChangeBody,
    BillingProductPage,
    BillingProductQuery,
    BillingProductView,
    BillingProviderNoticeBody,
    BillingReconcileBody,
    BillingReconciliationExportQuery,
    BillingReconciliationView,
    BillingRefundBody,
    BillingResolveMismatchBody,
    BillingRetriedView,
    BillingSettingsBody,
    BillingStagedContractPage,
    BillingStagedContractQuery,
    BillingStagedContractView,
    BillingStageStepActionView,
    BillingStatementExportQuery,
    BillingStatementQuery,
    BillingStatementView,
    BillingStepActionView,
    BillingStuckOrderQuery,
    BillingSubscribeBody,
    BillingSubscriptionList,
    BillingSubscriptionPage,
    BillingSubscriptionQuery,
    BillingSubscriptionView,
    BillingSupplierResultBody,
)
from gateway.names import add_names
from gateway.routes.tickets import table_response
from gateway.web import JSON, json_response, read_json, read_query, route
from platform_contracts.roles import CUSTOMER_ROLE, PLATFORM_OPERATOR, PROVIDER_ADMIN, VENDOR_ADMIN
from platform_kit.errors import ValidationFailed

# BIL-1: the platform sells as a supplier of its own, so its operator acts as one
SUPPLIER = (VENDOR_ADMIN, PROVIDER_ADMIN, PLATFORM_OPERATOR)
VENDOR = (VENDOR_ADMIN,)
CUSTOMER = (CUSTOMER_ROLE,)
OPERATOR = (PLATFORM_OPERATOR,)
# BIL-14: the platform operator is the finance role; each party reads its own accounts
LEDGER_READERS = tuple(dict.fromkeys((*OPERATOR, *SUPPLIER, *CUSTOMER)))
PARTIES = tuple(dict.fromkeys((*SUPPLIER, *CUSTOMER, *OPERATOR)))
MISMATCH_COLUMNS = ("source", "reference", "problem", "ledger", "theirs")
STATEMENT_COLUMNS = ("order_id", "created_at", "customer_id", "supplier_id", "product_code", "amount", "currency",
                     "status", "withholding", "paid", "paid_out", "refunded")
TAGS = ("billing",)
PARTY_NAMES = {"customer_id": "customer_name", "supplier_id": "supplier_name"}


def with_parties(services, answer: dict, key: str | None = "items") -> dict:
    """The customer's and the supplier's names beside their ids in a row, or in the rows under `key`."""
    add_names(services, answer[key] if key else [answer], PARTY_NAMES, {})
    return answer


class BillingRoutes:
    # --- customers and the operator ----------------------------------------------------------

    @route("POST", "/api/v1/billing/agreements", summary="Sign the platform and withholding agreements",
           tags=TAGS, body=BillingAgreementsBody, response=BillingCustomerView, roles=CUSTOMER, errors=(403,))
    def billing_sign_agreements(self, request):
        """BIL-2. Orders are refused until both are signed, a payment account is bound and the
        operator confirmed it; binding another account needs the confirmation again."""
        return json_response(self.services.billing.sign_agreements(read_json(request, BillingAgreementsBody())))

    @route("PUT", "/api/v1/billing/settings", summary="Set your callback URL and change-notice e-mail",
           tags=TAGS, body=BillingSettingsBody, response=BillingCustomerView, roles=CUSTOMER, errors=(403,))
    def billing_update_settings(self, request):
        """BIL-9 (order results are pushed to the callback URL, signed and retried) and BIL-10
        (price changes and channel suspensions are e-mailed). The callback URL is your webhook
        endpoint for `order_result_ready` (see `/api/v1/webhooks`): setting it the first time
        creates it and the answer carries `callback_secret`, the only time it is shown, which signs
        every push (`X-Platform-Signature`); a new URL moves it, `null` deletes it. A URL the
        webhook rules refuse (not http(s), not resolving, an internal address) is 422 and saves
        nothing."""
        return json_response(self.services.billing.update_customer_settings(read_json(request, BillingSettingsBody())))

    @route("GET", "/api/v1/billing/customers/<customer_id>", summary="A customer's onboarding and blocking state",
           tags=TAGS, response=BillingCustomerView, roles=(*CUSTOMER, *OPERATOR), errors=(404,))
    def billing_get_customer(self, request, customer_id):
        """`blocked` is true while `unpaid` failed withholdings reach `block_threshold` (BIL-7)."""
        return json_response(self.services.billing.get_customer(customer_id))

    @route("POST", "/api/v1/billing/customers/<customer_id>/confirm",
           summary="Confirm a customer's withholding account (operator)", tags=TAGS, response=BillingCustomerView,
           roles=OPERATOR, errors=(404, 422))
    def billing_confirm_customer(self, request, customer_id):
        return json_response(self.services.billing.confirm_customer(customer_id))

    @route("PUT", "/api/v1/billing/price-lock", summary="Set the price-lock period (operator)", tags=TAGS,
           body=BillingPriceLockBody, response=BillingPriceLockBody, roles=OPERATOR, errors=(422,))
    def billing_set_price_lock(self, request):
        """BIL-8. During it suppliers cannot change prices or cancel subscriptions (listing and
        delisting still work); customers cannot cancel or pause subscriptions. A lock that ends
        before it starts answers 422."""
        body = BillingPriceLockBody().dump(read_json(request, BillingPriceLockBody()))
        return json_response(self.services.billing.set_price_lock(body))

    # --- suppliers ------------------------------------------------------------------------------

    @route("PUT", "/api/v1/billing/fulfilment-url", summary="Set your fulfilment system's URL (supplier)",
           tags=TAGS, body=BillingFulfilmentUrlBody, response=BillingFulfilmentUrlView, roles=SUPPLIER, errors=(403,))
    def billing_set_fulfilment_url(self, request):
        """Orders are POSTed there as JSON with an `Idempotency-Key`; answer
        `{"status": "succeeded"|"failed"|"processing"}` and, for processing, call
        `POST /api/v1/billing/orders/{order_id}/result` later. `report_url` serves the supplier's
        daily order report, which the operator's reconciliation fetches (BIL-11)."""
        return json_response(self.services.billing.set_fulfilment_url(read_json(request, BillingFulfilmentUrlBody())))

    @route("POST", "/api/v1/billing/products", summary="Publish a product (supplier)", tags=TAGS,
           body=BillingNewProductBody, response=BillingProductView, status=201, roles=SUPPLIER, errors=(403, 409))
    def billing_publish_product(self, request):
        """BIL-3. Visible to the customer organisations in `visible_to`; prices in minor units. A code
        you already use answers 409."""
        body = read_json(request, BillingNewProductBody())
        return json_response(self.services.billing.publish_product(body), status=201)

    @route("PATCH", "/api/v1/billing/products/<product_id>", summary="Change, list, delist or suspend a product",
           tags=TAGS, body=BillingProductChangeBody, response=BillingProductView, roles=SUPPLIER, errors=(404, 422))
    def billing_update_product(self, request, product_id):
        """BIL-8: a price change during the price lock answers 422 and changes nothing. A price
        change or a suspension is e-mailed to every subscribed customer (BIL-10)."""
        body = read_json(request, BillingProductChangeBody())
        return json_response(self.services.billing.update_product(product_id, body))

    @route("GET", "/api/v1/billing/products", summary="Products: yours, or those offered to you", tags=TAGS,
           query=BillingProductQuery, response=BillingProductPage, roles=PARTIES)
    def billing_list_products(self, request):
        return json_response(with_parties(self.services, self.services.billing.list_products(
            read_query(request, BillingProductQuery()))))

    # --- subscriptions --------------------------------------------------------------------------

    @route("POST", "/api/v1/billing/subscriptions", summary="Request subscriptions to products (customer)",
           tags=TAGS, body=BillingSubscribeBody, response=BillingSubscriptionList, status=201, roles=CUSTOMER,
           errors=(403, 404))
    def billing_request_subscriptions(self, request):
        """BIL-3. One or many at once; each supplier approves or rejects. Asking again for a product
        returns its existing subscription."""
        body = read_json(request, BillingSubscribeBody())
        return json_response(self.services.billing.request_subscriptions(body), status=201)

    @route("GET", "/api/v1/billing/subscriptions", summary="Your subscriptions (or requests to you)", tags=TAGS,
           query=BillingSubscriptionQuery, response=BillingSubscriptionPage, roles=PARTIES)
    def billing_list_subscriptions(self, request):
        return json_response(with_parties(self.services, self.services.billing.list_subscriptions(
            read_query(request, BillingSubscriptionQuery()))))

    @route("POST", "/api/v1/billing/subscriptions/<subscription_id>/approve", summary="Approve a subscription",
           tags=TAGS, response=BillingSubscriptionView, roles=SUPPLIER, errors=(404, 422))
    def billing_approve_subscription(self, request, subscription_id):
        """Opens the customer's credit account with you at limit 0: set it with
        `PUT /api/v1/billing/credit-accounts/{customer_id}`."""
        return json_response(self.services.billing.decide_subscription(subscription_id, {"approve": True}))

    @route("POST", "/api/v1/billing/subscriptions/<subscription_id>/reject", summary="Reject a subscription",
           tags=TAGS, response=BillingSubscriptionView, roles=SUPPLIER, errors=(404, 422))
    def billing_reject_subscription(self, request, subscription_id):
        return json_response(self.services.billing.decide_subscription(subscription_id, {"approve": False}))

    @route("POST", "/api/v1/billing/subscriptions/<subscription_id>/cancel", summary="Cancel a subscription",
           tags=TAGS, response=BillingSubscriptionView, roles=(*SUPPLIER, *CUSTOMER), errors=(404, 422))
    def billing_cancel_subscription(self, request, subscription_id):
        """The customer or the supplier; 422 during the price lock (BIL-8)."""
        return json_response(self.services.billing.change_subscription(subscription_id, "cancel"))

    @route("POST", "/api/v1/billing/subscriptions/<subscription_id>/pause", summary="Pause a subscription",
           tags=TAGS, response=BillingSubscriptionView, roles=CUSTOMER, errors=(403, 404, 422))
    def billing_pause_subscription(self, request, subscription_id):
        """The customer; 422 during the price lock (BIL-8). A paused subscription is not routed to."""
        return json_response(self.services.billing.change_subscription(subscription_id, "pause"))

    @route("POST", "/api/v1/billing/subscriptions/<subscription_id>/resume", summary="Resume a subscription",
           tags=TAGS, response=BillingSubscriptionView, roles=CUSTOMER, errors=(403, 404, 422))
    def billing_resume_subscription(self, request, subscription_id):
        return json_response(self.services.billing.change_subscription(subscription_id, "resume"))

    # --- credit --------------------------------------------------------------------------------

    @route("PUT", "/api/v1/billing/credit-accounts/<customer_id>", summary="Set a customer's credit limit (supplier)",
           tags=TAGS, body=BillingCreditLimitBody, response=BillingCreditAccountView, roles=SUPPLIER, errors=(404,))
    def billing_set_credit_limit(self, request, customer_id):
        """BIL-5. `limit: null` is unlimited. Every order holds its amount until it is paid."""
        return json_response(self.services.billing.set_credit_limit(customer_id, read_json(request,
                                                                                           BillingCreditLimitBody())))

    @route("GET", "/api/v1/billing/credit-accounts", summary="Credit accounts: one per customer and supplier",
           tags=TAGS, response=BillingCreditAccountList, roles=PARTIES)
    def billing_credit_accounts(self, request):
        return json_response(with_parties(self.services, self.services.billing.credit_accounts()))

    # --- orders ----------------------------------------------------------------------------------

    @route("POST", "/api/v1/billing/orders", summary="Place an order by product code (enterprise system)",
           tags=TAGS, body=BillingPlaceOrderBody, response=BillingPlacedOrder, status=201, roles=CUSTOMER,
           errors=(422,), idempotency_required=True,
           responses={200: "The same Idempotency-Key was used before: the order it placed"})
    def billing_place_order(self, request):
        """BIL-4..BIL-7. Needs an `Idempotency-Key` header: the same key returns the first order (200).
        Routed round-robin among the suppliers you subscribe to for the code; the amount is held on
        your credit with that supplier (insufficient credit: the order is `failed`). The result comes
        to your callback URL (BIL-9); then the amount is withheld from your payment account and paid
        out to the supplier. 422 when you are not onboarded, blocked, or not subscribed."""
        key = request.headers.get("Idempotency-Key")
        if not key:
            raise ValidationFailed("Orders need an Idempotency-Key header.", {"Idempotency-Key": ["required"]})
        body = read_json(request, BillingPlaceOrderBody())
        placed = self.services.billing.place_order({**body, "idempotency_key": key})
        return json_response(placed, status=201 if placed["created"] else 200)

    @route("GET", "/api/v1/billing/orders", summary="Orders you may see", tags=TAGS, query=BillingOrderQuery,
           response=BillingOrderPage, roles=PARTIES)
    def billing_list_orders(self, request):
        """BIL-11. Customers see theirs, suppliers theirs, the operator all; filter by status,
        customer_id, supplier_id, day; sort=created_at|-created_at|amount|-amount."""
        query = BillingOrderQuery().dump(read_query(request, BillingOrderQuery()))
        return json_response(with_parties(self.services, self.services.billing.list_orders(query)))

    @route("GET", "/api/v1/billing/orders/export", summary="Export the orders list as CSV or XLSX", tags=TAGS,
           query=BillingOrderExportQuery, roles=PARTIES)
    def billing_export_orders(self, request):
        """BIL-11. The same filters and sort as the list, up to 10,000 rows, one per order with what
        was paid, paid out and refunded; `format=csv` (default) or `xlsx`. Answers a file, not JSON."""
        query = BillingOrderExportQuery().dump(read_query(request, BillingOrderExportQuery()))
        fmt = query.pop("format")
        lines = self.services.billing.export_orders(query)["lines"]
        return table_response("orders", STATEMENT_COLUMNS, lines, fmt)

    @route("GET", "/api/v1/billing/orders/<order_id>", summary="One order with its payment steps", tags=TAGS,
           response=BillingOrderView, roles=PARTIES, errors=(404,))
    def billing_get_order(self, request, order_id):
        return json_response(with_parties(self.services, self.services.billing.get_order(order_id), None))

    @route("POST", "/api/v1/billing/orders/<order_id>/result", summary="Report an order's fulfilment (supplier)",
           tags=TAGS, body=BillingSupplierResultBody, response=BillingOrderView, roles=SUPPLIER, errors=(404,))
    def billing_supplier_result(self, request, order_id):
        """For orders your system answered `processing`; a repeated report changes nothing."""
        body = read_json(request, BillingSupplierResultBody())
        return json_response(self.services.billing.supplier_result(order_id, body))

    @route("POST", "/api/v1/billing/orders/<order_id>/refunds", summary="Refund an order (supplier)", tags=TAGS,
           body=BillingRefundBody, response=BillingOrderView, status=201, roles=SUPPLIER, errors=(404, 422))
    def billing_start_refund(self, request, order_id):
        """BIL-6. After agreeing with the customer: supplier → platform → customer, at most what the
        customer paid and was not refunded yet (422 otherwise, nothing moves)."""
        body = read_json(request, BillingRefundBody())
        return json_response(self.services.billing.start_refund(order_id, body), status=201)

    @route("POST", "/api/v1/billing/withholdings/retry", summary="Retry your failed withholdings (customer)",
           tags=TAGS, response=BillingRetriedView, roles=CUSTOMER)
    def billing_retry_withholdings(self, request):
        """BIL-7. After topping up the payment account; orders are accepted again once the unpaid
        count is below the threshold."""
        return json_response(self.services.billing.retry_withholdings())

    # --- the operator's hand on stuck steps (BIL-6) --------------------------------------------------

    @route("GET", "/api/v1/billing/stuck-orders", summary="Orders with a stuck payment step (operator)", tags=TAGS,
           query=BillingStuckOrderQuery, response=BillingOrderPage, roles=OPERATOR)
    def billing_stuck_orders(self, request):
        """Every step toward a supplier or the payment provider has a retry budget and a deadline
        (docs/billing-operations.md). Listed here, oldest first: orders with a payment step that
        stopped after its budget (`status` `stuck` in `steps`), and orders still waiting for a
        supplier that did not answer (`fulfil_attempts` above 0)."""
        query = BillingStuckOrderQuery().dump(read_query(request, BillingStuckOrderQuery()))
        return json_response(with_parties(self.services, self.services.billing.stuck_orders(query)))

    def _resolve_step(self, order_id: str, step_key: str, action: str):
        answer = self.services.billing.resolve_step(order_id, {"step_key": step_key, "action": action})
        return json_response(with_parties(self.services, answer, None))

    @route("POST", "/api/v1/billing/orders/<order_id>/steps/<step_key>/retry",
           summary="Retry a stuck payment step (operator)", tags=TAGS, response=BillingStepActionView, roles=OPERATOR,
           errors=(404, 422))
    def billing_retry_step(self, request, order_id, step_key):
        """A stuck step goes again with a fresh retry budget; a step that went out before is asked
        about first, never sent twice. `step_key` `fulfil:{order_id}` asks the supplier again for an
        order still waiting for it. Recorded in the order's `operator_actions`; a second click
        changes nothing (`changed` false)."""
        return self._resolve_step(order_id, step_key, "retry")

    @route("POST", "/api/v1/billing/orders/<order_id>/steps/<step_key>/fail",
           summary="Fail a stuck payment step (operator)", tags=TAGS, response=BillingStepActionView, roles=OPERATOR,
           errors=(404, 422))
    def billing_fail_step(self, request, order_id, step_key):
        """The step ends as failed, with what a failure causes (a withholding counts as unpaid,
        BIL-7; a refund whose return fails stops with its money in clearing) and no further
        attempt; `fulfil:{order_id}` fails the order and releases its credit. A step that went out
        is asked about first: the provider's own final answer settles it instead (503 when the
        provider cannot say, 422 while it is still executing it). A second click changes nothing."""
        return self._resolve_step(order_id, step_key, "fail")

    @route("POST", "/api/v1/billing/orders/<order_id>/steps/<step_key>/void",
           summary="Void a stuck payment step (operator)", tags=TAGS, response=BillingStepActionView, roles=OPERATOR,
           errors=(404, 422))
    def billing_void_step(self, request, order_id, step_key):
        """The step is withdrawn and nothing moves: for payouts (the money stays in clearing) and
        refund collections (the refund is cancelled); a withholding or a refund's return is failed
        instead (422). Asked about first and idempotent, as fail."""
        return self._resolve_step(order_id, step_key, "void")

    # --- statements and reconciliation ---------------------------------------------------------------

    @route("GET", "/api/v1/billing/statements", summary="A day's statement", tags=TAGS, query=BillingStatementQuery,
           response=BillingStatementView, roles=PARTIES)
    def billing_statement(self, request):
        """BIL-11: your orders of the UTC day with what was paid, paid out and refunded."""
        query = BillingStatementQuery().dump(read_query(request, BillingStatementQuery()))
        return json_response(with_parties(self.services, self.services.billing.daily_statement(query), "lines"))

    @route("GET", "/api/v1/billing/statements/export", summary="Export a day's statement as CSV or XLSX",
           tags=TAGS, query=BillingStatementExportQuery, roles=PARTIES)
    def billing_export_statement(self, request):
        query = BillingStatementExportQuery().dump(read_query(request, BillingStatementExportQuery()))
        fmt = query.pop("format")
        statement = self.services.billing.daily_statement(query)
        return table_response(f"statement-{query['day']}", STATEMENT_COLUMNS, statement["lines"], fmt)

    @route("POST", "/api/v1/billing/reconciliations", summary="Reconcile a day (operator)", tags=TAGS,
           body=BillingReconcileBody, response=BillingReconciliationView, roles=OPERATOR, errors=(503,))
    def billing_reconcile(self, request):
        """BIL-11. The ledger against the payment provider's settlement file of the day, and the
        orders against every supplier's order report: fetched from the supplier's `report_url`
        (`GET <report_url>?day=`), or as posted here in `supplier_reports` (which wins). A supplier
        with orders that day and no usable report is itself listed as a mismatch (`reports` says
        where each report came from); lists every mismatch. 503 when the payment provider does not
        answer (retry later)."""
        body = BillingReconcileBody().dump(read_json(request, BillingReconcileBody()))
        return json_response(self.services.billing.reconcile(body))

    @route("GET", "/api/v1/billing/reconciliations/export", summary="Export a day's mismatches as CSV or XLSX",
           tags=TAGS, query=BillingReconciliationExportQuery, roles=OPERATOR, errors=(503,))
    def billing_export_reconciliation(self, request):
        """BIL-11. The same reconciliation as `POST /billing/reconciliations` with every supplier's
        report fetched from its system, one row per mismatch (`source`, `reference`, `problem`,
        `ledger`, `theirs`)."""
        query = BillingReconciliationExportQuery().dump(read_query(request, BillingReconciliationExportQuery()))
        result = self.services.billing.reconcile({"day": query["day"]})
        return table_response(f"reconciliation-{query['day']}", MISMATCH_COLUMNS, result["mismatches"],
                              query["format"])

    @route("GET", "/api/v1/billing/reconciliation-mismatches", summary="Stored reconciliation mismatches (operator)",
           tags=TAGS, query=BillingMismatchQuery, response=BillingMismatchPage, roles=OPERATOR)
    def billing_list_mismatches(self, request):
        """BIL-11. Every mismatch a reconciliation found is kept (once per day, source, reference and
        problem) with its resolution; filter by `day`, `status` (open | resolved) and `source`."""
        query = BillingMismatchQuery().dump(read_query(request, BillingMismatchQuery()))
        return json_response(self.services.billing.list_mismatches(query))

    @route("POST", "/api/v1/billing/reconciliation-mismatches/<mismatch_id>/resolve",
           summary="Resolve a reconciliation mismatch (operator)", tags=TAGS, body=BillingResolveMismatchBody,
           response=BillingMismatchView, roles=OPERATOR, errors=(404, 422))
    def billing_resolve_mismatch(self, request, mismatch_id):
        """BIL-11. Records what was found and done, who and when. Once: the same words again answer
        the resolved mismatch; other words are 422."""
        return json_response(self.services.billing.resolve_mismatch(
            mismatch_id, read_json(request, BillingResolveMismatchBody())))

    # --- the ledger for finance (BIL-14) --------------------------------------------------------------

    @route("GET", "/api/v1/billing/ledger/accounts", summary="Ledger balances per account and currency",
           tags=TAGS, query=BillingLedgerAccountQuery, response=BillingLedgerAccountPage, roles=LEDGER_READERS)
    def billing_ledger_accounts(self, request):
        """BIL-13, BIL-14. The operator (finance) sees every account; a supplier or a customer the
        accounts of its own organisation. Each account is one party's in one currency
        (`supplier:<org>:USD`); filter by `currency` and `kind`."""
        return json_response(self.services.billing.ledger_accounts(read_query(request, BillingLedgerAccountQuery())))

    @route("GET", "/api/v1/billing/ledger/transactions", summary="Ledger transfers with their postings",
           tags=TAGS, query=BillingLedgerTransactionQuery, response=BillingLedgerTransactionPage,
           roles=LEDGER_READERS)
    def billing_ledger_transactions(self, request):
        """BIL-14. Newest first, paged; filter by `account_id`, `currency`, `kind` and the time range
        `from` (inclusive) – `to` (exclusive). A party sees the transfers touching its own accounts."""
        query = BillingLedgerTransactionQuery().dump(read_query(request, BillingLedgerTransactionQuery()))
        return json_response(self.services.billing.ledger_transactions(query))

    @route("GET", "/api/v1/billing/ledger/balance", summary="An account's balance as of an instant",
           tags=TAGS, query=BillingLedgerBalanceQuery, response=BillingLedgerBalanceView, roles=LEDGER_READERS,
           errors=(404,))
    def billing_ledger_balance(self, request):
        """BIL-14. The posted balance of `account_id` as of `at` (default now): the sum of its postings
        that had taken effect by then. Another party's account is 404."""
        query = BillingLedgerBalanceQuery().dump(read_query(request, BillingLedgerBalanceQuery()))
        return json_response(self.services.billing.ledger_balance(query))

    # --- staged payments -----------------------------------------------------------------------------

    @route("POST", "/api/v1/billing/staged-contracts", summary="Propose a project's staged payments (vendor admin)",
           tags=TAGS, body=BillingNewStagedContractBody, response=BillingStagedContractView, status=201,
           roles=VENDOR, errors=(400, 403, 404))
    def billing_create_staged_contract(self, request):
        """BIL-12. Only the admin of the project's vendor proposes (seeds 003/004: the seller's
        proposal and contract); the project and its customer are known from the project itself (a
        project of another vendor, or none, is 404; a `customer_id` that is not the project's is
        400). The contract is `proposed` and binds nothing until the customer accepts it
        (`POST .../accept`): then each stage falls due when the flow passes its milestone (a confirm
        node); unpaid after `terms_days` it is overdue and alerted once per `overdue_period_days`."""
        body = read_json(request, BillingNewStagedContractBody())
        return json_response(self.services.billing.create_staged_contract(body), status=201)

    @route("GET", "/api/v1/billing/staged-contracts", summary="Staged contracts you are a party of", tags=TAGS,
           query=BillingStagedContractQuery, response=BillingStagedContractPage, roles=(*VENDOR, *CUSTOMER, *OPERATOR))
    def billing_list_staged_contracts(self, request):
        """The customer sees the proposals it must accept or decline (`status=proposed`)."""
        return json_response(self.services.billing.list_staged_contracts(
            read_query(request, BillingStagedContractQuery())))

    @route("POST", "/api/v1/billing/staged-contracts/<contract_id>/accept",
           summary="Accept a proposed staged contract (customer)", tags=TAGS, response=BillingStagedContractView,
           roles=CUSTOMER, errors=(404, 422))
    def billing_accept_staged_contract(self, request, contract_id):
        """BIL-12. From now on its stages fall due as their milestones are accepted (those already
        passed fall due at once). Once: a decided contract answers 422."""
        return json_response(self.services.billing.decide_staged_contract(contract_id, {"approve": True}))

    @route("POST", "/api/v1/billing/staged-contracts/<contract_id>/decline",
           summary="Decline a proposed staged contract (customer)", tags=TAGS, response=BillingStagedContractView,
           roles=CUSTOMER, errors=(404, 422))
    def billing_decline_staged_contract(self, request, contract_id):
        """BIL-12. Nothing of it ever falls due, alerts or is charged."""
        return json_response(self.services.billing.decide_staged_contract(contract_id, {"approve": False}))

    @route("GET", "/api/v1/billing/stuck-staged-contracts", summary="Staged contracts with a stuck payment step "
           "(operator)", tags=TAGS, query=BillingStuckOrderQuery, response=BillingStagedContractPage, roles=OPERATOR)
    def billing_stuck_staged_contracts(self, request):
        """A stage's withholding or payout that stopped after its retry budget or answer deadline
        (`status` `stuck` in a stage's `steps`; docs/billing-operations.md)."""
        query = BillingStuckOrderQuery().dump(read_query(request, BillingStuckOrderQuery()))
        return json_response(self.services.billing.stuck_staged_contracts(query))

    def _resolve_stage_step(self, contract_id: str, step_key: str, action: str):
        return json_response(self.services.billing.resolve_stage_step(contract_id, {"step_key": step_key,
                                                                                    "action": action}))

    @route("POST", "/api/v1/billing/staged-contracts/<contract_id>/steps/<step_key>/retry",
           summary="Retry a stuck stage payment step (operator)", tags=TAGS, response=BillingStageStepActionView,
           roles=OPERATOR, errors=(404, 422))
    def billing_retry_stage_step(self, request, contract_id, step_key):
        """As for an order's step: a fresh retry budget; a step that went out is asked about first.
        Recorded in the stage's `operator_actions`; a second click changes nothing."""
        return self._resolve_stage_step(contract_id, step_key, "retry")

    @route("POST", "/api/v1/billing/staged-contracts/<contract_id>/steps/<step_key>/fail",
           summary="Fail a stuck stage payment step (operator)", tags=TAGS, response=BillingStageStepActionView,
           roles=OPERATOR, errors=(404, 422))
    def billing_fail_stage_step(self, request, contract_id, step_key):
        """A withholding counts as failed (the stage stays due); a payout stays unpaid with its money
        in clearing. The provider is asked first (503 when it cannot say, 422 while executing)."""
        return self._resolve_stage_step(contract_id, step_key, "fail")

    @route("POST", "/api/v1/billing/staged-contracts/<contract_id>/steps/<step_key>/void",
           summary="Void a stuck stage payout (operator)", tags=TAGS, response=BillingStageStepActionView,
           roles=OPERATOR, errors=(404, 422))
    def billing_void_stage_step(self, request, contract_id, step_key):
        """A payout is withdrawn and nothing moves (the money stays in clearing); a withholding is
        failed instead (422). Asked about first and idempotent, as fail."""
        return self._resolve_stage_step(contract_id, step_key, "void")

    @route("GET", "/api/v1/billing/staged-contracts/<contract_id>", summary="A staged contract", tags=TAGS,
           response=BillingStagedContractView, roles=(*VENDOR, *CUSTOMER, *OPERATOR), errors=(404,))
    def billing_get_staged_contract(self, request, contract_id):
        return json_response(self.services.billing.get_staged_contract(contract_id))

    @route("POST", "/api/v1/billing/staged-contracts/<contract_id>/stages/<stage_key>/payments",
           summary="Pay a due stage by withholding it (customer or operator)", tags=TAGS,
           response=BillingStagedContractView, status=202, roles=(*CUSTOMER, *OPERATOR), errors=(404, 422))
    def billing_pay_stage(self, request, contract_id, stage_key):
        """BIL-12. The stage's amount is withheld from the customer's enterprise payment account
        through the payment provider and then paid out to the supplier, each step under its own
        idempotency key and as a balanced ledger transfer; the stage's `payment` moves
        pending → paid → paid_out (or failed: it stays due and its overdue alerts go on). Asking
        again while a payment is under way withholds once. 422 unless the stage is due and the
        customer's withholding agreement is confirmed."""
        return json_response(self.services.billing.collect_stage(contract_id, stage_key), status=202)

    # --- the payment provider's notices ----------------------------------------------------------------

    @route("POST", "/api/v1/billing/provider-notices", summary="The payment provider's signed notice (provider)",
           tags=TAGS, body=BillingProviderNoticeBody, response=BillingNoticeReceipt, public=True, errors=(401, 404),
           challenge='Provider-Signature realm="payment-notices"',
           header_params=({"in": "header", "name": "Provider-Signature", "required": True,
                           "description": "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.\" + the raw body>` "
                                          "under the notice secret the provider and the platform share",
                           "schema": {"type": "string", "minLength": 1, "maxLength": 500,
                                      "example": "t=1763798400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff5"
                                                 "36d0ce8e108d8bd"}},))
    def billing_provider_notice(self, request):
        """BIL-6. The payment provider tells the platform a payment's final outcome. No bearer token:
        the notice is authenticated by its `Provider-Signature` (HMAC-SHA256 over the timestamp and
        the exact bytes of the body, compared in constant time); a bad or missing signature, or a
        timestamp more than 5 minutes (`PAYMENT_NOTICE_TOLERANCE_SECONDS`) away, is 401 and changes
        nothing. A notice is applied once per `notice_id` (a repeat answers `applied: false`) and a
        payment's outcome once per key, whether it came first by notice or by query."""
        if request.mimetype != JSON:
            raise ValidationFailed("The body must be JSON (Content-Type: application/json).",
                                   {"_body": ["expected application/json"]})
        try:
            # the signature covers these exact bytes: they travel to billing unparsed
            body = request.get_data(cache=True).decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed("The body must be UTF-8 JSON.", {"_body": ["not UTF-8"]}) from None
        return json_response(self.services.billing.provider_notice(body, request.headers.get("Provider-Signature")))
