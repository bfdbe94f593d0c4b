"""DSP-1, DSP-2: the weighted choice of a provider, without broker or database."""
import random
from collections import Counter

from dispatch_svc.domain.choice import ProviderSlot, choose_provider


def test_DSP2_weights_20_and_30_split_projects_40_to_60():
    slots = [ProviderSlot("a", 20, 2000, 0), ProviderSlot("b", 30, 2000, 0)]
    rng = random.Random(7)
    counts = Counter(choose_provider(slots, rng).provider_id for _ in range(20000))
    assert abs(counts["a"] / 20000 - 0.4) < 0.015
    assert abs(counts["b"] / 20000 - 0.6) < 0.015


def test_DSP2_a_provider_at_its_maximum_is_never_chosen():
    slots = [ProviderSlot("full", 90, 3, 3), ProviderSlot("free", 10, 3, 2)]
    rng = random.Random(1)
    assert {choose_provider(slots, rng).provider_id for _ in range(500)} == {"free"}


def test_DSP3_nobody_with_capacity_means_queue():
    assert choose_provider([ProviderSlot("a", 10, 1, 1), ProviderSlot("b", 0, 5, 0)]) is None
    assert choose_provider([]) is None
