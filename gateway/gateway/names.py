"""Names beside ids in what the gateway answers (the console shows a provider or an operator by
name, LOC-1). Services keep ids only; identity knows the names. One call per answer, with only
the ids of rows the answering service already limited to what the caller may see."""
from __future__ import annotations

import time
from collections.abc import Iterable

from nameko import config

# id field -> the name field added next to it
ORGANISATION_FIELDS = {"provider_id": "provider_name", "customer_id": "customer_name", "vendor_id": "vendor_name"}
USER_FIELDS = {"current_operator_id": "current_operator_name"}
BATCH = 500  # identity's limit per list


class RecentNames:
    """Names this process was told in the last ``NAMES_CACHE_SECONDS`` (gateway config, default 30;
    0 or unset: none kept), so that a reader paging a list or opening projects does not make the
    identity call again for the same providers and people: a signed-in read is then one RPC, not
    two. A rename shows within that many seconds. Only ids of rows the answering service already
    limited to the caller are ever looked up, so what is kept reveals nothing across tenants."""

    MOST = 50_000

    def __init__(self):
        self._known: dict[tuple[str, str], tuple[str | None, float]] = {}

    @staticmethod
    def seconds() -> float:
        return float(config.get("NAMES_CACHE_SECONDS") or 0)

    def get(self, kind: str, ids: set[str], now: float) -> tuple[dict[str, str], set[str]]:
        """(the names still fresh, the ids to ask for); an id known to have no name counts as fresh."""
        ttl, names, missing = self.seconds(), {}, set()
        for i in ids:
            kept = self._known.get((kind, i)) if ttl else None
            if kept is None or now - kept[1] > ttl:
                missing.add(i)
            elif kept[0] is not None:
                names[i] = kept[0]
        return names, missing

    def put(self, kind: str, asked: Iterable[str], found: dict[str, str], now: float) -> None:
        if not self.seconds():
            return
        for i in asked:
            self._known[(kind, i)] = (found.get(i), now)
        if len(self._known) > self.MOST:  # the oldest half goes (insertion order)
            for key in list(self._known)[: self.MOST // 2]:
                del self._known[key]

    def clear(self) -> None:
        self._known.clear()


RECENT = RecentNames()


def _chunks(ids: set[str]) -> Iterable[list[str]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        yield ordered[start:start + BATCH]


def lookup(services, org_ids: Iterable[str] = (), user_ids: Iterable[str] = ()) -> tuple[dict, dict]:
    """(organisation id -> name, user id -> display name) for the ids given (unknown ones left out)."""
    # only what can be an id (a log's actor may also be a word such as "dispatch")
    now = time.monotonic()
    org_names, orgs = RECENT.get("org", {i for i in org_ids if i and len(i) <= 36}, now)
    user_names, users = RECENT.get("user", {i for i in user_ids if i and len(i) <= 36}, now)
    while orgs or users:
        org_batch = next(_chunks(orgs), [])
        user_batch = next(_chunks(users), [])
        found = services.identity.display_names({"org_ids": org_batch, "user_ids": user_batch})
        org_names.update(found["organisations"])
        user_names.update(found["users"])
        RECENT.put("org", org_batch, found["organisations"], now)
        RECENT.put("user", user_batch, found["users"], now)
        orgs.difference_update(org_batch)
        users.difference_update(user_batch)
    return org_names, user_names


def add_names(services, rows: list[dict], organisations: dict | None = None, users: dict | None = None,
              ) -> list[dict]:
    """Each row gains `<x>_name` beside its `<x>_id` fields (null when identity does not know the
    id, e.g. the operator not yet assigned)."""
    organisations = ORGANISATION_FIELDS if organisations is None else organisations
    users = USER_FIELDS if users is None else users
    org_names, user_names = lookup(
        services, (row.get(f) for row in rows for f in organisations), (row.get(f) for row in rows for f in users))
    for row in rows:
        for field, name in organisations.items():
            if field in row:
                row[name] = org_names.get(row[field])
        for field, name in users.items():
            if field in row:
                row[name] = user_names.get(row[field])
    return rows


def people_of(services, project: dict) -> dict:
    """A project's detail with its names: provider, customer, vendor and operator beside their ids,
    and `people` (user id -> display name) for everyone in its log, messages, notes, files and
    operators."""
    user_ids = {project.get("current_operator_id"), project.get("claimed_by"),
                *(project.get("operators") or {}).values()}
    user_ids.update(e.get("actor") for e in project.get("log") or [])
    for kind in ("messages", "notes"):
        user_ids.update(r.get("author_id") for r in project.get(kind) or [])
    user_ids.update(f.get("uploaded_by") for f in project.get("files") or [])
    org_names, user_names = lookup(services, (project.get(f) for f in ORGANISATION_FIELDS), user_ids)
    for field, name in ORGANISATION_FIELDS.items():
        project[name] = org_names.get(project.get(field))
    for field, name in USER_FIELDS.items():
        project[name] = user_names.get(project.get(field))
    project["people"] = user_names
    return project
