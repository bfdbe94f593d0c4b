"""GW-6 against the real database and Redis: a key's row holds only a keyed hash, revocation
writes the mark the gateway reads, lists filter by state, and names resolve to the key."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from platform_contracts.actor import Actor
from platform_kit.auth import TokenClaims
from platform_kit.errors import NotFound, Unauthenticated


def key_row(db, key_id: str) -> dict:
    with db.connect() as conn:
        return dict(conn.execute(text("select * from api_keys where id = :id"), {"id": key_id}).mappings().one())


def as_claims(key_id: str) -> TokenClaims:
    """What the gateway checks for a key: the revocation of ``key-<id>``."""
    now = datetime.now(UTC)
    return TokenClaims(Actor(key_id, "", "", api_key=True), f"key-{key_id}", now, now, False)


def test_GW6_a_key_is_stored_as_a_keyed_hash_authenticates_and_is_revoked_for_the_gateway(
        rpc, new_isv, db, revocations):
    buyer = new_isv("customer")
    created = rpc(buyer.actor).create_api_key({"name": "金蝶 ERP", "roles": ["customer"]})
    key, record = created["key"], created["api_key"]
    secret = key[len("dpk_") + 33:]
    row = key_row(db, record["id"])
    assert secret not in str(row) and len(row["secret_hash"]) == 64 and row["roles"] == ["customer"]
    assert record["state"] == "active" and record["prefix"] == key[:12]

    found = rpc().authenticate_api_key(key)
    assert found["actor"] == {"user_id": record["id"], "org_id": buyer.org["id"], "org_kind": "customer",
                              "roles": ["customer"]}
    assert found["key_id"] == record["id"] and key_row(db, record["id"])["last_used_at"] is not None
    with pytest.raises(Unauthenticated):
        rpc().authenticate_api_key(key[:-2] + ("AA" if not key.endswith("AA") else "BB"))

    assert not revocations.is_revoked(as_claims(record["id"]))
    revoked = rpc(buyer.actor).revoke_api_key(record["id"])
    assert revoked["state"] == "revoked" and revocations.is_revoked(as_claims(record["id"]))
    with pytest.raises(Unauthenticated, match="revoked"):
        rpc().authenticate_api_key(key)


def test_GW6_keys_list_by_state_and_another_tenant_sees_none_of_them(rpc, new_isv):
    buyer, other = new_isv("customer"), new_isv("customer")
    first = rpc(buyer.actor).create_api_key({"name": "Shop", "roles": ["customer"]})["api_key"]
    second = rpc(buyer.actor).create_api_key({"name": "ERP", "roles": ["customer"], "expires_in_days": 30})["api_key"]
    rpc(buyer.actor).revoke_api_key(first["id"])
    page = rpc(buyer.actor).list_api_keys({})
    assert [k["id"] for k in page["items"]] == [second["id"], first["id"]] and page["total"] == 2
    assert [k["id"] for k in rpc(buyer.actor).list_api_keys({"state": "active"})["items"]] == [second["id"]]
    assert [k["id"] for k in rpc(buyer.actor).list_api_keys({"state": "revoked"})["items"]] == [first["id"]]
    assert rpc(other.actor).list_api_keys({})["total"] == 0
    with pytest.raises(NotFound):
        rpc(other.actor).revoke_api_key(second["id"])
    names = rpc(other.actor).display_names({"user_ids": [second["id"]]})
    assert names["users"] == {second["id"]: "ERP（API 密钥）"}


def test_GW6_the_keyed_hash_follows_a_rotation_of_the_server_secret():
    """A key hashed under the previous JWT_SECRET still opens while that secret is listed in
    JWT_PREVIOUS_SECRETS, and not after it was dropped; the hash is keyed (not a plain SHA-256)."""
    import hashlib

    from identity_svc.adapters.sessions import HmacKeyHasher
    from platform_kit.auth import Keyring

    old = HmacKeyHasher(Keyring("the-old-server-secret-0123456789"))
    kid, digest = old.digest("the-key-secret")
    assert digest != hashlib.sha256(b"the-key-secret").hexdigest() and old.verify("the-key-secret", kid, digest)
    assert not old.verify("another-secret", kid, digest)
    rotated = HmacKeyHasher(Keyring("the-new-server-secret-0123456789", ("the-old-server-secret-0123456789",)))
    assert rotated.verify("the-key-secret", kid, digest) and rotated.digest("the-key-secret")[0] != kid
    dropped = HmacKeyHasher(Keyring("the-new-server-secret-0123456789"))
    assert not dropped.verify("the-key-secret", kid, digest)
