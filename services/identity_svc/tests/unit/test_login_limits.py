"""GW-2, guessing and lock-outs: failed log-ins are limited per account and address, per account, and (much
higher) per address alone; the waiting time is said in minutes."""
from identity_svc.domain.login_limits import (
    ACCOUNT,
    ACCOUNT_AT_ADDRESS,
    ADDRESS,
    Counter,
    account_counters,
    blocking,
    counters,
    retry_message,
)


def test_GW2_limits_are_5_per_account_and_address_10_per_account_and_100_per_address_per_15_minutes():
    assert (ACCOUNT_AT_ADDRESS.max_failures, ACCOUNT_AT_ADDRESS.window_seconds) == (5, 900)
    assert (ACCOUNT.max_failures, ACCOUNT.window_seconds) == (10, 900)
    assert (ADDRESS.max_failures, ADDRESS.window_seconds) == (100, 900)


def test_GW2_an_attempt_counts_on_its_account_its_account_at_its_address_and_its_address():
    assert counters("anna", "10.0.0.1") == [Counter(ACCOUNT, "anna"), Counter(ACCOUNT_AT_ADDRESS, "anna|10.0.0.1"),
                                            Counter(ADDRESS, "10.0.0.1")]
    assert counters("anna", None) == [Counter(ACCOUNT, "anna")]


def test_GW2_a_success_forgets_the_accounts_counters_but_not_the_addresss():
    assert [c.limit for c in account_counters("anna", "10.0.0.1")] == [ACCOUNT, ACCOUNT_AT_ADDRESS]


def test_GW2_the_first_limit_reached_blocks_with_the_seconds_left_in_its_window():
    anna = counters("anna", "10.0.0.1")
    assert blocking([(anna[0], 9, 100), (anna[1], 4, 100), (anna[2], 99, 100)]) is None
    assert blocking([(anna[0], 3, 100), (anna[1], 5, 120), (anna[2], 5, 100)]) == (ACCOUNT_AT_ADDRESS, 120)
    assert blocking([(anna[0], 3, 100), (anna[1], 0, -2), (anna[2], 100, -1)]) == (ADDRESS, 900)


def test_GW2_retry_message_says_who_is_limited_and_when_to_retry():
    assert retry_message(ACCOUNT, 61) == ("Too many failed sign-in attempts for this account. "
                                          "Try again in 2 minutes.")
    assert retry_message(ACCOUNT_AT_ADDRESS, 900).endswith("this account from your address. Try again in 15 minutes.")
    assert retry_message(ADDRESS, 5).endswith("this address. Try again in 1 minute.")
