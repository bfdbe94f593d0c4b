"""The kernel's pure parts: back-off, contracts, tokens, actor headers, periods."""
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from marshmallow import ValidationError

from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, VENDOR_ADMIN
from platform_kit import auth, contracts
from platform_kit.consumer import backoff_seconds
from platform_kit.errors import Unauthenticated
from platform_kit.scheduling import Periodic

SECRET = "unit-test-secret"
ACTOR = Actor("u1", "org1", ISV, (VENDOR_ADMIN,), "dept1")


def test_retry_backoff_doubles_and_is_capped():
    assert [backoff_seconds(n, 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_seconds(20, 1.0) == 60.0


def test_every_published_event_is_in_the_catalogue_with_a_schema():
    names = {c.event_type for c in contracts.all_contracts()}
    assert {"project_created", "node_reached", "provider_assigned", "provider_queued"} <= names
    with pytest.raises(LookupError):
        contracts.contract("no_such_event")


def test_event_data_is_validated_against_its_contract_naming_the_field():
    with pytest.raises(ValidationError) as err:
        contracts.validate_data("provider_assigned", {"project_id": "p"})
    assert "provider_id" in err.value.messages["provider_assigned"]


def test_actor_survives_the_trip_through_message_headers():
    assert Actor.from_header(ACTOR.to_header()) == ACTOR
    assert Actor.from_header(None) is None


def test_GW2_access_token_round_trip_carries_the_actor():
    token, claims = auth.issue_access_token(ACTOR, SECRET, must_change_password=True)
    decoded = auth.decode_access_token(token, SECRET)
    assert decoded.actor == ACTOR and decoded.jti == claims.jti and decoded.must_change_password


def test_GW2_expired_tampered_and_wrong_algorithm_tokens_are_refused():
    past = datetime.now(UTC) - timedelta(hours=1)
    expired, _ = auth.issue_access_token(ACTOR, SECRET, now=past)
    with pytest.raises(Unauthenticated, match="expired"):
        auth.decode_access_token(expired, SECRET)
    good, _ = auth.issue_access_token(ACTOR, SECRET)
    head, body, sig = good.split(".")
    tampered = ".".join([head, body[:-2] + ("AA" if body[-2:] != "AA" else "BB"), sig])
    with pytest.raises(Unauthenticated):
        auth.decode_access_token(tampered, SECRET)
    with pytest.raises(Unauthenticated):
        auth.decode_access_token(good, "another-secret")
    unsigned = jwt.encode(jwt.decode(good, options={"verify_signature": False}), key=None, algorithm="none")
    with pytest.raises(Unauthenticated):
        auth.decode_access_token(unsigned, SECRET)
    hs512 = jwt.encode(jwt.decode(good, options={"verify_signature": False}), SECRET, algorithm="HS512")
    with pytest.raises(Unauthenticated):
        auth.decode_access_token(hs512, SECRET)


def test_periods_are_aligned_to_the_wall_clock_so_replicas_agree():
    job = Periodic(10)
    assert job.period_index(1000.0) == job.period_index(1009.9) == 100
    assert job.period_index(1010.0) == 101


def test_GW2_tokens_name_their_key_and_survive_a_rotation_with_overlap():
    old = auth.Keyring("the-old-secret-0123456789")
    token, _ = auth.issue_access_token(ACTOR, old)
    assert jwt.get_unverified_header(token)["kid"] == old.kid
    assert old.kid not in token.split(".")[1] and "the-old-secret" not in token
    rotated = auth.Keyring("the-new-secret-9876543210", previous=("the-old-secret-0123456789",))
    assert auth.decode_access_token(token, rotated).actor == ACTOR
    fresh, _ = auth.issue_access_token(ACTOR, rotated)
    assert jwt.get_unverified_header(fresh)["kid"] == rotated.kid != old.kid
    after_overlap = auth.Keyring("the-new-secret-9876543210")
    with pytest.raises(Unauthenticated, match="no longer accepted"):
        auth.decode_access_token(token, after_overlap)


@pytest.mark.parametrize("configured", [{}, {"JWT_SECRET": ""}, {"JWT_SECRET": "${JWT_SECRET}"}])
def test_a_process_without_a_signing_secret_refuses_to_start(configured):
    with pytest.raises(RuntimeError, match="JWT_SECRET is not set"):
        auth.Keyring.from_config(configured)


def test_previous_secrets_are_read_from_a_comma_separated_setting():
    keyring = auth.Keyring.from_config({"JWT_SECRET": "current-secret",
                                        "JWT_PREVIOUS_SECRETS": " a-secret , b-secret,"})
    assert keyring.previous == ("a-secret", "b-secret")


def test_interval_jobs_fire_at_instants_counted_from_the_epoch_so_replicas_agree():
    job = Periodic(3600)
    assert job.next_fire_time(datetime(2026, 11, 22, 10, 15, tzinfo=UTC)) == datetime(2026, 11, 22, 11, tzinfo=UTC)
    assert job.next_fire_time(datetime(2026, 11, 22, 11, tzinfo=UTC)) == datetime(2026, 11, 22, 11, tzinfo=UTC)


def test_PRJ11_cron_jobs_fire_at_midnight_in_their_time_zone():
    daily = Periodic(cron="0 0 * * *", timezone="Asia/Shanghai")
    # 2026-11-22 10:00 UTC is 18:00 in Shanghai: the next midnight there is 16:00 UTC
    assert daily.next_fire_time(datetime(2026, 11, 22, 10, tzinfo=UTC)) == datetime(2026, 11, 22, 16, tzinfo=UTC)


@pytest.mark.parametrize("arguments", [{}, {"interval": 10, "cron": "* * * * *"}, {"interval": 0}])
def test_a_periodic_job_needs_exactly_one_positive_schedule(arguments):
    with pytest.raises(ValueError):
        Periodic(**arguments)


def test_a_deadline_whose_outcome_cannot_be_recorded_does_not_stop_the_service():
    """A database refusing connections while a deadline's outcome is written (too many clients)
    used to raise inside the worker's result callback and kill the container."""
    from platform_kit.scheduling import DeadlineHandler

    class RefusingPoller:
        def finished(self, row, exc_info):
            raise OSError("FATAL: sorry, too many clients already")

    handler = DeadlineHandler.__new__(DeadlineHandler)
    handler.__dict__["poller"] = RefusingPoller()
    row = {"id": 1, "kind": "k", "key": "x", "due_at": None, "attempts": 1}
    assert handler._done(row, "done", None) == ("done", None)
