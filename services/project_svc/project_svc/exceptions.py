"""project_svc's refusals, each a subclass of the platform class a caller sees (pure Python)."""
from platform_kit.exceptions import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed


class ProjectNotFound(NotFound):
    """Missing, or another tenant's (ORG-7: both answer the same)."""


class UnknownProduct(NotFound):
    """No flow is bound to the product (project_svc has not seen product_template_bound for it)."""


class NodeNotCurrent(Unprocessable):
    """The node named is not the one the project stands at (acting out of turn)."""


class NodeNotActionable(Unprocessable):
    """The current node is passed by the system or by dispatch, not by a person."""


class ProjectNotOpen(Unprocessable):
    """The project is completed or cancelled (or paused, for node actions)."""


class NotYourTurn(Forbidden):
    """The caller may see the project but is not the operator of the node or of the action."""


class RejectNotAllowed(Unprocessable):
    """The node does not allow rejecting, or there is no earlier work node to return to."""


class RequirementsInvalid(ValidationFailed):
    """The requirements submission does not match the node's form (each field named)."""


class ProviderChangeRefused(Unprocessable):
    """Change of provider outside its rules (PRJ-5)."""


class FileRejected(ValidationFailed):
    """Too large, empty or of a type not allowed."""


class RatingRefused(Unprocessable):
    """Rated already, or not completed yet."""


class CursorNotRecognised(Unprocessable):
    """A ``cursor`` this list did not give (its text is opaque, so no schema can state it)."""

    def __init__(self):
        super().__init__("The cursor is not one this list gave: pass next_cursor of the previous page.",
                         {"cursor": ["not a cursor of this list"]})


class CustomerNotNamed(Unprocessable):
    """The marketplace (the platform operator) buys without naming the customer: a rule of who
    calls (anyone else buys for their own organisation), which no request schema can state."""

    def __init__(self):
        super().__init__("The marketplace names the customer.", {"customer_id": ["required for the marketplace"]})


class OrderIdConflict(Conflict):
    """The order id names a project of another product or customer: one order, one purchase."""
