"""template_svc's refusals, as subclasses of the platform's (pure: domain code raises them)."""
from __future__ import annotations

from platform_kit.exceptions import Conflict, Forbidden, NotFound, Unprocessable


class TemplateNotFound(NotFound):
    """Missing, or another vendor's (answers exactly like a missing one, ORG-7)."""


class VersionNotFound(NotFound):
    pass


class FormNotFound(NotFound):
    pass


class ProductNotFound(NotFound):
    pass


class FlowInvalid(Unprocessable):
    """The flow breaks rules of TPL-11; ``fields`` names every violation by its node path. 422, not
    400: each node is well formed (the request schema says so), it is the flow as a whole (unique
    keys, nesting, what refers to what) that cannot be saved."""


class FormInvalid(Unprocessable):
    """Fields well formed one by one that do not fit together (bounds of the wrong type, min above max)."""


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


class UnknownMessageTemplate(Unprocessable):
    """A reminder names a message template notify does not know (a reference, checked: 422)."""


class MissingVendor(Unprocessable):
    """The platform operator saves a product for a vendor and must name it (a vendor acts for itself):
    a rule of the caller's role, which no request schema can state, so 422 rather than 400."""
