"""Passwords (ORG-4): one-time passwords, the policy for chosen ones, and Argon2id hashes.

A generated password is shown exactly once, to the admin who created or reset the account;
only its Argon2id hash is stored. The alphabet leaves out characters people misread when a
password is copied by hand (0/O/o, 1/l/I).
"""
from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

GENERATED_LENGTH = 8
MIN_LENGTH = 8
MAX_LENGTH = 128
AMBIGUOUS = frozenset("0Oo1lI")
LETTERS = "".join(c for c in string.ascii_letters if c not in AMBIGUOUS)
DIGITS = "".join(c for c in string.digits if c not in AMBIGUOUS)
ALPHABET = LETTERS + DIGITS

_hasher = PasswordHasher(type=Type.ID)


def generate_password(length: int = GENERATED_LENGTH, choice: Callable[[str], str] = secrets.choice) -> str:
    """A random password of letters and digits with at least one of each.

    Drawing whole candidates until one qualifies keeps every qualifying password equally
    likely (placing a forced digit somewhere would make some patterns more likely).
    """
    if length < 2:
        raise ValueError("a password needs room for a letter and a digit")
    while True:
        candidate = "".join(choice(ALPHABET) for _ in range(length))
        if any(c in LETTERS for c in candidate) and any(c in DIGITS for c in candidate):
            return candidate


def password_problems(new: str, *, current: str | None = None, login_name: str | None = None) -> list[str]:
    """What is wrong with a password a user chose, as sentences; empty when it is acceptable."""
    problems = []
    if len(new) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters long")
    if len(new) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters long")
    if not any(c.isalpha() for c in new):
        problems.append("must contain at least one letter")
    if not any(c.isdigit() for c in new):
        problems.append("must contain at least one digit")
    if new != new.strip():
        problems.append("must not start or end with a space")
    if current is not None and new == current:
        problems.append("must differ from the current password")
    if login_name and new.casefold() == login_name.casefold():
        problems.append("must differ from the login name")
    return problems


def hash_password(password: str) -> str:
    """An Argon2id hash (salted, with its parameters encoded) of ``password``."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; a missing or broken hash never matches.

    With no hash (unknown user) a dummy hash is still verified, so that answering "wrong
    password" takes as long as answering "no such user" and timing tells an attacker nothing.
    """
    try:
        if stored_hash is None:
            _hasher.verify(_dummy_hash(), password + "\x00")
            return False
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash at next log-in)."""
    return _hasher.check_needs_rehash(stored_hash)


def is_argon2id(stored_hash: str) -> bool:
    return stored_hash.startswith("$argon2id$")


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))
