"""Who is calling: the actor that travels with every RPC and event. Pure Python.

The gateway verifies a bearer token and puts the ``Actor`` into nameko's context data; a service
reads it (``platform_kit.auth.Caller``) and its domain code decides with it (ORG-7).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from platform_contracts.roles import OPERATOR

ACTOR_KEY = "actor"


@dataclass(frozen=True)
class Actor:
    user_id: str
    org_id: str
    org_kind: str
    roles: tuple[str, ...] = field(default_factory=tuple)
    department_id: str | None = None
    # an organisation's integrator key acting as a service account: ``user_id`` is the key's id
    api_key: bool = False

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def is_operator(self) -> bool:
        return self.org_kind == OPERATOR

    def to_header(self) -> str:
        return json.dumps({**asdict(self), "roles": list(self.roles)}, separators=(",", ":"))

    @classmethod
    def from_header(cls, value: str | dict | None) -> Actor | None:
        if not value:
            return None
        data = json.loads(value) if isinstance(value, str) else value
        return cls(user_id=data["user_id"], org_id=data["org_id"], org_kind=data["org_kind"],
                   roles=tuple(data.get("roles", ())), department_id=data.get("department_id"),
                   api_key=bool(data.get("api_key", False)))
