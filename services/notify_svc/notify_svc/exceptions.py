"""notify_svc's refusals, each a platform class (its code and HTTP status come from the base)."""
from platform_kit.exceptions import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed


class TemplateInvalid(Unprocessable):
    """A message template that does not render: unknown variable, syntax error, missing content.
    422, not 400: the fields are each well formed, it is their combination that cannot be sent."""


class TemplateNotFound(NotFound):
    pass


class TemplateExists(Conflict):
    pass


class MessageNotFound(NotFound):
    pass


class DeliveryNotFound(NotFound):
    pass


class NotResendable(Unprocessable):
    """Only a failed or skipped delivery is sent again by hand."""


class WebhookUrlRefused(Unprocessable):
    """Not http(s), or it points into the platform's own network (loopback, private addresses).
    422: where a host name leads is only known by resolving it, no schema can state it."""


class UnknownEventType(ValidationFailed):
    pass


class EndpointNotFound(NotFound):
    pass


class WebhookDeliveryNotFound(NotFound):
    pass


class OperatorOnly(Forbidden):
    """Message templates and the delivery log are the platform operator's (NTF-1, NTF-4)."""
