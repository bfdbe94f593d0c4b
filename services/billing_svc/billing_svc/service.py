from platform_kit.db import Database
from platform_kit.service import PlatformService


class BillingService(PlatformService):
    name = "billing"
    db = Database("BILLING_DATABASE_URL")
