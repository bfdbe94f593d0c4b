"""Signing in and out (GW-2, ORG-4): log-in, refresh-token rotation, log-out, password change.

Refusals that must leave a trace (a failed log-in, a reused refresh token) commit the trace
first and raise afterwards; a plain raise would roll it back with everything else.
"""
from __future__ import annotations

from identity_svc.domain import access, audit, login_limits, passwords
from identity_svc.domain.ports import IssuedAccess, Sessions
from identity_svc.domain.signin import REFRESH_TOKEN_DAYS, Presented, SignIn, hash_refresh_token
from identity_svc.domain.users import User, login_key
from identity_svc.exceptions import (
    AccountDeactivated,
    BadCredentials,
    BadRefreshToken,
    InvalidValue,
    NotAllowedNow,
    SignInRefused,
    TooManyFailedLogins,
)
from identity_svc.handlers.shared import end_every_sign_in, new_id
from platform_contracts.actor import Actor
from platform_kit.clock import utcnow


def _token_pair(issued: IssuedAccess, refresh_token: str, user: User) -> dict:
    return {"access_token": issued.token, "token_type": "Bearer", "expires_in": issued.expires_in,
            "refresh_token": refresh_token, "refresh_expires_in": REFRESH_TOKEN_DAYS * 86400,
            "must_change_password": user.must_change_password}


def _issue(uow, sessions: Sessions, user: User, now) -> IssuedAccess:
    actor = Actor(user.id, user.org_id, uow.organisations.kind_of(user.org_id), tuple(user.roles), user.department_id)
    return sessions.tokens.issue(actor, must_change_password=user.must_change_password, now=now)


def _refuse_if_blocked(sessions: Sessions, counters: list[login_limits.Counter]) -> None:
    blocked = login_limits.blocking(sessions.failures.read(counters))
    if blocked:
        limit, seconds = blocked
        raise TooManyFailedLogins(login_limits.retry_message(limit, seconds), seconds)


def login(cmd: dict, uow, sessions: Sessions) -> dict:
    """Check the password, count failures (per account, per account and address, per address),
    start a sign-in and return its token pair."""
    address = cmd["client_address"]
    counters = login_limits.counters(login_key(cmd["login_name"]), address)
    _refuse_if_blocked(sessions, counters)
    user = uow.users.by_login(cmd["login_name"], for_update=True)
    # verified even for an unknown login name, so that timing does not tell which it was
    if not passwords.verify_password(user.password_hash if user else None, cmd["password"]):
        counts = sessions.failures.add_failure(counters)
        locked = any(count == c.limit.max_failures for c, count in zip(counters, counts, strict=True))
        uow.audit.add(audit.entry("login_failed", org_id=user.org_id if user else None, subject_type="user",
                                  subject_id=user.id if user else None, client_address=address,
                                  details={"login_name": cmd["login_name"][:64], "locked": locked,
                                           "reason": "wrong_password" if user else "unknown_login_name"}))
        uow.commit()
        raise BadCredentials()
    if not user.active:
        uow.audit.add(audit.entry("login_failed", org_id=user.org_id, subject_type="user", subject_id=user.id,
                                  client_address=address,
                                  details={"login_name": user.login_name, "reason": "deactivated"}))
        uow.commit()
        raise AccountDeactivated()
    sessions.failures.forget(login_limits.account_counters(user.login_key, address))
    now = utcnow()
    user.signed_in(cmd["password"], now)
    uow.users.save(user)
    issued = _issue(uow, sessions, user, now)
    sign_in, refresh_token = SignIn.begin(new_id(), user.id, new_id(), issued.grant, now)
    uow.signins.add(sign_in)
    uow.audit.add(audit.entry("login_succeeded", actor_user_id=user.id, actor_org_id=user.org_id, org_id=user.org_id,
                              subject_type="user", subject_id=user.id, client_address=address,
                              details={"must_change_password": user.must_change_password}))
    uow.commit()
    return _token_pair(issued, refresh_token, user)


def refresh(cmd: dict, uow, sessions: Sessions) -> dict:
    """Rotate: the presented token is spent and a new pair returned. A spent token presented
    again means someone else holds a copy: that sign-in ends (its refresh tokens and the access
    tokens issued in it), and the refusal is raised after that is committed. The user's other
    sign-ins go on."""
    token_hash = hash_refresh_token(cmd["refresh_token"])
    sign_in = uow.signins.by_token(token_hash, for_update=True)
    if sign_in is None:
        raise BadRefreshToken()
    now = utcnow()
    presented = sign_in.present(token_hash, now)
    if presented is Presented.REUSED:
        revoked = sign_in.end("reuse_detected", now)
        for grant in revoked:
            sessions.revocations.revoke(sign_in.user_id, grant)
        uow.signins.save(sign_in)
        user = uow.users.get(sign_in.user_id)
        uow.audit.add(audit.entry("refresh_token_reused", actor_user_id=sign_in.user_id,
                                  org_id=user.org_id if user else None, subject_type="user",
                                  subject_id=sign_in.user_id,
                                  details={"family_id": sign_in.family_id, "access_tokens_revoked": len(revoked)}))
        uow.commit()
        raise BadRefreshToken()
    if presented is Presented.REVOKED:
        raise BadRefreshToken()
    if presented is Presented.EXPIRED:
        raise BadRefreshToken("The refresh token has expired; sign in again.")
    user = uow.users.get(sign_in.user_id)
    if user is None or not user.active:
        sign_in.end("deactivated", now)
        uow.signins.save(sign_in)
        uow.commit()
        raise BadRefreshToken()
    issued = _issue(uow, sessions, user, now)
    refresh_token = sign_in.rotate(token_hash, new_id(), issued.grant, now)
    uow.signins.save(sign_in)
    uow.commit()
    return _token_pair(issued, refresh_token, user)


def logout(actor: Actor | None, cmd: dict, uow, sessions: Sessions) -> dict:
    """End this sign-in: the access token (until it would expire) and the refresh token's
    sign-in with every access token issued in it.

    Idempotent: an expired or unknown token is simply nothing left to revoke. A token of
    another user than the caller is refused.
    """
    claims = sessions.tokens.read(cmd["access_token"]) if cmd["access_token"] else None
    if claims and actor and claims.user_id != actor.user_id:
        raise InvalidValue("This token is not yours.", {"access_token": ["belongs to another user"]})
    sign_in = None
    if cmd["refresh_token"]:
        sign_in = uow.signins.by_token(hash_refresh_token(cmd["refresh_token"]), for_update=True)
        owner = actor.user_id if actor else (claims.user_id if claims else None)
        if sign_in is not None and owner is not None and sign_in.user_id != owner:
            raise InvalidValue("This token is not yours.", {"refresh_token": ["belongs to another user"]})
    now = utcnow()
    if claims:
        sessions.revocations.revoke(claims.user_id, claims.grant)
    if sign_in is not None:
        for grant in sign_in.end("logout", now):
            sessions.revocations.revoke(sign_in.user_id, grant)
        uow.signins.save(sign_in)
    user_id = claims.user_id if claims else (sign_in.user_id if sign_in is not None else None)
    if user_id:
        user = uow.users.get(user_id)
        uow.audit.add(audit.entry("logout", actor=actor, actor_user_id=user_id, org_id=user.org_id if user else None,
                                  subject_type="user", subject_id=user_id))
    uow.commit()
    return {"logged_out": True}


def change_password(actor: Actor | None, cmd: dict, uow, sessions: Sessions) -> dict:
    """ORG-4: the user's own new password (also the forced change after a one-time password).
    Every sign-in of the user ends: all devices sign in again with the new password."""
    actor = access.require_actor(actor)
    user = uow.users.get(actor.user_id, for_update=True)
    if user is None or not user.active:
        raise SignInRefused("Your account is not active.")
    counters = login_limits.counters(user.login_key, None)
    _refuse_if_blocked(sessions, counters)
    if not user.password_matches(cmd["current_password"]):
        sessions.failures.add_failure(counters)
        raise NotAllowedNow("The current password is not correct.", {"current_password": ["is not correct"]})
    now = utcnow()
    user.choose_password(cmd["current_password"], cmd["new_password"], now)
    uow.users.save(user)
    end_every_sign_in(uow, sessions, user.id, "password_changed", now)
    uow.audit.add(audit.entry("password_changed", actor=actor, org_id=user.org_id, subject_type="user",
                              subject_id=user.id))
    uow.commit()
    return {"changed": True, "sessions_revoked": True, "password_changed_at": now}
