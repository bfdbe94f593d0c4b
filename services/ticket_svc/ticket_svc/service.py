from platform_kit.db import Database
from platform_kit.service import PlatformService


class TicketService(PlatformService):
    name = "ticket"
    db = Database("TICKET_DATABASE_URL")
