"""Signing in and out: one-time passwords, rate limits, token rotation and revocation (ORG-4, GW-2)."""
import pytest
from sqlalchemy import text

from identity_svc.adapters.sessions import RedisFailureCounters
from identity_svc.domain.login_limits import ACCOUNT, ACCOUNT_AT_ADDRESS, ADDRESS, Counter
from platform_kit.errors import RateLimited, Unauthenticated, Unprocessable, ValidationFailed


def stored_user(db, user_id: str) -> dict:
    with db.connect() as conn:
        return dict(conn.execute(text("select * from users where id = :id"), {"id": user_id}).mappings().one())


def test_ORG4_new_user_password_is_shown_once_and_must_be_changed(rpc, isv, new_employee, db, random_address, actor_of,
                                                                  decode):
    user, password = new_employee(isv, roles=["designer"])
    assert len(password) == 8 and user["must_change_password"] is True
    assert "password" not in rpc(isv.actor).get_user(user["id"])
    assert all("password" not in item for item in rpc(isv.actor).list_users({"q": user["login_name"]})["items"])

    tokens = rpc().login(user["login_name"], password, random_address())
    assert tokens["must_change_password"] is True and tokens["token_type"] == "Bearer"
    assert decode(tokens["access_token"]).must_change_password is True

    rpc(actor_of(user)).change_password({"current_password": password, "new_password": "NewSecret42"})
    again = rpc().login(user["login_name"], "NewSecret42", random_address())
    assert again["must_change_password"] is False
    assert stored_user(db, user["id"])["must_change_password"] is False


def test_ORG4_only_an_argon2id_hash_is_stored(isv, new_employee, db):
    user, password = new_employee(isv)
    row = stored_user(db, user["id"])
    assert row["password_hash"].startswith("$argon2id$") and password not in row["password_hash"]


def test_GW2_login_returns_a_bearer_token_carrying_the_actor_and_a_refresh_token(rpc, isv, sign_in, new_employee,
                                                                                 random_address, actor_of, decode):
    user, one_time = new_employee(isv, roles=["engineer", "support_agent"])
    password = sign_in(user, one_time)
    tokens = rpc().login(user["login_name"].upper(), password, random_address())
    claims = decode(tokens["access_token"])
    assert claims.actor == actor_of(user)
    assert tokens["expires_in"] == 900 and tokens["refresh_expires_in"] == 30 * 86400
    assert len(tokens["refresh_token"]) >= 40


def test_GW2_unknown_user_and_wrong_password_get_the_same_answer(rpc, isv, unique, random_address):
    with pytest.raises(Unauthenticated) as unknown:
        rpc().login(unique("nobody"), "Whatever123", random_address())
    with pytest.raises(Unauthenticated) as wrong:
        rpc().login(isv.admin["login_name"], "Whatever123", random_address())
    assert unknown.value.message == wrong.value.message == "The login name or the password is not correct."


def test_GW2_failed_logins_are_limited_per_account_from_any_address(rpc, isv, new_employee, random_address):
    user, password = new_employee(isv)
    for _ in range(ACCOUNT.max_failures):
        with pytest.raises(Unauthenticated):
            rpc().login(user["login_name"], "Wrong-1234", random_address())
    with pytest.raises(RateLimited) as err:
        rpc().login(user["login_name"], password, random_address())  # even the right password waits
    assert "for this account." in err.value.message and "Try again in 15 minutes" in err.value.message


def test_GW2_failed_logins_of_one_account_from_one_address_make_only_that_address_wait(rpc, isv, new_employee,
                                                                                        random_address):
    user, password = new_employee(isv)
    address = random_address()
    for _ in range(ACCOUNT_AT_ADDRESS.max_failures):
        with pytest.raises(Unauthenticated):
            rpc().login(user["login_name"], "Wrong-1234", address)
    with pytest.raises(RateLimited) as err:
        rpc().login(user["login_name"], password, address)
    assert "for this account from your address" in err.value.message
    # the user, elsewhere, signs in; so does a colleague behind the same address
    assert rpc().login(user["login_name"], password, random_address())["access_token"]
    colleague, colleagues_password = new_employee(isv)
    assert rpc().login(colleague["login_name"], colleagues_password, address)["access_token"]


def test_GW2_a_shared_address_is_limited_only_at_a_much_higher_ceiling(rpc, isv, new_employee, unique, random_address,
                                                                      redis_client, platform_config):
    user, password = new_employee(isv)
    address = random_address()
    for _ in range(ACCOUNT_AT_ADDRESS.max_failures):  # several people behind one office address mistype
        with pytest.raises(Unauthenticated):
            rpc().login(unique("typo"), "Wrong-1234", address)
    assert rpc().login(user["login_name"], password, address)["access_token"]
    # the address's own ceiling: counted to one below it (a hundred real log-ins would take long)
    counters = RedisFailureCounters(redis_client, f"{platform_config['REDIS_KEY_PREFIX']}:identity:login_failures")
    for _ in range(ADDRESS.max_failures - ACCOUNT_AT_ADDRESS.max_failures - 1):
        counters.add_failure([Counter(ADDRESS, address)])
    with pytest.raises(Unauthenticated):
        rpc().login(unique("guess"), "Wrong-1234", address)
    with pytest.raises(RateLimited) as err:
        rpc().login(user["login_name"], password, address)
    assert "for this address" in err.value.message
    assert rpc().login(user["login_name"], password, random_address())["access_token"]


def test_GW2_a_deactivated_user_cannot_log_in(rpc, isv, new_employee, random_address):
    user, password = new_employee(isv)
    rpc(isv.actor).update_user(user["id"], {"active": False})
    with pytest.raises(Unauthenticated) as err:
        rpc().login(user["login_name"], password, random_address())
    assert "deactivated" in err.value.message


def test_GW2_refresh_rotates_the_token_and_reuse_revokes_the_whole_family(rpc, operator, isv, sign_in, new_employee,
                                                                          revocations, random_address, decode):
    user, one_time = new_employee(isv)
    password = sign_in(user, one_time)
    first = rpc().login(user["login_name"], password, random_address())
    second = rpc().refresh(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert decode(second["access_token"]).actor.user_id == user["id"]

    with pytest.raises(Unauthenticated):
        rpc().refresh(first["refresh_token"])  # replayed: someone holds a copy
    with pytest.raises(Unauthenticated):
        rpc().refresh(second["refresh_token"])  # so the legitimate successor dies too
    assert revocations.is_revoked(decode(second["access_token"]))
    assert revocations.is_revoked(decode(first["access_token"]))
    reused = rpc(operator).audit_log({"action": "refresh_token_reused", "actor_user_id": user["id"]})["items"]
    assert len(reused) == 1


def test_GW2_refresh_token_reuse_ends_that_sign_in_only_not_the_users_other_sign_ins(
        rpc, isv, sign_in, new_employee, revocations, random_address, decode):
    user, one_time = new_employee(isv)
    password = sign_in(user, one_time)
    phone = rpc().login(user["login_name"], password, random_address())
    laptop = rpc().login(user["login_name"], password, random_address())
    rotated = rpc().refresh(laptop["refresh_token"])
    with pytest.raises(Unauthenticated):
        rpc().refresh(laptop["refresh_token"])
    assert revocations.is_revoked(decode(rotated["access_token"]))
    assert not revocations.is_revoked(decode(phone["access_token"]))
    assert rpc().refresh(phone["refresh_token"])["access_token"]


def test_GW2_an_unknown_refresh_token_is_refused(rpc):
    with pytest.raises(Unauthenticated):
        rpc().refresh("not-a-token")


def test_GW2_logout_revokes_the_access_token_and_the_refresh_token(rpc, isv, sign_in, new_employee, revocations,
                                                                   random_address, actor_of, decode):
    user, one_time = new_employee(isv)
    password = sign_in(user, one_time)
    tokens = rpc().login(user["login_name"], password, random_address())
    claims = decode(tokens["access_token"])
    assert not revocations.is_revoked(claims)
    assert rpc(actor_of(user)).logout(tokens["access_token"], tokens["refresh_token"]) == {"logged_out": True}
    assert revocations.is_revoked(claims)
    with pytest.raises(Unauthenticated):
        rpc().refresh(tokens["refresh_token"])


def test_GW2_nobody_logs_out_another_users_token(rpc, isv, new_employee, random_address):
    user, password = new_employee(isv)
    tokens = rpc().login(user["login_name"], password, random_address())
    with pytest.raises(ValidationFailed) as err:
        rpc(isv.actor).logout(tokens["access_token"], None)
    assert "access_token" in err.value.fields


def test_ORG4_password_change_checks_the_current_password_and_the_policy(rpc, isv, new_employee, actor_of):
    user, one_time = new_employee(isv)
    me = rpc(actor_of(user))
    with pytest.raises(Unprocessable) as err:
        me.change_password({"current_password": "not-it-123", "new_password": "Fine12345"})
    assert err.value.fields == {"current_password": ["is not correct"]}
    with pytest.raises(ValidationFailed) as err:
        me.change_password({"current_password": one_time, "new_password": "short1"})
    assert "at least 8 characters" in err.value.fields["new_password"][0]
    with pytest.raises(ValidationFailed) as err:
        me.change_password({"current_password": one_time, "new_password": one_time})
    assert "must differ from the current password" in err.value.fields["new_password"]
    with pytest.raises(ValidationFailed) as err:
        me.change_password({"current_password": one_time, "new_password": "Fine12345", "user_id": isv.admin["id"]})
    assert err.value.fields == {"user_id": ["Unknown field."]}


def test_ORG4_password_change_revokes_every_token_of_the_user(rpc, isv, new_employee, revocations, random_address,
                                                              actor_of, decode):
    user, one_time = new_employee(isv)
    tokens = rpc().login(user["login_name"], one_time, random_address())
    claims = decode(tokens["access_token"])
    rpc(actor_of(user)).change_password({"current_password": one_time, "new_password": "Another987"})
    assert revocations.is_revoked(claims)
    with pytest.raises(Unauthenticated):
        rpc().refresh(tokens["refresh_token"])
    with pytest.raises(Unauthenticated):
        rpc().login(user["login_name"], one_time, random_address())


def test_ORG4_admin_reset_shows_a_new_password_once_and_ends_the_users_sessions(rpc, isv, sign_in, new_employee,
                                                                                revocations, random_address, decode):
    user, one_time = new_employee(isv)
    password = sign_in(user, one_time)
    tokens = rpc().login(user["login_name"], password, random_address())
    reset = rpc(isv.actor).reset_password(user["id"])
    assert len(reset["password"]) == 8 and reset["user"]["must_change_password"] is True
    assert revocations.is_revoked(decode(tokens["access_token"]))
    with pytest.raises(Unauthenticated):
        rpc().refresh(tokens["refresh_token"])
    with pytest.raises(Unauthenticated):
        rpc().login(user["login_name"], password, random_address())
    assert rpc().login(user["login_name"], reset["password"], random_address())["must_change_password"] is True


def test_ORG4_the_operator_may_reset_any_accounts_password_but_nobody_their_own(rpc, operator, isv):
    assert len(rpc(operator).reset_password(isv.admin["id"])["password"]) == 8
    with pytest.raises(Exception) as err:
        rpc(isv.actor).reset_password(isv.admin["id"])
    assert "change_password" in str(err.value)
