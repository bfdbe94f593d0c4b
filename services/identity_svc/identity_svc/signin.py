"""Signing in and out (GW-2, ORG-4): log-in, refresh-token rotation, log-out, password change.

Refusals that must leave a trace (a failed log-in, a stolen refresh token) are *returned*, not
raised: the unit of work commits the audit entry and the revocations first, and the service
raises the refusal afterwards. A raised error would roll them back with everything else.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from identity_svc import access
from identity_svc.adapters import audit, repository
from identity_svc.adapters.orm import RefreshToken, User
from identity_svc.adapters.sessions import Sessions
from identity_svc.domain import passwords
from identity_svc.domain.login_limits import retry_message
from identity_svc.handlers import revoke_sessions
from platform_contracts.actor import Actor
from platform_kit.auth import ACCESS_TOKEN_MINUTES, decode_access_token, issue_access_token
from platform_kit.clock import utcnow
from platform_kit.db import UnitOfWork
from platform_kit.errors import PlatformError, RateLimited, Unauthenticated, ValidationFailed

REFRESH_TOKEN_DAYS = 30
# one message for an unknown login name and a wrong password: no user enumeration
BAD_CREDENTIALS = "The login name or the password is not correct."
BAD_REFRESH = "The refresh token is not valid; sign in again."


@dataclass(frozen=True)
class Outcome:
    result: dict | None = None
    refusal: PlatformError | None = None


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _tokens(uow: UnitOfWork, sessions: Sessions, user: User, org_kind: str, family_id: str,
            now: datetime) -> tuple[dict, RefreshToken]:
    actor = Actor(user.id, user.org_id, org_kind, tuple(user.roles), user.department_id)
    access_token, _claims = issue_access_token(actor, sessions.secret, must_change_password=user.must_change_password,
                                               now=now)
    refresh_token = secrets.token_urlsafe(32)
    row = RefreshToken(id=str(uuid.uuid4()), family_id=family_id, user_id=user.id,
                       token_hash=hash_refresh_token(refresh_token), issued_at=now,
                       expires_at=now + timedelta(days=REFRESH_TOKEN_DAYS))
    uow.session.add(row)
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_MINUTES * 60,
            "refresh_token": refresh_token, "refresh_expires_in": REFRESH_TOKEN_DAYS * 86400,
            "must_change_password": user.must_change_password}, row


def login(cmd: dict, uow: UnitOfWork, sessions: Sessions) -> Outcome:
    """Check the password, count failures per account and per address, issue the token pair."""
    session = uow.session
    key, address = repository.login_key(cmd["login_name"]), cmd["client_address"]
    blocked = sessions.guard.blocked(key, address)
    if blocked:
        limit, seconds = blocked
        return Outcome(refusal=RateLimited(retry_message(limit, seconds), {"retry_after": [str(seconds)]}))
    user = repository.user_by_login(session, cmd["login_name"], for_update=True)
    if not passwords.verify_password(user.password_hash if user else None, cmd["password"]):
        locked = sessions.guard.record_failure(key, address)
        audit.record(session, "login_failed", org_id=user.org_id if user else None, subject_type="user",
                     subject_id=user.id if user else None,
                     client_address=address,
                     details={"login_name": cmd["login_name"][:64], "locked": locked,
                              "reason": "wrong_password" if user else "unknown_login_name"})
        return Outcome(refusal=Unauthenticated(BAD_CREDENTIALS))
    if not user.active:
        audit.record(session, "login_failed", org_id=user.org_id, subject_type="user", subject_id=user.id,
                     client_address=address,
                     details={"login_name": user.login_name, "reason": "deactivated"})
        return Outcome(refusal=Unauthenticated("This account is deactivated; ask your administrator."))
    sessions.guard.clear_account(key)
    now = utcnow()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(cmd["password"])
    user.last_login_at = now
    result, _row = _tokens(uow, sessions, user, repository.org_kind(session, user.org_id), str(uuid.uuid4()), now)
    audit.record(session, "login_succeeded", actor_user_id=user.id, actor_org_id=user.org_id, org_id=user.org_id,
                 subject_type="user", subject_id=user.id, client_address=address,
                 details={"must_change_password": user.must_change_password})
    return Outcome(result=result)


def refresh(cmd: dict, uow: UnitOfWork, sessions: Sessions) -> Outcome:
    """Rotate: the presented token is spent and a new pair returned. A spent token presented
    again means someone else holds a copy: the whole family (this log-in) and the user's access
    tokens are revoked."""
    session = uow.session
    row = session.execute(select(RefreshToken).where(
        RefreshToken.token_hash == hash_refresh_token(cmd["refresh_token"])).with_for_update()).scalars().first()
    if row is None:
        return Outcome(refusal=Unauthenticated(BAD_REFRESH))
    now = utcnow()
    if row.revoked_at is not None:
        if row.revoked_reason == "rotated":
            _revoke_family(session, row.family_id, "reuse_detected")
            sessions.revocations.revoke_all_before(row.user_id)
            user = repository.get_user(session, row.user_id)
            audit.record(session, "refresh_token_reused", actor_user_id=row.user_id, org_id=user.org_id,
                         subject_type="user", subject_id=row.user_id, details={"family_id": row.family_id})
        return Outcome(refusal=Unauthenticated(BAD_REFRESH))
    if row.expires_at <= now:
        return Outcome(refusal=Unauthenticated("The refresh token has expired; sign in again."))
    user = repository.get_user(session, row.user_id)
    if user is None or not user.active:
        _revoke_family(session, row.family_id, "deactivated")
        return Outcome(refusal=Unauthenticated(BAD_REFRESH))
    result, new_row = _tokens(uow, sessions, user, repository.org_kind(session, user.org_id), row.family_id, now)
    row.revoked_at, row.revoked_reason, row.replaced_by = now, "rotated", new_row.id
    return Outcome(result=result)


def _revoke_family(session, family_id: str, reason: str) -> None:
    session.execute(update(RefreshToken)
                    .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow(), revoked_reason=reason))


def logout(actor: Actor | None, cmd: dict, uow: UnitOfWork, sessions: Sessions) -> dict:
    """Revoke the access token (until it would expire) and the refresh token's family.

    Idempotent: an expired or unknown token is simply nothing left to revoke. A token of
    another user than the caller is refused.
    """
    session = uow.session
    claims = None
    if cmd["access_token"]:
        try:
            claims = decode_access_token(cmd["access_token"], sessions.secret)
        except Unauthenticated:
            claims = None  # expired or not ours: it opens nothing any more
    if claims and actor and claims.actor.user_id != actor.user_id:
        raise ValidationFailed("This token is not yours.", {"access_token": ["belongs to another user"]})
    row = None
    if cmd["refresh_token"]:
        row = session.execute(select(RefreshToken).where(
            RefreshToken.token_hash == hash_refresh_token(cmd["refresh_token"]))).scalars().first()
        owner = actor.user_id if actor else (claims.actor.user_id if claims else None)
        if row is not None and owner is not None and row.user_id != owner:
            raise ValidationFailed("This token is not yours.", {"refresh_token": ["belongs to another user"]})
    if claims:
        sessions.revocations.revoke(claims)
    if row is not None:
        _revoke_family(session, row.family_id, "logout")
    user_id = claims.actor.user_id if claims else (row.user_id if row is not None else None)
    if user_id:
        user = repository.get_user(session, user_id)
        audit.record(session, "logout", actor=actor, actor_user_id=user_id, org_id=user.org_id if user else None,
                     subject_type="user", subject_id=user_id)
    return {"logged_out": True}


def change_password(actor: Actor | None, cmd: dict, uow: UnitOfWork, sessions: Sessions) -> dict:
    """ORG-4: the user's own new password (also the forced change after a one-time password).
    Every token of the user is revoked: all devices sign in again with the new password."""
    actor = access.require_actor(actor)
    session = uow.session
    user = repository.get_user(session, actor.user_id, for_update=True)
    if user is None or not user.active:
        raise Unauthenticated("Your account is not active.")
    blocked = sessions.guard.blocked(user.login_key, None)
    if blocked:
        limit, seconds = blocked
        raise RateLimited(retry_message(limit, seconds), {"retry_after": [str(seconds)]})
    if not passwords.verify_password(user.password_hash, cmd["current_password"]):
        sessions.guard.record_failure(user.login_key, None)
        raise ValidationFailed("The current password is not correct.", {"current_password": ["is not correct"]})
    problems = passwords.password_problems(cmd["new_password"], current=cmd["current_password"],
                                           login_name=user.login_name)
    if problems:
        raise ValidationFailed("The new password does not meet the policy.", {"new_password": problems})
    now = utcnow()
    user.password_hash = passwords.hash_password(cmd["new_password"])
    user.must_change_password = False
    user.password_changed_at = user.updated_at = now
    revoke_sessions(session, sessions, user.id, "password_changed", now)
    audit.record(session, "password_changed", actor=actor, org_id=user.org_id, subject_type="user",
                 subject_id=user.id)
    return {"changed": True, "sessions_revoked": True, "password_changed_at": now}
