"""Use cases of billing_svc: fn(command..., uow) -> result.

Parties: a supplier is an ISV organisation, an enterprise customer a customer organisation, the
platform operator the operator organisation (platform_contracts.roles has no billing kinds; see
docs/api.md). Another party's object answers exactly like a missing one (ORG-7).

Calls to outside systems (the supplier's fulfilment system, the payment provider) never happen
inside a unit of work: a handler prepares the request and commits that it is going out, the
entrypoint calls the adapter, and another handler records the answer.
"""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from billing_svc import finance
from billing_svc.domain import access, chain, currencies, money, stages, statements
from billing_svc.domain.catalogue import (
    REQUESTED,
    PriceLock,
    Product,
    Subscription,
    may_subscribe,
    round_robin,
)
from billing_svc.domain.ledger import MAX_AMOUNT, Account, positive_amount
from billing_svc.domain.orders import PAYOUT, SENT, TO_SEND, WITHHOLD, Order, PaymentRequest, PaymentStep
from billing_svc.domain.parties import Customer
from billing_svc.domain.retries import DEFAULT_POLICY, RetryPolicy
from billing_svc.domain.stages import PAID, Stage, StagedContract
from billing_svc.exceptions import (
    BadInput,
    BillingNotFound,
    EmptyPeriod,
    InsufficientCredit,
    NotAllowed,
    NotOnboarded,
    NotSubscribed,
    ProductCodeTaken,
)
from platform_contracts.actor import Actor
from platform_contracts.nodes import CONFIRM
from platform_contracts.roles import CUSTOMER, ISV, OPERATOR, VENDOR_ADMIN

# --- parties ---------------------------------------------------------------------------------


def customer_org(actor: Actor) -> str:
    if actor.org_kind != CUSTOMER:
        raise NotAllowed("Only an enterprise customer (a customer organisation) may do this.")
    return actor.org_id


def _supplier_org(actor: Actor) -> str:
    """BIL-1: suppliers are ISVs, and the platform sells as a supplier of its own (its operator
    organisation)."""
    if actor.org_kind not in (ISV, OPERATOR):
        raise NotAllowed("Only a supplier (an ISV organisation, or the platform itself) may do this.")
    return actor.org_id


def _notify(uow, receivers: list[dict], template: str, variables: dict, dedupe_key: str, *,
            urgent: bool = False, channels: list[str] | None = None) -> None:
    uow.emit("billing_notification_requested", {"receivers": receivers, "message_template": template,
                                                "variables": variables, "dedupe_key": dedupe_key,
                                                "urgent": urgent, "channels": channels})


def _customer_receivers(customer: Customer) -> list[dict]:
    """BIL-10: the configured change-notice e-mail, else the organisation's admins."""
    return [{"email": customer.notice_email}] if customer.notice_email else [{"org_id": customer.id}]


def sign_agreements(actor: Actor, body: dict, now: datetime, uow) -> Customer:
    """BIL-2: the customer signs the platform and withholding agreements and binds its account."""
    customer = uow.customers.get_or_new(customer_org(actor))
    customer.sign(now, body["payment_account"], body["platform_agreement"], body["withholding_agreement"])
    uow.customers.save(customer)
    uow.commit()
    return customer


def update_customer_settings(actor: Actor, body: dict, uow) -> Customer:
    """BIL-9, BIL-10: callback URL and change-notice e-mail."""
    customer = uow.customers.get_or_new(customer_org(actor))
    for name in ("callback_url", "notice_email"):
        if name in body:
            setattr(customer, name, body[name])
    uow.customers.save(customer)
    uow.commit()
    return customer


def confirm_customer(customer_id: str, actor: Actor, now: datetime, uow) -> Customer:
    """BIL-2: the operator's second check that the withholding account is bound."""
    customer = uow.customers.get(customer_id, for_update=True)
    if customer is None:
        raise BillingNotFound(f"Customer {customer_id} has not signed anything yet.")
    customer.confirm(now, actor.user_id)
    uow.customers.save(customer)
    uow.commit()
    return customer


def get_customer(customer_id: str, actor: Actor, uow) -> Customer:
    if not (actor.is_operator or actor.org_id == customer_id):
        raise BillingNotFound(f"Customer {customer_id} was not found.")
    customer = uow.customers.get(customer_id)
    return customer or Customer(customer_id)


# --- catalogue and subscriptions ----------------------------------------------------------------


def set_price_lock(actor: Actor, body: dict, uow) -> PriceLock:
    if body["ends_at"] <= body["starts_at"]:
        raise EmptyPeriod("The lock must end after it starts.", {"ends_at": ["must be after starts_at"]})
    lock = PriceLock(body["starts_at"], body["ends_at"])
    uow.price_locks.set(lock, actor.user_id)
    uow.commit()
    return lock


def set_fulfilment_url(actor: Actor, url: str, uow, report_url: str | None = None) -> dict:
    """The supplier's fulfilment system (BIL-4) and where it serves its daily order report (BIL-11)."""
    supplier_id = _supplier_org(actor)
    uow.suppliers.set_fulfilment_url(supplier_id, url, report_url)
    uow.commit()
    return {"supplier_id": supplier_id, "fulfilment_url": url, "report_url": report_url}


def publish_product(actor: Actor, body: dict, uow,
                    supported: tuple[str, ...] = currencies.DEFAULT_SUPPORTED) -> Product:
    """BIL-3: a supplier publishes a product visible to the customers it names; its code is new
    among the supplier's products (a repeated code is a conflict, not a second product). BIL-13:
    only in a currency the platform supports."""
    supplier_id = _supplier_org(actor)
    currencies.check_supported(body["currency"], supported)
    if uow.products.list(supplier_id=supplier_id, code=body["code"], limit=1)[1]:
        raise ProductCodeTaken(f"You already have a product with code {body['code']}.", {"code": ["already used"]})
    product = Product(id=str(uuid.uuid4()), supplier_id=supplier_id, code=body["code"], name=body["name"],
                      face_value=body["face_value"], price=body["price"], currency=body["currency"],
                      listed=body.get("listed", True), visible_to=sorted(set(body.get("visible_to", []))))
    uow.products.add(product)
    uow.commit()
    return product


def _own_product(actor: Actor, product_id: str, uow) -> Product:
    product = uow.products.get(product_id, for_update=True)
    if product is None or product.supplier_id != actor.org_id:
        raise BillingNotFound(f"Product {product_id} was not found.")
    return product


def update_product(actor: Actor, product_id: str, body: dict, now: datetime, uow) -> Product:
    """BIL-3, BIL-8, BIL-10: listing and visibility are always allowed; a price change is refused
    during the price lock; a price change or a suspension tells every subscribed customer."""
    product = _own_product(actor, product_id, uow)
    notices = []
    if "price" in body and product.change_price(body["price"], uow.price_locks.in_force(now), now):
        notices.append(("billing price changed", f"price:{product.id}:{body['price']}:{now.isoformat()}"))
    for name in ("listed", "name"):
        if name in body:
            setattr(product, name, body[name])
    if "visible_to" in body:
        product.visible_to = sorted(set(body["visible_to"]))
    if "suspended" in body and body["suspended"] != product.suspended:
        product.suspended = body["suspended"]
        template = "billing channel suspended" if product.suspended else "billing channel resumed"
        notices.append((template, f"suspended:{product.id}:{product.suspended}:{now.isoformat()}"))
    uow.products.save(product)
    for template, key in notices:
        for subscription in uow.subscriptions.of_product(product.id):
            customer = uow.customers.get(subscription.customer_id) or Customer(subscription.customer_id)
            _notify(uow, _customer_receivers(customer), template,
                    {"product_code": product.code, "product_name": product.name, "price": product.price,
                     "currency": product.currency, "supplier_id": product.supplier_id},
                    f"{key}:{customer.id}", channels=["email"] if customer.notice_email else None)
    uow.commit()
    return product


def list_products(actor: Actor, query: dict, uow) -> tuple[list[Product], int]:
    if actor.org_kind == CUSTOMER:
        return uow.products.list(visible_to=actor.org_id, code=query.get("code"), limit=query["limit"],
                                 offset=query["offset"])
    supplier = None if actor.is_operator else actor.org_id
    return uow.products.list(supplier_id=supplier, code=query.get("code"), limit=query["limit"],
                             offset=query["offset"])


def request_subscriptions(actor: Actor, product_ids: list[str], now: datetime, uow) -> list[Subscription]:
    """BIL-3: one or many at once; asking again for the same product returns its subscription."""
    customer_id = customer_org(actor)
    products = uow.products.by_ids(product_ids)
    result = []
    for product_id in product_ids:
        product = products.get(product_id)
        if product is None or not product.visible_for(customer_id):
            raise BillingNotFound(f"Product {product_id} was not found.", {"product_ids": [product_id]})
        may_subscribe(product, customer_id)
        subscription = uow.subscriptions.add_if_new(Subscription(
            str(uuid.uuid4()), customer_id, product.supplier_id, product.id, product.code, REQUESTED, now))
        if subscription.request_again(now):       # cancelled or rejected before: asked for anew
            uow.subscriptions.save(subscription)
        result.append(subscription)
    for subscription in result:
        if subscription.requested_at == now:
            _notify(uow, [{"org_id": subscription.supplier_id}], "billing subscription requested",
                    {"customer_id": customer_id, "product_code": subscription.product_code},
                    f"subscription-requested:{subscription.id}")
    uow.commit()
    return result


def decide_subscription(actor: Actor, subscription_id: str, approve: bool, now: datetime, uow) -> Subscription:
    """BIL-3: the supplier approves or rejects; an approval opens the customer's credit account."""
    subscription = uow.subscriptions.get(subscription_id, for_update=True)
    if subscription is None or subscription.supplier_id != actor.org_id:
        raise BillingNotFound(f"Subscription {subscription_id} was not found.")
    subscription.decide(approve, now)
    uow.subscriptions.save(subscription)
    if approve:
        product = uow.products.get(subscription.product_id)
        # no credit until the supplier sets a limit (seed 002: suppliers set it per customer)
        uow.ledger.open_accounts(money.order_accounts(subscription.customer_id, subscription.supplier_id,
                                                      product.currency, 0))
    uow.commit()
    return subscription


def change_subscription(actor: Actor, subscription_id: str, action: str, now: datetime, uow) -> Subscription:
    """BIL-8: customers cancel, pause or resume; suppliers cancel. Cancelling and pausing are
    refused during the price lock."""
    subscription = uow.subscriptions.get(subscription_id, for_update=True)
    if subscription is None or actor.org_id not in (subscription.customer_id, subscription.supplier_id):
        raise BillingNotFound(f"Subscription {subscription_id} was not found.")
    lock = uow.price_locks.in_force(now)
    if action == "cancel":
        subscription.cancel(lock, now)
    elif action == "pause" and actor.org_id == subscription.customer_id:
        subscription.pause(lock, now)
    elif action == "resume" and actor.org_id == subscription.customer_id:
        subscription.resume()
    else:
        raise NotAllowed(f"You may not {action} this subscription.")
    uow.subscriptions.save(subscription)
    uow.commit()
    return subscription


def list_subscriptions(actor: Actor, query: dict, uow) -> tuple[list[Subscription], int]:
    scope = {}
    if actor.org_kind == CUSTOMER:
        scope["customer_id"] = actor.org_id
    elif not actor.is_operator:
        scope["supplier_id"] = actor.org_id
    return uow.subscriptions.list(status=query.get("status"), limit=query["limit"], offset=query["offset"], **scope)


def set_credit_limit(actor: Actor, customer_id: str, limit: int | None, currency: str, uow,
                     supported: tuple[str, ...] = currencies.DEFAULT_SUPPORTED) -> dict:
    """BIL-5: the supplier's credit line for a customer (None: unlimited), one per currency (BIL-13)."""
    supplier_id = _supplier_org(actor)
    currencies.check_supported(currency, supported)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_AMOUNT):
        raise BadInput(f"The limit is an integer of minor units from 0 to {MAX_AMOUNT}, or null.",
                       {"limit": ["invalid"]})
    subscriptions, _ = uow.subscriptions.list(customer_id=customer_id, supplier_id=supplier_id, limit=1)
    if not subscriptions:
        raise BillingNotFound(f"Customer {customer_id} does not subscribe to you.")
    uow.ledger.open_accounts(money.order_accounts(customer_id, supplier_id, currency, limit))
    account_id = money.credit_account(customer_id, supplier_id, currency)
    uow.ledger.set_floor(account_id, None if limit is None else -limit)
    uow.commit()
    return credit_view(uow.ledger.load([account_id]).accounts[account_id], customer_id, supplier_id)


def credit_view(account, customer_id: str, supplier_id: str) -> dict:
    return {"customer_id": customer_id, "supplier_id": supplier_id, "currency": account.currency,
            "limit": None if account.floor is None else -account.floor,
            "used": -account.balance, "held": account.pending, "available": account.available}


def credit_accounts(actor: Actor, uow) -> list[dict]:
    """BIL-5: a customer sees one account per supplier and currency; a supplier one per customer
    and currency (BIL-13)."""
    accounts = uow.ledger.accounts("credit:")
    views = []
    for account in accounts:
        parsed = money.parse_account(account.id)
        customer_id, supplier_id = parsed["customer_id"], parsed["supplier_id"]
        if actor.is_operator or actor.org_id in (customer_id, supplier_id):
            views.append(credit_view(account, customer_id, supplier_id))
    return views


# --- orders --------------------------------------------------------------------------------


def place_order(actor: Actor, body: dict, now: datetime, uow,
                supported: tuple[str, ...] = currencies.DEFAULT_SUPPORTED) -> tuple[Order, bool]:
    """BIL-2..BIL-7: route round-robin among subscribed suppliers and hold the amount on credit.

    The same idempotency key returns the first order and does nothing else. Refusals (not
    onboarded, blocked, not subscribed) leave nothing behind; insufficient credit is a *failed
    order* (recorded, and its result pushed), as the seed describes."""
    customer_id = customer_org(actor)
    earlier = uow.orders.by_key(customer_id, body["idempotency_key"])
    if earlier is not None:
        return earlier, False
    customer = uow.customers.get(customer_id) or Customer(customer_id)
    customer.check_may_order()
    candidates = uow.subscriptions.usable(customer_id, body["product_code"])
    if not candidates:
        raise NotSubscribed(f"No approved subscription for product code {body['product_code']}.",
                            {"product_code": ["not subscribed"]})
    cursor = uow.routing.take_cursor(customer_id, body["product_code"])
    supplier_id, cursor = round_robin([s.supplier_id for s in candidates], cursor)
    uow.routing.set_cursor(customer_id, body["product_code"], cursor)
    subscription = next(s for s in candidates if s.supplier_id == supplier_id)
    product = uow.products.get(subscription.product_id)
    # BIL-13: refused before anything is held, recorded or sent (a product of a currency dropped since)
    currencies.check_supported(product.currency, supported, "product_code")
    order = Order(str(uuid.uuid4()), customer_id, supplier_id, product.id, product.code, product.price,
                  product.currency, body["idempotency_key"], now)
    earlier = uow.orders.add_if_new(order)
    if earlier is not None:     # a concurrent request with the same key won
        return earlier, False
    # the order's currency has its own accounts (opened at limit 0 when the supplier set none in it)
    uow.ledger.open_accounts(money.order_accounts(customer_id, supplier_id, order.currency, 0))
    ledger = uow.ledger.load(chain.hold_accounts(order), [chain.hold_key(order.id)], lock=chain.hold_locks(order))
    try:
        chain.place_hold(ledger, order, now)
    except InsufficientCredit as refusal:
        order.failed(now, refusal.message)
        _emit_result(order, customer, uow)
    else:
        uow.schedule("billing_fulfil", order.id, now)
    uow.ledger.save(ledger)
    uow.orders.save(order)
    uow.commit()
    return order, True


def _emit_result(order: Order, customer: Customer, uow) -> None:
    uow.emit("order_result_ready", {**order.result(), "callback_url": customer.callback_url})


def fulfilment_request(order_id: str, now: datetime, uow,
                       policy: RetryPolicy = DEFAULT_POLICY) -> tuple[Order, str | None] | None:
    """The order to send to the supplier's system (as ``SupplierOrderSchema``: never the customer's
    callback URL or idempotency key) and its URL (None: not configured), or None when the order
    needs nothing more. An order past its fulfilment deadline fails here and releases its credit."""
    order = uow.orders.get(order_id)
    if order is None or order.status != "fulfilling":
        return None
    if now >= policy.fulfil_deadline(order.created_at):
        _fulfilment_given_up(order_id, now, uow, lambda ledger, o: chain.fulfilment_overdue(ledger, o, now, policy))
        return None
    return order, uow.suppliers.fulfilment_url(order.supplier_id)


def fulfilment_unanswered(order_id: str, reason: str, now: datetime, uow,
                          policy: RetryPolicy = DEFAULT_POLICY) -> datetime | None:
    """The supplier's system gave no usable answer: ask again after a back-off, or, with the
    budget or the deadline spent, fail the order (its credit released, its result pushed, the
    supplier and the operator told). Returns when it is asked again (None: it is not)."""
    again: list[datetime | None] = [None]

    def decide(ledger, order) -> bool:
        was = order.status
        again[0] = chain.fulfilment_unanswered(ledger, order, now, reason, policy)
        if again[0] is not None:
            uow.schedule("billing_fulfil", order_id, again[0])
        return was == "fulfilling" and order.status == "failed"

    _fulfilment_given_up(order_id, now, uow, decide)
    return again[0]


def fulfilment_processing(order_id: str, now: datetime, uow, policy: RetryPolicy = DEFAULT_POLICY) -> None:
    """The supplier took the order (``processing``) and calls back later: if it has not by the
    fulfilment deadline, the deadline fails the order."""
    order = uow.orders.get(order_id)
    if order is not None and order.status == "fulfilling":
        uow.schedule("billing_fulfil", order_id, policy.fulfil_deadline(order.created_at))
        uow.commit()


def _fulfilment_given_up(order_id: str, now: datetime, uow, decide) -> bool:
    """Lock the order and its hold, let ``decide(ledger, order)`` settle it; when it failed the
    order, push its result and tell the supplier and the operator. False: nothing settled."""
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        return False
    ledger = uow.ledger.load(chain.hold_accounts(order), [f"void:{order.id}"], [order.hold_id] if order.hold_id else [],
                             lock=chain.hold_locks(order))
    failed = decide(ledger, order)
    uow.ledger.save(ledger)
    uow.orders.save(order)
    if failed:
        customer = uow.customers.get(order.customer_id) or Customer(order.customer_id)
        _emit_result(order, customer, uow)
        _notify(uow, [{"org_id": order.supplier_id}, *_operator_receivers(customer)], "billing order not fulfilled",
                {"order_id": order.id, "product_code": order.product_code, "amount": order.amount,
                 "currency": order.currency, "attempts": order.fulfil_attempts, "reason": order.reason},
                f"order-not-fulfilled:{order.id}", urgent=True)
    uow.commit()
    return failed


def _operator_receivers(customer: Customer) -> list[dict]:
    """The operator who confirmed the customer's withholding binding (BIL-2) looks after its money."""
    return [{"user_id": customer.confirmed_by}] if customer.confirmed_by else []


def record_fulfilment(order_id: str, succeeded: bool, reason: str, supplier_ref: str | None, now: datetime,
                      uow, *, supplier: Actor | None = None) -> Order:
    """The supplier's result (its answer, or its later call-back): post or void the hold, push
    the result, and on success start the payment steps. A duplicate result changes nothing."""
    order = uow.orders.get(order_id, for_update=True)
    if order is None or (supplier is not None and supplier.org_id != order.supplier_id):
        raise BillingNotFound(f"Order {order_id} was not found.")
    ledger = uow.ledger.load(chain.hold_accounts(order), [f"post:{order.id}", f"void:{order.id}"], [order.hold_id],
                             lock=chain.hold_locks(order))
    if chain.settle_fulfilment(ledger, order, succeeded, now, reason or "the supplier could not fulfil it",
                               supplier_ref):
        uow.ledger.save(ledger)
        uow.orders.save(order)
        _emit_result(order, uow.customers.get(order.customer_id) or Customer(order.customer_id), uow)
        if succeeded:
            uow.schedule("billing_pay", order.id, now)
        uow.commit()
    return order


def next_payment(order_id: str, uow, now: datetime | None = None) -> tuple[PaymentRequest, bool] | None:
    """The order's next step at the provider and whether it must be *queried* first.

    A step found ``sent`` went out before without a final answer (time-out, crash, another
    replica): it is settled by asking the provider, never by sending it blindly. A step about to
    go out is committed as ``sent`` first."""
    order = uow.orders.get(order_id, for_update=True)
    step = order.next_step() if order else None
    if step is None:
        return None
    must_query = step.status == SENT
    if not must_query:
        order.mark_sent(step.key, now)
        uow.orders.save(order)
        uow.commit()
    return order.request_for(step), must_query


def record_payment(order_id: str, key: str, succeeded: bool, provider_ref: str | None, now: datetime, uow,
                   policy: RetryPolicy = DEFAULT_POLICY) -> Order:
    """The provider's final answer for a step (reply, query or notice): ledger transfers once per
    key, the unpaid count (BIL-7), and the next step scheduled (after a back-off when it follows
    a refusal; stuck, with the operator and the supplier told, when the budget is spent)."""
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        raise BillingNotFound(f"Order {order_id} was not found.")
    customer = uow.customers.get(order.customer_id, for_update=True) or Customer(order.customer_id)
    ledger = uow.ledger.load(chain.step_accounts(order, key), [key, f"repay:{order.id}"],
                             lock=chain.step_locks(order, key))
    settles_now = _open(order.step(key))
    outcome = chain.settle_step(ledger, order, key, succeeded, now, provider_ref, policy)
    if settles_now:
        step = order.step(key)
        refund = next((r for r in order.refunds if r.id == step.refund_id), None)
        finance.money_moved(uow, step, succeeded, customer_id=order.customer_id, supplier_id=order.supplier_id,
                            currency=order.currency, order_id=order.id,
                            refund_failed=refund is not None and refund.status == "failed")
    uow.ledger.save(ledger)
    uow.orders.save(order)
    _after_step(order, customer, key, outcome, now, uow, policy)
    uow.commit()
    return order


def _after_step(order: Order, customer: Customer, key: str, outcome, now: datetime, uow,
                policy: RetryPolicy) -> None:
    """What answering a step causes beyond the ledger: the unpaid count, alerts, the next step."""
    if outcome.unpaid_delta:
        blocked, unblocked = customer.count_unpaid(outcome.unpaid_delta)
        uow.customers.save(customer)
        if blocked or unblocked:
            _notify(uow, _customer_receivers(customer),
                    "billing orders blocked" if blocked else "billing orders unblocked",
                    {"unpaid": customer.unpaid, "threshold": customer.block_threshold},
                    f"{'blocked' if blocked else 'unblocked'}:{customer.id}:{order.id}:{key}", urgent=blocked)
    for step in outcome.stuck:
        _alert_stuck(order, customer, step, uow)
    if order.next_step() is not None:
        uow.schedule("billing_pay", order.id, now + policy.backoff(outcome.retry_after) if outcome.retry_after else now)


STEP_NAMES = {WITHHOLD: "代扣", PAYOUT: "代付给供应商", "refund_collect": "退款（向供应商收回）",
              "refund_return": "退款（退还客户）"}


def _alert_stuck(order: Order, customer: Customer, step: PaymentStep, uow) -> None:
    """A step stopped for the operator: the operator is told, and the supplier for its own money."""
    receivers = _operator_receivers(customer)
    if step.kind != WITHHOLD:
        receivers.append({"org_id": order.supplier_id})
    _notify(uow, receivers, "billing payment step stuck",
            {"order_id": order.id, "step": STEP_NAMES.get(step.kind, step.kind), "step_key": step.key,
             "amount": step.amount, "currency": order.currency},
            f"step-stuck:{step.key}:{len(order.operator_actions)}", urgent=True)


def payment_unanswered(order_id: str, key: str, now: datetime, uow, policy: RetryPolicy = DEFAULT_POLICY,
                       processing: bool = False) -> datetime | None:
    """The provider gave no final answer for a sent step (unreachable, a 5xx, or ``processing``):
    ask it again after a back-off, or stop the step (stuck) when its budget or its answer
    deadline is spent, telling the operator. Returns when it is asked again."""
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        return None
    again = order.unanswered(key, now, policy, processing)
    uow.orders.save(order)
    step = order.step(key)
    if again is not None:
        uow.schedule("billing_pay", order.id, again)
    elif step is not None and step.status == "stuck":
        _alert_stuck(order, uow.customers.get(order.customer_id) or Customer(order.customer_id), step, uow)
        if order.next_step() is not None:
            uow.schedule("billing_pay", order.id, now)
    uow.commit()
    return again


# --- the operator's hand on stuck steps (BIL-6) -----------------------------------------------


def stuck_orders(actor: Actor, query: dict, uow) -> tuple[list[Order], int]:
    """Orders with a step stopped for the operator or waiting for a supplier that does not answer."""
    if not actor.is_operator:
        raise NotAllowed("Only the platform operator sees stuck payment steps.")
    return uow.orders.stuck(limit=query["limit"], offset=query["offset"])


def step_to_resolve(actor: Actor, order_id: str, key: str, action: str, uow) -> str | None:
    """The key to ask the provider about before failing or voiding: a stuck step that went out
    may have been executed after all (None: nothing to ask)."""
    if not actor.is_operator:
        raise NotAllowed("Only the platform operator may retry, fail or void a payment step.")
    order = uow.orders.get(order_id)
    if order is None:
        raise BillingNotFound(f"Order {order_id} was not found.")
    step = order.step(key)
    if action != "retry" and step is not None and step.status == "stuck" and step.was_sent:
        return key
    return None


def resolve_step(actor: Actor, order_id: str, key: str, action: str, now: datetime, uow,
                 policy: RetryPolicy = DEFAULT_POLICY, known: bool | None = None) -> tuple[Order, bool]:
    """retry | fail | void a stuck step (``fulfil:<order>``: an order waiting for its supplier),
    recorded in the order's operator actions. ``known``: the provider's own final answer for the
    step, found when asked first; it settles the step instead. Returns (order, changed): a second
    click of the same action changes nothing."""
    if not actor.is_operator:
        raise NotAllowed("Only the platform operator may retry, fail or void a payment step.")
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        raise BillingNotFound(f"Order {order_id} was not found.")
    customer = uow.customers.get(order.customer_id, for_update=True) or Customer(order.customer_id)
    order, changed = _resolve(actor, order, customer, key, action, now, uow, policy, known)
    if changed:
        last = order.operator_actions[-1]
        uow.emit("payment_step_resolved", {
            "order_id": order.id, "customer_id": order.customer_id, "supplier_id": order.supplier_id,
            "step_key": key, "action": action, "note": last["note"], "operator_user_id": actor.user_id,
            "operator_org_id": actor.org_id})
        uow.commit()
    return order, changed


def _resolve(actor: Actor, order: Order, customer: Customer, key: str, action: str, now: datetime, uow,
             policy: RetryPolicy, known: bool | None) -> tuple[Order, bool]:
    if key == order.fulfil_key():
        ledger = uow.ledger.load(chain.hold_accounts(order), [f"void:{order.id}"],
                                 [order.hold_id] if order.hold_id else [], lock=chain.hold_locks(order))
        changed = chain.resolve_fulfilment(ledger, order, action, actor.user_id, now)
        if changed:
            uow.ledger.save(ledger)
            uow.orders.save(order)
            if action == "retry":
                uow.schedule("billing_fulfil", order.id, now)
            else:
                _emit_result(order, customer, uow)
        return order, changed
    ledger = uow.ledger.load(chain.step_accounts(order, key), [key, f"repay:{order.id}"],
                             lock=chain.step_locks(order, key))
    if known is not None:
        outcome = chain.settle_step(ledger, order, key, known, now, policy=policy)
        order.record_action(key, action, actor.user_id, now,
                            note=f"the provider answered {'succeeded' if known else 'failed'}: applied its answer")
    else:
        outcome = chain.resolve_step(ledger, order, key, action, actor.user_id, now)
        if outcome is None:
            return order, False
    uow.ledger.save(ledger)
    uow.orders.save(order)
    _after_step(order, customer, key, outcome, now, uow, policy)
    return order, True


def _open(step) -> bool:
    """A payment step without a final answer yet (its answer now is a movement of money)."""
    return step is not None and step.status in (TO_SEND, SENT)


def apply_provider_notice(notice: dict, now: datetime, uow) -> dict:
    """A signed provider notice (already verified): applied once per notice id, in the same
    transaction as its effect; the step's own once-per-key rule covers a notice that arrives
    after a query settled the step."""
    if not uow.claim_event({"event_id": notice["notice_id"]}, "billing.provider_notice"):
        return {"notice_id": notice["notice_id"], "applied": False}
    succeeded = notice["status"] == "succeeded"
    if stages.is_stage_key(notice["key"]):
        record_stage_payment(notice["order_id"], notice["key"], succeeded, notice["reference"], now, uow)
    else:
        record_payment(notice["order_id"], notice["key"], succeeded, notice["reference"], now, uow)
    return {"notice_id": notice["notice_id"], "applied": True}


def payment_in_progress(kind: str, key: str, now: datetime, seconds: float, uow) -> None:
    """The provider is still working on it: look again later (its notice may come first)."""
    uow.schedule(kind, key, now + timedelta(seconds=seconds))
    uow.commit()


def retry_withholdings(actor: Actor, now: datetime, uow) -> list[Order]:
    """BIL-7: the customer topped up its account; every failed withholding is tried again."""
    orders = uow.orders.failed_withholdings(customer_org(actor))
    for order in orders:
        order = uow.orders.get(order.id, for_update=True)
        order.retry_withholding()
        uow.orders.save(order)
        uow.schedule("billing_pay", order.id, now)
    uow.commit()
    return orders


def start_refund(actor: Actor, order_id: str, amount: int, reason: str, now: datetime, uow,
                 refund_id: str | None = None) -> Order:
    """BIL-6: the supplier refunds (after agreeing with the customer), at most what was paid.

    ``refund_id`` derives from the request's idempotency key (``platform_kit.idempotency``): a
    retry of a refund that committed after its caller gave up finds it and refunds nothing more."""
    order = uow.orders.get(order_id, for_update=True)
    if order is None or order.supplier_id != _supplier_org(actor):
        raise BillingNotFound(f"Order {order_id} was not found.")
    if order.has_refund(refund_id, positive_amount(amount)):
        return order
    order.start_refund(refund_id or str(uuid.uuid4()), positive_amount(amount), reason, now)
    uow.orders.save(order)
    uow.schedule("billing_pay", order.id, now)
    uow.commit()
    return order


def get_order(actor: Actor, order_id: str, uow) -> Order:
    order = uow.orders.get(order_id)
    if order is None or not access.may_see_order(actor, order):
        raise BillingNotFound(f"Order {order_id} was not found.")
    return _as_seen_by(actor, order)


def _as_seen_by(actor: Actor, order: Order) -> Order:
    order.operator_actions = access.operator_actions_seen_by(actor, order.operator_actions)
    return order


order_scope = access.order_scope


EXPORT_LIMIT = 10_000


def export_orders(actor: Actor, query: dict, uow) -> list[dict]:
    """BIL-11: the list's rows with the same filters, up to EXPORT_LIMIT."""
    orders, _ = list_orders(actor, {**query, "limit": EXPORT_LIMIT, "offset": 0}, uow)
    return statements.order_lines(orders)


def list_orders(actor: Actor, query: dict, uow) -> tuple[list[Order], int]:
    filters = {k: query.get(k) for k in ("customer_id", "supplier_id", "status")}
    filters.update(order_scope(actor))
    orders, total = uow.orders.list(**filters, day_from=query.get("day_from"), day_to=query.get("day_to"),
                                    sort=query["sort"], limit=query["limit"], offset=query["offset"])
    return [_as_seen_by(actor, o) for o in orders], total


# --- staged payments (BIL-12) ---------------------------------------------------------------


def project_known(data: dict, uow) -> None:
    """project_svc's project_created / node_reached: billing's read model of who the project's
    vendor, customer and provider are (idempotent; no event is claimed for it)."""
    if data.get("vendor_id") and data.get("customer_id"):
        uow.contracts.remember_project(data["project_id"], data["vendor_id"], data["customer_id"],
                                       data.get("provider_id"))


def create_staged_contract(actor: Actor, body: dict, now: datetime, uow,
                           supported: tuple[str, ...] = currencies.DEFAULT_SUPPORTED) -> StagedContract:
    """BIL-12: the project's vendor proposes the stages; the project and its customer are what
    project_svc's events said, never what the request claims. Another vendor's project answers as
    a missing one (ORG-7). The proposal binds nothing until the customer accepts it."""
    supplier_id = _supplier_org(actor)
    if not actor.has_role(VENDOR_ADMIN):
        raise NotAllowed("只有项目所属厂商的管理员可以发起分期合同 / Only the project's vendor admin may propose "
                         "a staged contract.")
    currencies.check_supported(body["currency"], supported)
    project = uow.contracts.project(body["project_id"])
    if project is None or project["vendor_id"] != supplier_id:
        raise BillingNotFound(f"项目 {body['project_id']} 不存在 / Project {body['project_id']} was not found.",
                              {"project_id": ["not found"]})
    if body.get("customer_id") not in (None, project["customer_id"]):
        raise BadInput("客户与项目的客户不一致 / customer_id is not the project's customer.",
                       {"customer_id": ["not the project's customer"]})
    contract = StagedContract(
        id=str(uuid.uuid4()), project_id=project["project_id"], customer_id=project["customer_id"],
        supplier_id=supplier_id, currency=body["currency"], terms_days=body["terms_days"],
        overdue_period_days=body["overdue_period_days"],
        stages=[Stage(s["key"], s["name"], positive_amount(s["amount"]), s["milestone_node_key"])
                for s in body["stages"]])
    contract.reached, contract.accepted = uow.contracts.progress(contract.project_id)
    uow.contracts.add(contract)
    _notify(uow, [{"org_id": contract.customer_id}], "billing staged contract proposed",
            {"contract_id": contract.id, "project_id": contract.project_id, "amount": contract.total,
             "currency": contract.currency, "stages": len(contract.stages)},
            f"staged-contract-proposed:{contract.id}")
    uow.commit()
    return contract


def decide_staged_contract(actor: Actor, contract_id: str, accept: bool, now: datetime, uow) -> StagedContract:
    """BIL-12: the project's customer accepts (the stages whose milestones passed fall due now)
    or declines (nothing ever falls due). Only once."""
    contract = uow.contracts.get(contract_id, for_update=True)
    if contract is None or actor.org_id != contract.customer_id:
        raise BillingNotFound(f"分期合同 {contract_id} 不存在 / Contract {contract_id} was not found.")
    customer_org(actor)
    _stages_fell_due(contract, contract.decide(accept, actor.user_id, now), uow)
    uow.contracts.save(contract)
    uow.commit()
    return contract


def list_staged_contracts(actor: Actor, query: dict, uow) -> tuple[list[StagedContract], int]:
    scope = {} if actor.is_operator else (
        {"customer_id": actor.org_id} if actor.org_kind == CUSTOMER else {"supplier_id": actor.org_id})
    return uow.contracts.list(status=query.get("status"), project_id=query.get("project_id"),
                              limit=query["limit"], offset=query["offset"], **scope)


def node_reached(event: dict, data: dict, now: datetime, uow) -> None:
    """project_svc's node_reached: remember the progress; stages whose milestone was passed fall due.

    Remembering is idempotent (a node's index under its key), so the event is claimed only when
    the project has staged contracts whose stages it may make due: nearly every project has none,
    and their events cost no processed_events row. The contracts are locked before the
    claim, so two deliveries of one event still meet on the claim's key one after the other."""
    project_known(data, uow)
    uow.contracts.record_progress(data["project_id"], data["node_key"], data["node_index"])
    contracts = uow.contracts.of_project(data["project_id"])
    if contracts and not uow.claim_event(event, "billing.node_reached"):
        return
    for contract in contracts:
        _stages_fell_due(contract, contract.node_reached(data["node_key"], data["node_index"], now), uow)
        uow.contracts.save(contract)
    uow.commit()


def node_completed(event: dict, data: dict, now: datetime, uow) -> None:
    """project_svc's node_completed: a passed confirm node accepts its milestone at once. Any
    other node is no milestone: it is answered without a transaction (nothing to claim, since
    handling it again changes nothing either)."""
    if data["node_kind"] != CONFIRM:
        return
    if not uow.claim_event(event, "billing.node_completed"):
        return
    uow.contracts.record_passed(data["project_id"], data["node_key"])
    for contract in uow.contracts.of_project(data["project_id"]):
        _stages_fell_due(contract, contract.milestone_passed(data["node_key"], now), uow)
        uow.contracts.save(contract)
    uow.commit()


def _stages_fell_due(contract: StagedContract, fell_due: list[Stage], uow) -> None:
    for stage in fell_due:
        uow.emit("payment_stage_due", {
            "contract_id": contract.id, "project_id": contract.project_id, "customer_id": contract.customer_id,
            "supplier_id": contract.supplier_id, "stage_key": stage.key, "stage_name": stage.name,
            "amount": stage.amount, "currency": contract.currency, "due_at": stage.due_at.isoformat()})
        uow.schedule("billing_stage_overdue", f"{contract.id}:{stage.key}", stage.due_at)


def stage_overdue(contract_id: str, stage_key: str, now: datetime, uow) -> None:
    """Deadline: alert once per overdue period until the stage is paid."""
    contract = uow.contracts.get(contract_id, for_update=True)
    if contract is None:
        return
    alert, again = contract.overdue_alert(stage_key, now)
    stage = contract.stage(stage_key)
    if alert:
        _notify(uow, [{"org_id": contract.customer_id}, {"org_id": contract.supplier_id}],
                "billing payment overdue",
                {"contract_id": contract.id, "project_id": contract.project_id, "stage": stage.name,
                 "amount": stage.amount, "currency": contract.currency, "due_at": stage.due_at.isoformat()},
                f"payment-overdue:{contract.id}:{stage_key}:{stage.alerts_sent}", urgent=True)
    if again is not None:
        uow.schedule("billing_stage_overdue", f"{contract.id}:{stage_key}", again)
    uow.contracts.save(contract)
    uow.commit()


def collect_stage(actor: Actor, contract_id: str, stage_key: str, now: datetime, uow) -> StagedContract:
    """BIL-12: pay a due stage by withholding it from the customer's enterprise payment account
    (the customer itself or the operator asks). The request goes out from a durable deadline;
    asking again while it is under way withholds once."""
    contract = uow.contracts.get(contract_id, for_update=True)
    if contract is None or not (actor.is_operator or actor.org_id == contract.customer_id):
        raise BillingNotFound(f"Contract {contract_id} was not found.")
    customer = uow.customers.get(contract.customer_id) or Customer(contract.customer_id)
    if not customer.onboarded:
        raise NotOnboarded("A stage is paid by withholding: the customer's withholding agreement and its "
                           "confirmed payment account are needed first.",
                           {"customer": ["no confirmed withholding agreement"]})
    contract.collect(stage_key)
    uow.ledger.open_accounts(_stage_accounts(contract))
    uow.contracts.save(contract)
    uow.schedule("billing_stage_pay", contract.id, now)
    uow.commit()
    return contract


def _stage_accounts(contract: StagedContract) -> list[Account]:
    ccy = contract.currency
    return [Account(money.customer_account(contract.customer_id, ccy), ccy),
            Account(money.clearing(ccy), ccy, floor=0),
            Account(money.supplier_account(contract.supplier_id, ccy), ccy)]


def next_stage_payment(contract_id: str, uow, now: datetime | None = None) -> tuple[PaymentRequest, bool] | None:
    """Like ``next_payment`` for a contract's stages: a step found ``sent`` is queried first."""
    contract = uow.contracts.get(contract_id, for_update=True)
    found = contract.next_step() if contract else None
    if found is None:
        return None
    step = found[1]
    must_query = step.status == SENT
    if not must_query:
        contract.mark_sent(step.key, now)
        uow.contracts.save(contract)
        uow.commit()
    return contract.request_for(step), must_query


def record_stage_payment(contract_id: str, key: str, succeeded: bool, provider_ref: str | None, now: datetime,
                         uow, policy: RetryPolicy = DEFAULT_POLICY) -> StagedContract:
    """The provider's final answer for a stage's step: one balanced transfer per key; a paid stage
    stops its overdue alerts; a failed withholding tells both parties and leaves the stage due; a
    refused payout goes again after a back-off, or stops (stuck, the operator and the supplier
    told) when its budget is spent."""
    contract = uow.contracts.get(contract_id, for_update=True)
    if contract is None:
        raise BillingNotFound(f"Contract {contract_id} was not found.")
    _settle_stage_step(contract, key, lambda: contract.answer(key, succeeded, now, provider_ref, policy), now, uow,
                       policy)
    uow.commit()
    return contract


def _settle_stage_step(contract: StagedContract, key: str, settle, now: datetime, uow, policy: RetryPolicy) -> None:
    """Apply ``settle()`` (an answer or the operator's action) to a stage's step: its transfers,
    money events, alerts and the next step, in the caller's transaction."""
    found = contract.step(key)
    ledger = uow.ledger.load([a.id for a in _stage_accounts(contract)], [key],
                             lock=chain.floored_debits(found[1].kind if found else None, "", contract.currency))
    # an open or stuck step answered now (a reply, a late notice, the operator's fail) moved money
    settles_now = found is not None and found[1].status in (TO_SEND, SENT, "stuck")
    outcome = settle()
    if settles_now and found[1].status in ("succeeded", "failed"):
        finance.money_moved(uow, found[1], found[1].status == "succeeded", customer_id=contract.customer_id,
                            supplier_id=contract.supplier_id, currency=contract.currency, contract_id=contract.id,
                            stage_key=found[0].key)
    for transfer_key, postings in outcome.transfers:
        ledger.transfer(transfer_key, postings, contract.currency, now, memo=f"contract {contract.id}")
    uow.ledger.save(ledger)
    found = contract.step(key)
    if found is not None and found[0].status == PAID:
        uow.cancel_deadline("billing_stage_overdue", f"{contract.id}:{found[0].key}")
    for _, data in outcome.events:
        stage = contract.stage(data["stage_key"])
        _notify(uow, [{"org_id": contract.customer_id}, {"org_id": contract.supplier_id}],
                "billing stage withholding failed",
                {"contract_id": contract.id, "project_id": contract.project_id, "stage": stage.name,
                 "amount": stage.amount, "currency": contract.currency, "attempt": data["attempt"]},
                f"stage-withholding-failed:{key}", urgent=True)
    for step in outcome.stuck:
        _alert_stage_stuck(contract, step, uow)
    if contract.next_step() is not None:
        uow.schedule("billing_stage_pay", contract.id,
                     now + policy.backoff(outcome.retry_after) if outcome.retry_after else now)
    uow.contracts.save(contract)


def _alert_stage_stuck(contract: StagedContract, step: PaymentStep, uow) -> None:
    """A stage's step stopped for the operator: the operator who looks after the customer's money
    is told, and the supplier for its payouts (the order's template, the contract in place of the
    order)."""
    stage = next(stage for stage in contract.stages if step in stage.steps)
    customer = uow.customers.get(contract.customer_id) or Customer(contract.customer_id)
    receivers = _operator_receivers(customer)
    if step.kind != WITHHOLD:
        receivers.append({"org_id": contract.supplier_id})
    _notify(uow, receivers, "billing payment step stuck",
            {"order_id": contract.id, "contract_id": contract.id,
             "step": f"分期合同“{stage.name}”的{STEP_NAMES.get(step.kind, step.kind)}", "step_key": step.key,
             "amount": step.amount, "currency": contract.currency},
            f"step-stuck:{step.key}:{len(stage.operator_actions)}", urgent=True)


def stage_payment_unanswered(contract_id: str, key: str, now: datetime, uow, policy: RetryPolicy = DEFAULT_POLICY,
                             processing: bool = False) -> datetime | None:
    """As ``payment_unanswered`` for a stage's step: asked again after a back-off, or stuck (the
    operator told) when its budget or its answer deadline is spent. Returns when it is asked again."""
    contract = uow.contracts.get(contract_id, for_update=True)
    if contract is None:
        return None
    again = contract.unanswered(key, now, policy, processing)
    found = contract.step(key)
    if again is not None:
        uow.schedule("billing_stage_pay", contract.id, again)
    elif found is not None and found[1].status == "stuck":
        _alert_stage_stuck(contract, found[1], uow)
        if contract.next_step() is not None:
            uow.schedule("billing_stage_pay", contract.id, now)
    uow.contracts.save(contract)
    uow.commit()
    return again


def stuck_staged_contracts(actor: Actor, query: dict, uow) -> tuple[list[StagedContract], int]:
    """Staged contracts with a payment step stopped for the operator (BIL-6, BIL-12)."""
    if not actor.is_operator:
        raise NotAllowed("Only the platform operator sees stuck payment steps.")
    return uow.contracts.stuck(limit=query["limit"], offset=query["offset"])


def stage_step_to_resolve(actor: Actor, contract_id: str, key: str, action: str, uow) -> str | None:
    """As ``step_to_resolve``: the stage's step to ask the provider about before failing or voiding."""
    if not actor.is_operator:
        raise NotAllowed("Only the platform operator may retry, fail or void a payment step.")
    contract = uow.contracts.get(contract_id)
    if contract is None:
        raise BillingNotFound(f"Contract {contract_id} was not found.")
    found = contract.step(key)
    if action != "retry" and found is not None and found[1].status == "stuck" and found[1].was_sent:
        return key
    return None


def resolve_stage_step(actor: Actor, contract_id: str, key: str, action: str, now: datetime, uow,
                       policy: RetryPolicy = DEFAULT_POLICY, known: bool | None = None) -> tuple[StagedContract, bool]:
    """retry | fail | void a stuck step of a stage, recorded in its stage's operator actions and
    audited (``payment_step_resolved``). ``known``: the provider's own final answer, found when
    asked first; it settles the step instead. A second click of the same action changes nothing."""
    if not actor.is_operator:
        raise NotAllowed("Only the platform operator may retry, fail or void a payment step.")
    contract = uow.contracts.get(contract_id, for_update=True)
    if contract is None:
        raise BillingNotFound(f"Contract {contract_id} was not found.")
    found = contract.step(key)
    if known is not None and found is not None:
        def settle():
            outcome = contract.answer(key, known, now, policy=policy)
            found[0].record_action(key, action, actor.user_id, now, note=(
                f"the provider answered {'succeeded' if known else 'failed'}: applied its answer"))
            return outcome
    else:
        def settle():
            return contract.resolve_step(key, action, actor.user_id, now)
        if found is not None and found[1].status != "stuck" and found[0].last_action(key) == action:
            return contract, False
    _settle_stage_step(contract, key, settle, now, uow, policy)
    stage = contract.step(key)[0]
    uow.emit("payment_step_resolved", {
        "order_id": contract.id, "customer_id": contract.customer_id, "supplier_id": contract.supplier_id,
        "step_key": key, "action": action, "note": stage.operator_actions[-1]["note"],
        "operator_user_id": actor.user_id, "operator_org_id": actor.org_id})
    uow.commit()
    return contract, True


def get_staged_contract(actor: Actor, contract_id: str, uow) -> StagedContract:
    contract = uow.contracts.get(contract_id)
    if contract is None or not (actor.is_operator or actor.org_id in (contract.customer_id, contract.supplier_id)):
        raise BillingNotFound(f"Contract {contract_id} was not found.")
    if not actor.is_operator:      # the parties see what the operator did, not which of its people did it
        for stage in contract.stages:
            stage.operator_actions = [{k: v for k, v in a.items() if k != "by"} for a in stage.operator_actions]
    return contract


# --- statements and reconciliation (BIL-11) ------------------------------------------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def daily_statement(actor: Actor, query: dict, uow) -> dict:
    start, end = _day_bounds(query["day"])
    filters = {"customer_id": query.get("customer_id"), "supplier_id": query.get("supplier_id")}
    filters.update(order_scope(actor))
    orders, _ = uow.orders.list(**filters, day_from=start, day_to=end, sort="created_at", limit=100_000)
    return statements.statement(query["day"], orders)


def reports_to_fetch(day: date, posted: dict, uow) -> dict[str, str | None]:
    """BIL-11: every supplier with orders that day and no report posted with the request, and the
    URL its report is fetched from (None: it has not configured one)."""
    start, end = _day_bounds(day)
    orders, _ = uow.orders.list(day_from=start, day_to=end, sort="created_at", limit=100_000)
    suppliers = sorted({o.supplier_id for o in orders} - set(posted))
    return uow.suppliers.report_urls(suppliers) if suppliers else {}


def reconcile(day: date, settlement: list[dict], supplier_reports: dict, uow,
              report_sources: dict[str, str] | None = None) -> dict:
    """The ledger against the provider's settlement file, the orders against every supplier's report
    (fetched or posted); a supplier with orders and no report is itself a mismatch."""
    start, end = _day_bounds(day)
    orders, _ = uow.orders.list(day_from=start, day_to=end, sort="created_at", limit=100_000)
    sources = {s: "posted" for s in supplier_reports}
    sources.update(report_sources or {})
    checked, mismatches = statements.reconcile(uow.ledger.transfers_between(start, end), settlement, orders,
                                               supplier_reports, sources)
    return {"day": day, "checked": checked, "mismatches": mismatches, "reports": sources}
