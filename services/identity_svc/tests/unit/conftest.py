"""In-memory fakes of identity's repositories and of its Redis/JWT parts, for handler tests.

Repositories hand out copies and keep only what is saved, so a handler that forgets to save
(or to commit) is caught. Fixtures: ``uow`` (a FakeUnitOfWork with every repository),
``sessions`` (fake tokens, revocations and failure counters), and ``world``: a seeded operator,
an ISV with its admin and root department, and a customer organisation.
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher, Type

from identity_svc.domain import passwords
from identity_svc.domain.departments import DepartmentTree
from identity_svc.domain.login_limits import Counter
from identity_svc.domain.ports import AccessClaims, IssuedAccess, Sessions
from identity_svc.domain.signin import AccessGrant
from identity_svc.domain.users import login_key
from identity_svc.handlers import organisations
from platform_contracts.actor import Actor
from platform_contracts.roles import CUSTOMER, ISV, OPERATOR, PLATFORM_OPERATOR
from platform_kit.testing import FakeUnitOfWork

OPERATOR_PASSWORD = "Operator2024"


class FakeOrganisations:
    def __init__(self):
        self.rows = {}

    def get(self, org_id, *, for_update=False):
        return copy.deepcopy(self.rows.get(org_id))

    def by_name(self, name):
        from identity_svc.domain.organisations import name_key
        return next((copy.deepcopy(o) for o in self.rows.values() if o.name_key == name_key(name)), None)

    def operator(self, *, exclusive=False):
        return next((copy.deepcopy(o) for o in self.rows.values() if o.kind == OPERATOR), None)

    def kind_of(self, org_id):
        return self.rows[org_id].kind

    def add(self, org):
        self.rows[org.id] = copy.deepcopy(org)

    save = add

    def names(self, org_ids):
        return {i: self.rows[i].name for i in org_ids if i in self.rows}

    def list(self, *, kind, q, limit, offset):
        found = sorted((o for o in self.rows.values() if (not kind or o.kind == kind)
                        and (not q or q.casefold() in o.name.casefold())), key=lambda o: o.name_key)
        return copy.deepcopy(found[offset:offset + limit]), len(found)


class FakeUsers:
    def __init__(self):
        self.rows = {}

    def get(self, user_id, *, for_update=False):
        return copy.deepcopy(self.rows.get(user_id))

    def by_login(self, login_name, *, for_update=False):
        return next((copy.deepcopy(u) for u in self.rows.values() if u.login_key == login_key(login_name)), None)

    def add(self, user):
        self.rows[user.id] = copy.deepcopy(user)

    save = add

    def names(self, user_ids):
        return {i: self.rows[i].display_name for i in user_ids if i in self.rows}

    def counts_by_department(self, org_id):
        counts = {}
        for user in self.rows.values():
            if user.org_id == org_id and user.department_id:
                counts[user.department_id] = counts.get(user.department_id, 0) + 1
        return counts

    def list(self, *, org_id, department_id, role, active, q, limit, offset):
        found = sorted((u for u in self.rows.values()
                        if (not org_id or u.org_id == org_id)
                        and (not department_id or u.department_id == department_id)
                        and (not role or role in u.roles) and (active is None or u.active is active)
                        and (not q or q.casefold() in u.login_name.casefold())), key=lambda u: u.login_key)
        return copy.deepcopy(found[offset:offset + limit]), len(found)


class FakeDepartments:
    def __init__(self):
        self.rows = {}

    def tree(self, org_id, *, for_update=False):
        departments = [copy.deepcopy(d) for d in self.rows.values() if d.org_id == org_id]
        return DepartmentTree(departments, org_id=org_id) if departments else None

    def add_root(self, root):
        self.rows[root.id] = copy.deepcopy(root)

    def save(self, tree):
        for department_id in [*tree.added, *tree.updated]:
            self.rows[department_id] = copy.deepcopy(tree.by_id[department_id])
        for department_id in tree.removed:
            del self.rows[department_id]
        tree.added, tree.updated, tree.removed = [], set(), []


class FakeSignIns:
    def __init__(self):
        self.rows = {}

    def by_token(self, token_hash, *, for_update=True):
        return next((copy.deepcopy(s) for s in self.rows.values()
                     if any(t.token_hash == token_hash for t in s.tokens)), None)

    def live_of_user(self, user_id):
        return [copy.deepcopy(s) for s in self.rows.values() if s.user_id == user_id and not s.ended]

    def add(self, sign_in):
        self.rows[sign_in.family_id] = copy.deepcopy(sign_in)

    save = add


class FakeCalendar:
    def __init__(self):
        self.rows = {}

    def get(self, day, *, for_update=False):
        return copy.deepcopy(self.rows.get(day))

    def put(self, override):
        self.rows[override.day] = copy.deepcopy(override)

    def remove(self, day):
        self.rows.pop(day, None)

    def of_year(self, year):
        return [copy.deepcopy(o) for o in self.rows.values() if o.day.year == year]

    def all(self):
        return [copy.deepcopy(self.rows[d]) for d in sorted(self.rows)]


class FakeAudit:
    def __init__(self):
        self.entries = []

    def add(self, entry):
        entry = copy.deepcopy(entry)
        entry.id = len(self.entries) + 1
        self.entries.append(entry)

    def actions(self):
        return [e.action for e in self.entries]

    def page(self, *, actor_user_id, action, org_id, since, until, limit, cursor):
        found = [e for e in reversed(self.entries) if (not action or e.action == action)
                 and (not actor_user_id or e.actor_user_id == actor_user_id) and (not org_id or e.org_id == org_id)
                 and (not cursor or e.id < int(cursor))]
        items = found[:limit]
        return items, (str(items[-1].id) if len(found) > limit else None)


class FakeApiKeys:
    def __init__(self):
        self.rows = {}

    def get(self, key_id, *, for_update=False):
        return copy.deepcopy(self.rows.get(key_id))

    def add(self, key):
        self.rows[key.id] = copy.deepcopy(key)

    save = add

    def names(self, key_ids):
        return {i: self.rows[i].display_name for i in key_ids if i in self.rows}

    def list(self, *, org_id, state, now, limit, offset):
        found = sorted((k for k in self.rows.values() if k.org_id == org_id and (not state or k.state(now) == state)),
                       key=lambda k: k.created_at, reverse=True)
        return copy.deepcopy(found[offset:offset + limit]), len(found)


class FakeKeyHasher:
    """A keyed hash under a server secret named ``kid`` (the adapter's HMAC is tested on its own)."""

    def __init__(self, kid="k1"):
        self.kid = kid

    def digest(self, secret):
        return self.kid, hmac.new(self.kid.encode(), secret.encode(), hashlib.sha256).hexdigest()

    def verify(self, secret, kid, digest):
        return hmac.compare_digest(hmac.new(kid.encode(), secret.encode(), hashlib.sha256).hexdigest(), digest)


class FakeTokens:
    def __init__(self):
        self.issued: dict[str, tuple[Actor, AccessGrant, bool]] = {}
        self.counter = itertools.count(1)

    def issue(self, actor, *, must_change_password, now):
        token = f"access-{next(self.counter)}"
        grant = AccessGrant(uuid.uuid4().hex, now + timedelta(minutes=15))
        self.issued[token] = (actor, grant, must_change_password)
        return IssuedAccess(token, grant, 900)

    def read(self, token):
        if token not in self.issued:
            return None
        actor, grant, _ = self.issued[token]
        return AccessClaims(actor.user_id, grant)

    def grant(self, token) -> AccessGrant:
        return self.issued[token][1]


class FakeRevocations:
    def __init__(self):
        self.revoked: set[str] = set()
        self.not_before: dict[str, datetime] = {}

    def revoke(self, user_id, grant):
        self.revoked.add(grant.jti)

    def revoke_all_before(self, user_id, moment):
        self.not_before[user_id] = moment


class FakeFailureCounters:
    def __init__(self):
        self.counts: dict[tuple[str, str], int] = {}

    @staticmethod
    def _key(counter: Counter):
        return counter.limit.scope, counter.key

    def read(self, counters):
        return [(c, self.counts.get(self._key(c), 0), c.limit.window_seconds if self._key(c) in self.counts else -2)
                for c in counters]

    def add_failure(self, counters):
        for c in counters:
            self.counts[self._key(c)] = self.counts.get(self._key(c), 0) + 1
        return [self.counts[self._key(c)] for c in counters]

    def forget(self, counters):
        for c in counters:
            self.counts.pop(self._key(c), None)

    def forget_account(self, login_key):
        for key in list(self.counts):
            if key == ("account", login_key) or (key[0] == "account_at_address"
                                                 and key[1].startswith(f"{login_key}|")):
                del self.counts[key]


def new_uow(**repositories) -> FakeUnitOfWork:
    return FakeUnitOfWork("identity", **repositories)


@pytest.fixture
def fast_hashing(monkeypatch):
    """Argon2id with the lowest cost: handler tests hash many passwords, and the hash itself is
    tested with production parameters in test_passwords.py."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID))
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def repositories(fast_hashing):
    return {"organisations": FakeOrganisations(), "users": FakeUsers(), "departments": FakeDepartments(),
            "signins": FakeSignIns(), "calendar": FakeCalendar(), "audit": FakeAudit(),
            "api_keys": FakeApiKeys()}


@pytest.fixture
def next_uow(repositories):
    """A fresh unit of work over the same repositories (one per use case, as in the service)."""
    return lambda: new_uow(**repositories)


@pytest.fixture
def uow(next_uow):
    return next_uow()


@pytest.fixture
def sessions():
    return Sessions(FakeTokens(), FakeRevocations(), FakeFailureCounters(), FakeKeyHasher())


@dataclass
class Tenant:
    org: object
    admin: object
    password: str
    actor: Actor


@dataclass
class World:
    operator: Actor
    isv: Tenant
    customer: Tenant


def _tenant(org, account) -> Tenant:
    user = account.user
    return Tenant(org, user, account.password,
                  Actor(user.id, org.id, org.kind, tuple(user.roles), user.department_id))


@pytest.fixture
def world(next_uow) -> World:
    org, user, _ = organisations.bootstrap_operator({"login_name": "operator", "password": OPERATOR_PASSWORD},
                                                    next_uow())
    operator = Actor(user.id, org.id, OPERATOR, (PLATFORM_OPERATOR,))
    tenants = []
    for kind, name in ((ISV, "Acme ISV"), (CUSTOMER, "Buyer Co")):
        created = organisations.create_organisation(operator, {
            "name": name, "kind": kind, "admin": {"login_name": f"{kind}.admin", "display_name": "Main account",
                                                  "phone": None, "email": None}}, next_uow())
        tenants.append(_tenant(*created))
    return World(operator, *tenants)
