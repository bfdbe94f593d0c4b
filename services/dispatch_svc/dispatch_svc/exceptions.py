"""The refusals of dispatch_svc, as the platform classes they extend (pure: domain code raises them)."""
from __future__ import annotations

from platform_kit.exceptions import Forbidden, NotFound, Unprocessable, ValidationFailed


class InvalidProviderSettings(ValidationFailed):
    """A weight or maximum of held orders outside its range (DSP-1); each wrong field is named."""


class UnknownProvider(Unprocessable):
    """A provider or vendor named for a product that dispatch does not know as an ISV (missing, or a
    customer organisation): a well-formed request naming what cannot deliver (422, each field named)."""


class InvalidCapacity(ValidationFailed):
    """An employee capacity outside 0..50 (DSP-4)."""


class NotYourProduct(NotFound):
    """The product's providers belong to another vendor: answered like a missing product (ORG-7)."""


class ProviderListChangeRefused(Forbidden):
    """Only the platform operator adds or removes providers of a product; the vendor tunes them (DSP-1)."""


class ProviderStillHolds(Unprocessable):
    """A provider cannot be removed from a product while it holds projects of it."""


class EmployeeNotFound(NotFound):
    """No employee of the caller's provider by that id (another tenant's answers the same)."""


class OrderNotFound(NotFound):
    """No order by that marketplace id that the caller's provider delivers (DSP-7)."""


class OrderNotClaimable(Unprocessable):
    """The order's flow is not at a claim node now, or it was claimed already (DSP-7)."""


class ClaimNotAllowed(Forbidden):
    """Only a customer manager of the order's provider claims it (DSP-7)."""


class ProjectNotFound(NotFound):
    """No project by that id that the caller may act on."""


class OperatorChangeRefused(Unprocessable):
    """The new operator lacks the role, is closed, inactive or full, or there is no operator (PRJ-6)."""


class VendorNotNamed(Unprocessable):
    """The platform operator sets a product's providers without naming its vendor: a rule of who
    calls (a vendor admin's own organisation is the vendor), which no request schema can state."""

    def __init__(self):
        super().__init__("Name the vendor of the product.", {"vendor_id": ["required when the operator sets it"]})
