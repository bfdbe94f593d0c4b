"""Currencies (BIL-13): a code is an ISO 4217 code from Babel's (CLDR's) maintained list, and money
moves only in the currencies the platform is configured to support (``BILLING_CURRENCIES``).

"Any three capitals" is not a currency: ``ABC`` and ``ZZZ`` are refused. Pure Python (Babel is a
data library, no I/O at import).
"""
from __future__ import annotations

from babel.numbers import list_currencies

from billing_svc.exceptions import UnsupportedCurrency

ISO_4217 = frozenset(list_currencies())
DEFAULT_SUPPORTED = ("CNY", "USD")


def is_iso_4217(code: object) -> bool:
    return isinstance(code, str) and code in ISO_4217


def parse_supported(configured: str | list | tuple | None) -> tuple[str, ...]:
    """The configured list (``"CNY,USD"`` or a YAML list); every entry must be an ISO 4217 code,
    or the service refuses to start."""
    if configured is None or configured == "":
        return DEFAULT_SUPPORTED
    items = configured.split(",") if isinstance(configured, str) else list(configured)
    codes = tuple(dict.fromkeys(str(c).strip().upper() for c in items if str(c).strip()))
    wrong = [c for c in codes if not is_iso_4217(c)]
    if wrong or not codes:
        raise RuntimeError(f"BILLING_CURRENCIES holds codes that are not ISO 4217: {', '.join(wrong) or '(none)'}")
    return codes


def check_supported(currency: str, supported: tuple[str, ...], field: str = "currency") -> str:
    """A currency the platform does not move money in is refused before anything is held or sent."""
    if currency not in supported:
        raise UnsupportedCurrency(
            f"平台不支持币种 {currency}，支持的币种：{'、'.join(supported)} / The platform does not move money in "
            f"{currency}; supported: {', '.join(supported)}.", {field: [f"not supported: {', '.join(supported)}"]})
    return currency
