"""GW-2, ORG-4: log-in, limits, refresh rotation and reuse, log-out, password change,
as use cases over the fake unit of work."""
from datetime import timedelta

import pytest

from identity_svc.domain.login_limits import ACCOUNT, ACCOUNT_AT_ADDRESS, ADDRESS
from identity_svc.domain.signin import hash_refresh_token
from identity_svc.exceptions import (
    AccountDeactivated,
    BadCredentials,
    BadRefreshToken,
    InvalidValue,
    NotAllowedNow,
    TooManyFailedLogins,
)
from identity_svc.handlers import signin, users
from platform_contracts.actor import Actor

NEW_PASSWORD = "Chosen2026pass"


def login(uow, sessions, name, password, address="10.0.0.1"):
    return signin.login({"login_name": name, "password": password, "client_address": address}, uow, sessions)


def test_GW2_login_starts_a_sign_in_and_returns_a_token_pair(world, next_uow, sessions, repositories):
    uow = next_uow()
    pair = login(uow, sessions, "ISV.Admin", world.isv.password)
    assert uow.committed and pair["token_type"] == "Bearer" and pair["must_change_password"] is True
    actor, grant, pending = sessions.tokens.issued[pair["access_token"]]
    assert actor == world.isv.actor and pending is True
    sign_in = repositories["signins"].by_token(hash_refresh_token(pair["refresh_token"]))
    assert sign_in.user_id == world.isv.admin.id and sign_in.tokens[0].access == grant
    assert repositories["audit"].actions()[-1] == "login_succeeded"
    assert repositories["users"].get(world.isv.admin.id).last_login_at is not None


@pytest.mark.parametrize("name", ["isv.admin", "nobody.at.all"])
def test_GW2_a_failed_log_in_is_counted_and_audited_and_committed_before_it_is_refused(world, next_uow, sessions,
                                                                                       repositories, name):
    uow = next_uow()
    with pytest.raises(BadCredentials) as err:
        login(uow, sessions, name, "Wrong-1234")
    assert err.value.message == "The login name or the password is not correct."
    assert uow.committed, "the audit entry is committed on purpose, then the refusal raised"
    failed = repositories["audit"].entries[-1]
    assert failed.action == "login_failed" and failed.client_address == "10.0.0.1"
    assert failed.details["reason"] == ("wrong_password" if name == "isv.admin" else "unknown_login_name")
    assert sessions.failures.counts == {("account", name): 1, ("account_at_address", f"{name}|10.0.0.1"): 1,
                                        ("address", "10.0.0.1"): 1}


def test_GW2_a_deactivated_account_is_refused_and_the_attempt_audited(world, next_uow, sessions, repositories):
    admin = repositories["users"].get(world.isv.admin.id)
    admin.active = False
    repositories["users"].save(admin)
    uow = next_uow()
    with pytest.raises(AccountDeactivated):
        login(uow, sessions, "isv.admin", world.isv.password)
    assert uow.committed and repositories["audit"].entries[-1].details["reason"] == "deactivated"


def test_GW2_failures_of_one_account_from_one_address_make_only_that_address_wait(world, next_uow, sessions):
    for _ in range(ACCOUNT_AT_ADDRESS.max_failures):
        with pytest.raises(BadCredentials):
            login(next_uow(), sessions, "isv.admin", "Wrong-1234", "10.0.0.1")
    with pytest.raises(TooManyFailedLogins) as err:
        login(next_uow(), sessions, "isv.admin", world.isv.password, "10.0.0.1")
    assert "this account from your address" in err.value.message and err.value.fields["retry_after"] == ["900"]
    assert login(next_uow(), sessions, "isv.admin", world.isv.password, "10.0.0.2")["access_token"]
    assert login(next_uow(), sessions, "customer.admin", world.customer.password, "10.0.0.1")["access_token"]


def test_GW2_failures_of_one_account_from_many_addresses_stop_at_the_account_ceiling(world, next_uow, sessions):
    for n in range(ACCOUNT.max_failures):
        with pytest.raises(BadCredentials):
            login(next_uow(), sessions, "isv.admin", "Wrong-1234", f"10.0.1.{n}")
    with pytest.raises(TooManyFailedLogins) as err:
        login(next_uow(), sessions, "isv.admin", world.isv.password, "10.0.2.1")
    assert "for this account." in err.value.message


def test_GW2_one_shared_address_does_not_lock_out_everyone_behind_it(world, next_uow, sessions):
    for n in range(2 * ACCOUNT_AT_ADDRESS.max_failures):  # colleagues mistyping, or unknown names
        with pytest.raises(BadCredentials):
            login(next_uow(), sessions, f"colleague-{n % 3}", "Wrong-1234", "10.9.9.9")
    assert login(next_uow(), sessions, "isv.admin", world.isv.password, "10.9.9.9")["access_token"]
    # up to one below the address's own ceiling, many more of them
    sessions.failures.counts[("address", "10.9.9.9")] = ADDRESS.max_failures - 1
    assert login(next_uow(), sessions, "isv.admin", world.isv.password, "10.9.9.9")["access_token"]
    with pytest.raises(BadCredentials):
        login(next_uow(), sessions, "someone", "Wrong-1234", "10.9.9.9")
    with pytest.raises(TooManyFailedLogins) as err:
        login(next_uow(), sessions, "customer.admin", world.customer.password, "10.9.9.9")
    assert "this address" in err.value.message


def test_GW2_a_success_forgets_the_accounts_failures(world, next_uow, sessions):
    for _ in range(ACCOUNT_AT_ADDRESS.max_failures - 1):
        with pytest.raises(BadCredentials):
            login(next_uow(), sessions, "isv.admin", "Wrong-1234")
    login(next_uow(), sessions, "isv.admin", world.isv.password)
    for _ in range(ACCOUNT_AT_ADDRESS.max_failures - 1):
        with pytest.raises(BadCredentials):
            login(next_uow(), sessions, "isv.admin", "Wrong-1234")
    assert login(next_uow(), sessions, "isv.admin", world.isv.password)["access_token"]


def test_GW2_refresh_rotates_the_token_within_the_same_sign_in(world, next_uow, sessions, repositories):
    first = login(next_uow(), sessions, "isv.admin", world.isv.password)
    uow = next_uow()
    second = signin.refresh({"refresh_token": first["refresh_token"]}, uow, sessions)
    assert uow.committed and second["refresh_token"] != first["refresh_token"]
    sign_in = repositories["signins"].by_token(hash_refresh_token(second["refresh_token"]))
    assert [t.revoked_reason for t in sign_in.tokens] == ["rotated", None]
    assert sign_in.tokens[0].replaced_by == sign_in.tokens[1].id


def test_GW2_refresh_token_reuse_ends_exactly_that_sign_in(world, next_uow, sessions, repositories):
    phone = login(next_uow(), sessions, "isv.admin", world.isv.password)
    laptop = login(next_uow(), sessions, "isv.admin", world.isv.password)
    rotated = signin.refresh({"refresh_token": laptop["refresh_token"]}, next_uow(), sessions)
    uow = next_uow()
    with pytest.raises(BadRefreshToken):
        signin.refresh({"refresh_token": laptop["refresh_token"]}, uow, sessions)
    assert uow.committed, "the end of the sign-in and its audit entry are committed, then refused"
    grants = sessions.tokens.grant
    assert sessions.revocations.revoked == {grants(laptop["access_token"]).jti, grants(rotated["access_token"]).jti}
    assert sessions.revocations.not_before == {}, "the user's other sign-ins keep working"
    with pytest.raises(BadRefreshToken):
        signin.refresh({"refresh_token": rotated["refresh_token"]}, next_uow(), sessions)
    assert signin.refresh({"refresh_token": phone["refresh_token"]}, next_uow(), sessions)["access_token"]
    reused = [e for e in repositories["audit"].entries if e.action == "refresh_token_reused"]
    assert len(reused) == 1 and reused[0].details["access_tokens_revoked"] == 2


def test_GW2_an_unknown_or_expired_refresh_token_is_refused(world, next_uow, sessions, repositories):
    with pytest.raises(BadRefreshToken):
        signin.refresh({"refresh_token": "not-a-token"}, next_uow(), sessions)
    pair = login(next_uow(), sessions, "isv.admin", world.isv.password)
    sign_in = repositories["signins"].by_token(hash_refresh_token(pair["refresh_token"]))
    sign_in.tokens[0].expires_at -= timedelta(days=31)
    repositories["signins"].save(sign_in)
    with pytest.raises(BadRefreshToken) as err:
        signin.refresh({"refresh_token": pair["refresh_token"]}, next_uow(), sessions)
    assert "expired" in err.value.message


def test_GW2_logout_ends_that_sign_in_and_only_that_one(world, next_uow, sessions, repositories):
    pair = login(next_uow(), sessions, "isv.admin", world.isv.password)
    other = login(next_uow(), sessions, "isv.admin", world.isv.password)
    uow = next_uow()
    result = signin.logout(world.isv.actor, {"access_token": pair["access_token"],
                                             "refresh_token": pair["refresh_token"]}, uow, sessions)
    assert result == {"logged_out": True} and uow.committed
    assert sessions.revocations.revoked == {sessions.tokens.grant(pair["access_token"]).jti}
    with pytest.raises(BadRefreshToken):
        signin.refresh({"refresh_token": pair["refresh_token"]}, next_uow(), sessions)
    assert signin.refresh({"refresh_token": other["refresh_token"]}, next_uow(), sessions)["access_token"]
    assert repositories["audit"].actions()[-1] == "logout"


def test_GW2_nobody_logs_out_another_users_token(world, next_uow, sessions):
    pair = login(next_uow(), sessions, "customer.admin", world.customer.password)
    with pytest.raises(InvalidValue) as err:
        signin.logout(world.isv.actor, {"access_token": pair["access_token"], "refresh_token": None}, next_uow(),
                      sessions)
    assert "access_token" in err.value.fields
    with pytest.raises(InvalidValue) as err:
        signin.logout(world.isv.actor, {"access_token": None, "refresh_token": pair["refresh_token"]}, next_uow(),
                      sessions)
    assert "refresh_token" in err.value.fields


def test_ORG4_a_password_change_ends_every_sign_in_of_the_user(world, next_uow, sessions, repositories):
    pair = login(next_uow(), sessions, "isv.admin", world.isv.password)
    uow = next_uow()
    result = signin.change_password(world.isv.actor, {"current_password": world.isv.password,
                                                      "new_password": NEW_PASSWORD}, uow, sessions)
    assert uow.committed and result["sessions_revoked"] is True
    assert sessions.revocations.not_before[world.isv.admin.id] == result["password_changed_at"]
    with pytest.raises(BadRefreshToken):
        signin.refresh({"refresh_token": pair["refresh_token"]}, next_uow(), sessions)
    user = repositories["users"].get(world.isv.admin.id)
    assert user.must_change_password is False and user.password_matches(NEW_PASSWORD)


def test_ORG4_a_wrong_current_password_is_refused_naming_it_and_counted(world, next_uow, sessions):
    uow = next_uow()
    with pytest.raises(NotAllowedNow) as err:
        signin.change_password(world.isv.actor, {"current_password": "nope-1234", "new_password": NEW_PASSWORD},
                               uow, sessions)
    assert err.value.fields == {"current_password": ["is not correct"]} and not uow.committed
    assert sessions.failures.counts == {("account", "isv.admin"): 1}


def test_ORG4_the_new_password_must_meet_the_policy(world, next_uow, sessions):
    with pytest.raises(InvalidValue) as err:
        signin.change_password(world.isv.actor, {"current_password": world.isv.password, "new_password": "short1"},
                               next_uow(), sessions)
    assert "at least 8 characters" in err.value.fields["new_password"][0]


def test_GW2_a_call_without_a_caller_is_unauthenticated(next_uow, sessions):
    from identity_svc.exceptions import SignInRefused
    with pytest.raises(SignInRefused):
        signin.change_password(None, {"current_password": "x", "new_password": "y"}, next_uow(), sessions)
    with pytest.raises(SignInRefused):
        users.me(Actor("ghost", "org", "isv"), next_uow())
