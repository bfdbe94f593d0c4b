"""BIL-6: the payment provider's signed notices: signature, time window, constant-time check."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from billing_svc.domain.notices import signature_header, verify
from billing_svc.exceptions import BadSignature

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SECRET = "notice-secret-for-tests"
BODY = b'{"notice_id": "n-1", "key": "withhold:o-1:1", "order_id": "o-1", "status": "succeeded"}'


def at(delta: timedelta = timedelta()) -> int:
    return int((NOW + delta).timestamp())


def test_BIL6_a_notice_signed_with_the_secret_within_the_window_is_accepted():
    assert verify(SECRET, signature_header(SECRET, at(), BODY), BODY, NOW) == at()
    assert verify(SECRET, signature_header(SECRET, at(timedelta(seconds=-299)), BODY), BODY, NOW)


@pytest.mark.parametrize("header, body", [
    (None, BODY),                                                     # unsigned
    ("", BODY),
    ("v1=abc", BODY),                                                 # no timestamp
    ("t=soon,v1=abc", BODY),
    (signature_header("another-secret", at(), BODY), BODY),          # forged with another secret
    (signature_header(SECRET, at(), BODY), BODY.replace(b"succeeded", b"failed")),   # body changed after signing
    (signature_header(SECRET, at(), BODY).replace(f"t={at()}", f"t={at() + 1}"), BODY),  # time changed
])
def test_BIL6_a_notice_without_a_matching_signature_is_refused(header, body):
    with pytest.raises(BadSignature):
        verify(SECRET, header, body, NOW)


@pytest.mark.parametrize("delta", [timedelta(minutes=-6), timedelta(hours=-24), timedelta(minutes=6)])
def test_BIL6_an_old_or_future_notice_is_refused_even_with_a_good_signature(delta):
    with pytest.raises(BadSignature, match="window"):
        verify(SECRET, signature_header(SECRET, at(delta), BODY), BODY, NOW)


def test_BIL6_without_a_configured_secret_no_notice_is_accepted():
    with pytest.raises(BadSignature):
        verify("", signature_header("", at(), BODY), BODY, NOW)


def test_BIL6_a_rotating_provider_may_send_two_signatures_and_one_matching_is_enough():
    good = signature_header(SECRET, at(), BODY)
    old = signature_header("old-secret", at(), BODY).split(",")[1]
    assert verify(SECRET, f"{good},{old}", BODY, NOW) == at()
