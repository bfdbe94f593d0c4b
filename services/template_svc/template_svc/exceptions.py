"""template_svc's refusals, as subclasses of the platform's (pure: domain code raises them)."""
from __future__ import annotations

from platform_kit.exceptions import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed


class TemplateNotFound(NotFound):
    """Missing, or another vendor's (answers exactly like a missing one, ORG-7)."""


class VersionNotFound(NotFound):
    pass


class FormNotFound(NotFound):
    pass


class ProductNotFound(NotFound):
    pass


class FlowInvalid(ValidationFailed):
    """The flow breaks rules of TPL-11; ``fields`` names every violation by its node path."""


class FormInvalid(ValidationFailed):
    pass


class NotEditable(Conflict):
    """The template has a version waiting for the operator's decision."""


class NotAwaitingApproval(Unprocessable):
    pass


class NothingToPublish(Unprocessable):
    pass


class NoApprovedVersion(Unprocessable):
    """A product binds only a published, approved version (TPL-12)."""


class NotYours(Forbidden):
    """The caller may read this object but not change it (e.g. a vendor and a public template)."""


class UnknownMessageTemplate(ValidationFailed):
    pass


class MissingVendor(ValidationFailed):
    pass
