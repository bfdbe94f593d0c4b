"""ORG-4: one-time passwords, the policy for chosen passwords, Argon2id hashes."""
import random

import pytest

from identity_svc.domain import passwords


def test_ORG4_generated_password_has_8_letters_and_digits_with_at_least_one_of_each():
    for _ in range(500):
        password = passwords.generate_password()
        assert len(password) == 8
        assert password.isalnum() and password.isascii()
        assert any(c.isalpha() for c in password) and any(c.isdigit() for c in password)


def test_ORG4_generated_password_never_uses_ambiguous_characters():
    seen = set("".join(passwords.generate_password() for _ in range(500)))
    assert not seen & set("0Oo1lI")


def test_ORG4_generation_redraws_candidates_without_a_digit_or_a_letter():
    # a chooser that first yields only letters, then only digits, then a mix
    script = iter(["a"] * 8 + ["2"] * 8 + ["a", "2"] * 4)
    assert passwords.generate_password(choice=lambda _alphabet: next(script)) == "a2a2a2a2"


def test_ORG4_generated_passwords_differ():
    assert len({passwords.generate_password() for _ in range(200)}) == 200


def test_ORG4_policy_accepts_letters_and_digits_of_eight_characters():
    assert passwords.password_problems("abcd1234") == []


@pytest.mark.parametrize(("candidate", "problem"), [
    ("abc123", "at least 8 characters"),
    ("abcdefgh", "at least one digit"),
    ("12345678", "at least one letter"),
    (" abcd1234", "must not start or end with a space"),
    ("x1" * 65, "at most 128"),
])
def test_ORG4_policy_names_what_is_wrong(candidate, problem):
    assert any(problem in p for p in passwords.password_problems(candidate))


def test_ORG4_new_password_must_differ_from_the_current_one_and_the_login_name():
    assert passwords.password_problems("abcd1234", current="abcd1234") == ["must differ from the current password"]
    assert passwords.password_problems("Alice2024", login_name="alice2024") == ["must differ from the login name"]


def test_ORG4_passwords_are_stored_as_argon2id_hashes_that_verify():
    stored = passwords.hash_password("k7Hq3mZa")
    assert passwords.is_argon2id(stored) and "k7Hq3mZa" not in stored
    assert passwords.verify_password(stored, "k7Hq3mZa")
    assert not passwords.verify_password(stored, "k7Hq3mZb")
    assert passwords.hash_password("k7Hq3mZa") != stored, "each hash has its own salt"
    assert not passwords.needs_rehash(stored)


def test_a_missing_or_broken_hash_never_verifies():
    assert not passwords.verify_password(None, "anything1")
    assert not passwords.verify_password("not-a-hash", "anything1")


def test_generation_needs_room_for_a_letter_and_a_digit():
    with pytest.raises(ValueError):
        passwords.generate_password(1, choice=random.choice)
