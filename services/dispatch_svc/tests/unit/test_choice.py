"""DSP-2, DSP-5, DSP-6: the two choices of dispatch, without broker or database."""
import random
from collections import Counter

from dispatch_svc.domain.choice import (
    ALL_CLOSED,
    ALL_FULL,
    NOBODY_WITH_ROLE,
    NOBODY_WITH_ROLE_IN_DEPARTMENT,
    ProviderSlot,
    choose_employee,
    choose_provider,
    department_and_below,
)
from dispatch_svc.domain.model import Employee

# chi-square critical value, 1 degree of freedom, p = 0.001
CHI2_1DF_999 = 10.828


def test_DSP2_weights_20_and_30_pass_a_chi_square_test_over_5000_dispatches():
    slots = [ProviderSlot("a", 20, 2000, 0), ProviderSlot("b", 30, 2000, 0)]
    rng = random.Random(20261122)
    n = 5000
    counts = Counter(choose_provider(slots, rng).provider_id for _ in range(n))
    expected = {"a": n * 20 / 50, "b": n * 30 / 50}
    chi2 = sum((counts[k] - e) ** 2 / e for k, e in expected.items())
    assert chi2 < CHI2_1DF_999, (counts, chi2)


def test_DSP2_a_provider_at_its_maximum_is_never_chosen():
    slots = [ProviderSlot("full", 90, 3, 3), ProviderSlot("free", 10, 3, 2)]
    rng = random.Random(1)
    assert {choose_provider(slots, rng).provider_id for _ in range(500)} == {"free"}


def test_DSP3_nobody_with_capacity_means_queue():
    assert choose_provider([ProviderSlot("a", 10, 1, 1), ProviderSlot("b", 0, 5, 0)]) is None
    assert choose_provider([]) is None


def _emp(user_id, held=0, capacity=5, roles=("designer",), open=True, active=True, department_id=None):
    return Employee(user_id, "prov", roles=roles, held=held, capacity=capacity, open=open, active=active,
                    department_id=department_id)


def test_DSP5_the_smallest_held_over_capacity_wins():
    staff = [_emp("a", held=2, capacity=4), _emp("b", held=1, capacity=5), _emp("c", held=0, capacity=0)]
    chosen, reason = choose_employee(staff, "designer", random.Random(3))
    assert chosen.user_id == "b" and reason is None


def test_DSP5_ties_are_broken_at_random_among_the_tied_only():
    staff = [_emp("a", held=1, capacity=2), _emp("b", held=2, capacity=4), _emp("c", held=3, capacity=4)]
    rng = random.Random(5)
    picks = Counter(choose_employee(staff, "designer", rng)[0].user_id for _ in range(400))
    assert set(picks) == {"a", "b"} and min(picks.values()) > 120


def test_DSP4_closed_employees_and_capacity_zero_get_nothing():
    assert choose_employee([_emp("a", open=False)], "designer") == (None, ALL_CLOSED)
    assert choose_employee([_emp("a", capacity=0)], "designer") == (None, ALL_FULL)
    assert choose_employee([_emp("a", held=5, capacity=5), _emp("b", open=False)], "designer") == (None, ALL_FULL)


def test_DSP5_nobody_with_the_role_and_inactive_users_are_reasons_to_wait():
    assert choose_employee([_emp("a", roles=("engineer",))], "designer") == (None, NOBODY_WITH_ROLE)
    assert choose_employee([_emp("a", active=False)], "designer") == (None, NOBODY_WITH_ROLE)


def test_DSP6_a_department_with_nobody_of_the_role_waits_even_if_others_have_room():
    staff = [_emp("a", department_id="d1", roles=("engineer",)), _emp("b", department_id="d2")]
    assert choose_employee(staff, "designer", departments={"d1"}) == (None, NOBODY_WITH_ROLE_IN_DEPARTMENT)
    assert choose_employee(staff, "designer", departments={"d2"})[0].user_id == "b"


def test_DSP6_the_department_includes_its_sub_departments():
    parents = {"root": None, "d1": "root", "d11": "d1", "d2": "root"}
    assert department_and_below(parents, "d1") == {"d1", "d11"}
