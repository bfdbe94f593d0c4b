"""GW-6, ORG-7: integrator keys of an organisation, and customer admins managing their own users,
as use cases over the fake unit of work."""
import dataclasses
import hashlib
import hmac
from datetime import timedelta

import pytest

from identity_svc.domain import api_keys as domain
from identity_svc.exceptions import (
    ApiKeyNotFound,
    BadApiKey,
    NotAllowedNow,
    NotPermitted,
    OrganisationNotFound,
    UserNotFound,
)
from identity_svc.handlers import api_keys, audit, organisations, users
from platform_contracts.actor import Actor


class Hasher:
    """A keyed hash under the server secret ``kid``; ``accepted``: the server secrets that still verify."""

    def __init__(self, kid, accepted=None):
        self.kid, self.accepted = kid, accepted or (kid,)

    def digest(self, secret):
        return self.kid, hmac.new(self.kid.encode(), secret.encode(), hashlib.sha256).hexdigest()

    def verify(self, secret, kid, digest):
        return kid in self.accepted and hmac.compare_digest(
            hmac.new(kid.encode(), secret.encode(), hashlib.sha256).hexdigest(), digest)

KEY = {"name": "金蝶 ERP", "roles": ["customer"], "expires_in_days": 365, "rate_limit_per_minute": None}


def key_of(world, next_uow, sessions, tenant=None, **cmd):
    tenant = tenant or world.customer
    return api_keys.create_api_key(tenant.actor, {**KEY, **cmd}, next_uow(), sessions)


def authenticate(clear, next_uow, sessions):
    return api_keys.authenticate_api_key({"key": clear}, next_uow(), sessions)


def test_GW6_a_key_is_shown_once_stored_as_a_keyed_hash_and_acts_as_a_service_account_of_its_org(
        world, next_uow, repositories, sessions):
    uow = next_uow()
    key, clear = api_keys.create_api_key(world.customer.actor, dict(KEY), uow, sessions)
    assert uow.committed and clear.startswith(f"dpk_{key.id.replace('-', '')}_")
    secret = clear[len("dpk_") + 32 + 1:]
    stored = repositories["api_keys"].rows[key.id]
    assert secret not in repr(stored) and stored.secret_hash == sessions.key_hasher.digest(secret)[1]
    assert key.prefix == clear[:12] and key.roles == ["customer"] and key.org_id == world.customer.org.id
    assert key.expires_at - key.created_at == timedelta(days=365)
    assert repositories["audit"].actions()[-1] == "api_key_created"

    found = authenticate(clear, next_uow, sessions)
    assert found["actor"] == Actor(key.id, world.customer.org.id, "customer", ("customer",), None, api_key=True)
    assert repositories["api_keys"].rows[key.id].last_used_at is not None


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),   # wrong secret
    lambda c: "dpk_" + "0" * 32 + c[36:],                 # unknown id
    lambda c: "Bearer " + c,                              # not a key at all
    lambda c: "",
])
def test_GW6_a_wrong_or_malformed_key_is_refused_without_saying_which(world, next_uow, sessions, mangle):
    _, clear = key_of(world, next_uow, sessions)
    with pytest.raises(BadApiKey):
        authenticate(mangle(clear), next_uow, sessions)


def test_GW6_a_key_cannot_carry_a_role_its_creator_does_not_hold(world, next_uow, sessions):
    with pytest.raises(NotAllowedNow) as err:
        key_of(world, next_uow, sessions, roles=["customer", "platform_operator"])
    assert "platform_operator" in err.value.fields["roles"][0]
    # an ISV admin holds the two admin roles, not the engineer's: its keys carry what it holds
    with pytest.raises(NotAllowedNow):
        key_of(world, next_uow, sessions, tenant=world.isv, roles=["engineer"])
    key, _ = key_of(world, next_uow, sessions, tenant=world.isv, roles=["provider_admin"])
    assert key.roles == ["provider_admin"]


def test_GW6_only_an_admin_makes_keys_and_a_key_never_makes_keys_or_users(world, next_uow, sessions):
    account = users.create_user(world.customer.actor, {
        "login_name": "buyer.two", "display_name": "Buyer two", "phone": None, "email": None,
        "roles": ["customer"]}, next_uow())
    plain = Actor(account.user.id, world.customer.org.id, "customer", ("customer",))
    with pytest.raises(NotPermitted):
        api_keys.create_api_key(plain, dict(KEY), next_uow(), sessions)
    _, clear = key_of(world, next_uow, sessions, roles=["customer", "customer_admin"])
    as_key = authenticate(clear, next_uow, sessions)["actor"]
    with pytest.raises(NotPermitted) as err:
        api_keys.create_api_key(as_key, dict(KEY), next_uow(), sessions)
    assert "X-Api-Key" in err.value.fields
    with pytest.raises(NotPermitted):
        users.create_user(as_key, {"login_name": "sneaky", "display_name": "x", "phone": None, "email": None,
                                   "roles": ["customer"]}, next_uow())


def test_GW6_ORG7_another_organisations_admin_can_neither_list_nor_revoke_a_key(world, next_uow, sessions):
    key, clear = key_of(world, next_uow, sessions)
    with pytest.raises(ApiKeyNotFound):
        api_keys.revoke_api_key(world.isv.actor, key.id, next_uow(), sessions)
    with pytest.raises(OrganisationNotFound):
        api_keys.list_api_keys(world.isv.actor, {"org_id": world.customer.org.id, "state": None, "limit": 50,
                                                 "offset": 0}, next_uow())
    theirs, total = api_keys.list_api_keys(world.isv.actor, {"org_id": None, "state": None, "limit": 50,
                                                             "offset": 0}, next_uow())
    assert theirs == [] and total == 0
    ours, total = api_keys.list_api_keys(world.customer.actor, {"org_id": None, "state": "active", "limit": 50,
                                                                "offset": 0}, next_uow())
    assert [k.id for k in ours] == [key.id] and total == 1
    assert authenticate(clear, next_uow, sessions)["key"].id == key.id


def test_GW6_revoking_marks_the_key_for_the_gateway_at_once_and_identity_refuses_it_after(
        world, next_uow, sessions, repositories):
    key, clear = key_of(world, next_uow, sessions)
    revoked = api_keys.revoke_api_key(world.customer.actor, key.id, next_uow(), sessions)
    assert revoked.revoked_at is not None and revoked.revoked_by == world.customer.admin.id
    assert domain.revocation_id(key.id) in sessions.revocations.revoked
    with pytest.raises(BadApiKey, match="revoked"):
        authenticate(clear, next_uow, sessions)
    again = api_keys.revoke_api_key(world.customer.actor, key.id, next_uow(), sessions)
    assert again.revoked_at == revoked.revoked_at
    assert repositories["audit"].actions().count("api_key_revoked") == 1
    # the operator may revoke a tenant's leaked key
    other, _ = key_of(world, next_uow, sessions)
    assert api_keys.revoke_api_key(world.operator, other.id, next_uow(), sessions).revoked_at is not None


def test_GW6_an_expired_key_is_refused(world, next_uow, sessions, repositories):
    key, clear = key_of(world, next_uow, sessions, expires_in_days=1)
    row = repositories["api_keys"].rows[key.id]
    row.expires_at = row.created_at - timedelta(seconds=1)
    with pytest.raises(BadApiKey, match="expired"):
        authenticate(clear, next_uow, sessions)


def test_GW6_a_key_hashed_under_a_rotated_server_secret_opens_and_is_hashed_again(
        world, next_uow, repositories, sessions):
    before = dataclasses.replace(sessions, key_hasher=Hasher("old"))
    key, clear = key_of(world, next_uow, before)
    # the old server secret is still among the accepted ones (JWT_PREVIOUS_SECRETS)
    after = dataclasses.replace(sessions, key_hasher=Hasher("new", accepted=("new", "old")))
    authenticate(clear, next_uow, after)
    assert repositories["api_keys"].rows[key.id].hash_kid == "new"
    assert authenticate(clear, next_uow, after)["key"].id == key.id


def test_GW6_the_last_use_is_written_at_most_once_a_minute(world, next_uow, sessions):
    _, clear = key_of(world, next_uow, sessions)
    first = next_uow()
    api_keys.authenticate_api_key({"key": clear}, first, sessions)
    second = next_uow()
    api_keys.authenticate_api_key({"key": clear}, second, sessions)
    assert first.committed and not second.committed


def test_GW6_a_key_is_named_as_a_service_account_in_names_and_the_audit_log(world, next_uow, sessions):
    key, clear = key_of(world, next_uow, sessions)
    names = users.display_names(world.isv.actor, {"org_ids": [], "user_ids": [key.id, world.isv.admin.id]},
                                next_uow())
    assert names["users"] == {key.id: "金蝶 ERP（API 密钥）", world.isv.admin.id: "Main account"}
    as_key = authenticate(clear, next_uow, sessions)["actor"]
    me = users.me(as_key, next_uow())
    assert me["user"]["display_name"] == "金蝶 ERP（API 密钥）" and me["organisation"].id == world.customer.org.id

    revoked_by_admin = api_keys.revoke_api_key(world.customer.actor, key.id, next_uow(), sessions)
    page = audit.audit_log(world.operator, {"actor_user_id": None, "action": None, "org_id": world.customer.org.id,
                                            "since": None, "until": None, "limit": 50, "cursor": None}, next_uow())
    kinds = {(e.action, e.actor_kind, e.actor_name) for e in page["items"]}
    assert ("api_key_revoked", "user", "Main account") in kinds and revoked_by_admin.revoked_by


# --------------------------------------------------------------------------- customer admins

def buyer(world, next_uow, actor=None, roles=("customer",), login="buyer.staff"):
    return users.create_user(actor or world.customer.actor, {
        "login_name": login, "display_name": "买家员工", "phone": None, "email": None, "roles": list(roles)},
        next_uow())


def test_ORG1_a_customer_organisations_main_account_is_its_customer_admin(world):
    assert world.customer.admin.roles == ["customer", "customer_admin"]


def test_ORG4_ORG7_a_customer_admin_creates_deactivates_and_resets_its_own_users(world, next_uow, sessions):
    account = buyer(world, next_uow)
    assert account.user.org_id == world.customer.org.id and account.user.roles == ["customer"]
    assert account.user.department_id is None and account.password
    updated = users.update_user(world.customer.actor, account.user.id, {"active": False}, next_uow(), sessions)
    assert updated.active is False
    reset = users.reset_password(world.customer.actor, account.user.id, next_uow(), sessions)
    assert reset.password and reset.user.must_change_password
    listed, _ = users.list_users(world.customer.actor, {"org_id": None, "department_id": None, "role": None,
                                                        "active": None, "q": None, "limit": 50, "offset": 0},
                                 next_uow())
    assert {u.org_id for u in listed} == {world.customer.org.id} and len(listed) == 2


def test_ORG2_a_customer_admin_gives_only_customer_roles_and_no_second_admin(world, next_uow, sessions):
    with pytest.raises(NotAllowedNow):
        buyer(world, next_uow, roles=("engineer",))
    with pytest.raises(NotAllowedNow):
        buyer(world, next_uow, roles=("customer", "customer_admin"))
    account = buyer(world, next_uow)
    with pytest.raises(NotAllowedNow):
        users.assign_roles(world.customer.actor, account.user.id, {"roles": ["customer_admin"]}, next_uow(),
                           sessions)


def test_ORG7_a_customer_admin_touches_nothing_outside_its_organisation(world, next_uow, sessions):
    isv_user = users.create_user(world.isv.actor, {"login_name": "isv.staff", "display_name": "x", "phone": None,
                                                   "email": None, "roles": ["engineer"]}, next_uow()).user
    with pytest.raises(UserNotFound):
        users.update_user(world.customer.actor, isv_user.id, {"active": False}, next_uow(), sessions)
    with pytest.raises(UserNotFound):
        users.reset_password(world.customer.actor, isv_user.id, next_uow(), sessions)
    with pytest.raises(OrganisationNotFound):
        users.list_users(world.customer.actor, {"org_id": world.isv.org.id, "department_id": None, "role": None,
                                                "active": None, "q": None, "limit": 50, "offset": 0}, next_uow())
    with pytest.raises(NotPermitted):  # the customer directory is for ISVs naming who sees a product
        organisations.customer_directory(world.customer.actor, {"q": "Buyer", "limit": 20, "offset": 0}, next_uow())


def test_ORG7_a_plain_customer_user_cannot_create_users(world, next_uow):
    account = buyer(world, next_uow)
    plain = Actor(account.user.id, world.customer.org.id, "customer", ("customer",))
    with pytest.raises(NotPermitted):
        buyer(world, next_uow, actor=plain, login="another.one")
