"""ticket_svc's refusals, as subclasses of the platform's (pure: domain code raises them)."""
from platform_kit.exceptions import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed


class TicketNotFound(NotFound):
    """Missing, or another tenant's (ORG-7 answers both alike)."""


class TransitionNotAllowed(Unprocessable):
    """TKT-1: the status change is not allowed from the current status or to this side."""


class NoteRequired(ValidationFailed):
    """TKT-3: a transfer or an escalation needs a note."""


class NotYourTicket(Forbidden):
    """The caller sees the ticket but may not do this to it (e.g. an agent not assigned)."""


class HandoverRequired(Conflict):
    """TKT-2: going off duty with open tickets needs a handover."""


class ConfirmationRequired(Conflict):
    """TKT-3: transferring to an off-duty agent needs an explicit confirmation."""


class UnknownSubject(Unprocessable):
    """The order, project or product the ticket is about is not known (yet)."""


class AttachmentRefused(Unprocessable):
    """A file of a type, name or content the platform does not take (TKT-7): each reason named."""


class AttachmentTooLarge(ValidationFailed):
    """An attachment over the size limit."""


class PartyNotNamed(Unprocessable):
    """The platform operator must name who it acts for (the customer of a ticket it opens, the
    provider of a report): a rule of who calls, which no request schema can state."""


class ServiceHoursRefused(Unprocessable):
    """Start and end together: before each other, covering 09:00-18:00 (TKT-2); no schema states it."""


class ReplyRequired(Unprocessable):
    """TKT-5: the customer must have been answered (a public reply) before the ticket waits on them."""


class NotAColleague(Unprocessable):
    """The agent named (to hand over to, or to put on duty) is no active support agent of the caller's
    provider: a well-formed request naming someone who cannot take tickets."""


class EntitlementUnnamed(Unprocessable):
    """A service tier must name the customer, the product or both (TKT-8)."""
