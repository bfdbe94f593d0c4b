"""identity_svc's refusals: the one vocabulary its domain and handlers raise.

Each extends a class of ``platform_kit.exceptions`` (pure, so domain code raises them too); that
base carries the error code and HTTP status, and ``platform_kit.errors.rpc`` sends the refusal
over RPC as the base, with its message and fields.
"""
from __future__ import annotations

from platform_kit.exceptions import (
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unprocessable,
    ValidationFailed,
)


class InvalidValue(ValidationFailed):
    """A value no request could make acceptable (a weak password, a role of another org kind)."""


class Clash(Conflict):
    """The value collides with existing data (a taken login name, a sibling's department name)."""


class NotAllowedNow(Unprocessable):
    """The value is fine but the current state refuses it (deleting a non-empty department)."""


class NotPermitted(Forbidden):
    """The caller's roles do not allow this inside its own organisation."""


class NotVisible(NotFound):
    """Missing, or another tenant's: both answer the same (ORG-7)."""


class OrganisationNotFound(NotVisible):
    def __init__(self, org_id: str):
        super().__init__(f"Organisation {org_id} was not found.")


class UserNotFound(NotVisible):
    def __init__(self, user_id: str):
        super().__init__(f"User {user_id} was not found.")


class DepartmentNotFound(NotVisible):
    def __init__(self, department_id: str):
        super().__init__(f"Department {department_id} was not found.")


class SignInRefused(Unauthenticated):
    """Log-in, refresh or a call needing an active account was refused."""


class BadCredentials(SignInRefused):
    # one message for an unknown login name and a wrong password: no user enumeration
    def __init__(self):
        super().__init__("The login name or the password is not correct.")


class AccountDeactivated(SignInRefused):
    def __init__(self, message: str = "This account is deactivated; ask your administrator."):
        super().__init__(message)


class BadRefreshToken(SignInRefused):
    def __init__(self, message: str = "The refresh token is not valid; sign in again."):
        super().__init__(message)


class TooManyFailedLogins(RateLimited):
    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__(message, {"retry_after": [str(retry_after_seconds)]})
        self.retry_after_seconds = retry_after_seconds


class ApiKeyNotFound(NotVisible):
    def __init__(self, key_id: str):
        super().__init__(f"API key {key_id} was not found.")


class BadApiKey(SignInRefused):
    # one message for a malformed key, an unknown id and a wrong secret
    def __init__(self, message: str = "The API key is not valid."):
        super().__init__(message)
