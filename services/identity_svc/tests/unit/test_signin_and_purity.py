"""GW-2: a sign-in's refresh family, pure; and identity's domain loads no framework."""
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from identity_svc.domain.signin import AccessGrant, Presented, SignIn, hash_refresh_token

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def grant(minutes: int = 15) -> AccessGrant:
    return AccessGrant(f"jti-{minutes}", NOW + timedelta(minutes=minutes))


def test_GW2_a_refresh_spends_the_live_token_and_a_spent_one_presented_again_is_reuse():
    sign_in, first = SignIn.begin("family", "user", "t1", grant(), NOW)
    second = sign_in.rotate(hash_refresh_token(first), "t2", grant(16), NOW)
    assert sign_in.present(hash_refresh_token(first), NOW) is Presented.REUSED
    assert sign_in.present(hash_refresh_token(second), NOW) is Presented.LIVE
    assert sign_in.present(hash_refresh_token(second), NOW + timedelta(days=31)) is Presented.EXPIRED


def test_GW2_ending_a_sign_in_returns_every_unexpired_access_token_issued_in_it():
    sign_in, first = SignIn.begin("family", "user", "t1", grant(1), NOW)
    sign_in.rotate(hash_refresh_token(first), "t2", grant(15), NOW + timedelta(minutes=2))
    revoked = sign_in.end("reuse_detected", NOW + timedelta(minutes=3))
    assert revoked == [grant(15)], "the first access token had expired already"
    assert sign_in.ended and sign_in.present(hash_refresh_token(first), NOW) is Presented.REUSED
    assert {t.revoked_reason for t in sign_in.tokens} == {"rotated", "reuse_detected"}


def test_every_module_of_identitys_domain_loads_no_framework():
    probe = ("import importlib, pkgutil, sys\n"
             "import identity_svc.domain as d\n"
             "[importlib.import_module('identity_svc.domain.' + m.name) for m in pkgutil.iter_modules(d.__path__)]\n"
             "import identity_svc.exceptions\n"
             "print(','.join(m for m in ('nameko', 'sqlalchemy', 'eventlet', 'kombu', 'redis', 'jwt')"
             " if m in sys.modules))\n")
    leaked = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert leaked == ""
