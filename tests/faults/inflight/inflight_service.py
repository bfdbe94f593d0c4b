"""A service the SIGTERM scenario runs as a real process (``python -m platform_kit.run``)."""
import eventlet
from marshmallow import Schema, fields

from platform_kit import contracts
from platform_kit.db import Database
from platform_kit.errors import rpc
from platform_kit.service import PlatformService


class Done(Schema):
    n = fields.Integer(required=True)


contracts.register("inflight_done", source="inflight", schema=Done, description="test event of the fault suite")


class Inflight(PlatformService):
    name = "inflight"
    db = Database("BILLING_DATABASE_URL")

    @rpc
    def work(self, n: int, seconds: float) -> int:
        eventlet.sleep(seconds)
        with self.db.unit_of_work() as uow:
            uow.emit("inflight_done", {"n": n})
            uow.commit()
        return n
