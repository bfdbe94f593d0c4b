from platform_kit.db import Database
from platform_kit.service import PlatformService


class IdentityService(PlatformService):
    name = "identity"
    db = Database("IDENTITY_DATABASE_URL")
