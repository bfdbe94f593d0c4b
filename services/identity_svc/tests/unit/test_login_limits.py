"""GW-2: the waiting time after too many failed log-ins is said in minutes."""
from identity_svc.domain.login_limits import ACCOUNT, ADDRESS, retry_message


def test_GW2_limits_are_5_per_account_and_20_per_address_per_15_minutes():
    assert (ACCOUNT.max_failures, ACCOUNT.window_seconds) == (5, 900)
    assert (ADDRESS.max_failures, ADDRESS.window_seconds) == (20, 900)


def test_GW2_retry_message_says_who_is_limited_and_when_to_retry():
    assert retry_message(ACCOUNT, 61) == ("Too many failed sign-in attempts for this account. "
                                          "Try again in 2 minutes.")
    assert retry_message(ADDRESS, 5).endswith("this address. Try again in 1 minute.")
