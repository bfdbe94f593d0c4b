"""PRJ-3, LOC-1: rows carry names beside their ids, resolved in one identity call per 500 ids."""
from types import SimpleNamespace

from gateway.names import add_names, people_of


class FakeIdentity:
    def __init__(self, orgs: dict, users: dict):
        self.orgs, self.users, self.calls = orgs, users, []

    def display_names(self, query: dict) -> dict:
        self.calls.append(query)
        return {"organisations": {i: self.orgs[i] for i in query["org_ids"] if i in self.orgs},
                "users": {i: self.users[i] for i in query["user_ids"] if i in self.users}}


def services(orgs=None, users=None):
    return SimpleNamespace(identity=FakeIdentity(orgs or {}, users or {}))


def test_PRJ3_list_rows_get_provider_customer_and_operator_names_in_one_call():
    svc = services({"p1": "Provider A", "c1": "Buyer Co", "v1": "Vendor"}, {"u1": "Li Lei"})
    rows = [{"provider_id": "p1", "customer_id": "c1", "vendor_id": "v1", "current_operator_id": "u1"},
            {"provider_id": None, "customer_id": "c1", "vendor_id": "v1", "current_operator_id": None}]
    add_names(svc, rows)
    names = ("provider_name", "customer_name", "vendor_name", "current_operator_name")
    assert [rows[0][n] for n in names] == ["Provider A", "Buyer Co", "Vendor", "Li Lei"]
    assert rows[1]["provider_name"] is None and rows[1]["current_operator_name"] is None
    assert len(svc.identity.calls) == 1


def test_PRJ3_unknown_ids_stay_without_a_name_and_no_rows_make_no_call():
    svc = services()
    rows = [{"provider_id": "gone"}]
    assert add_names(svc, rows)[0]["provider_name"] is None
    svc = services()
    add_names(svc, [])
    assert svc.identity.calls == []


def test_PRJ3_more_ids_than_identity_takes_at_once_are_asked_in_batches():
    orgs = {f"c{i}": f"Customer {i}" for i in range(1200)}
    svc = services(orgs)
    rows = [{"customer_id": f"c{i}"} for i in range(1200)]
    add_names(svc, rows, users={})
    assert all(r["customer_name"] == f"Customer {i}" for i, r in enumerate(rows))
    assert [len(c["org_ids"]) for c in svc.identity.calls] == [500, 500, 200]


def test_PRJ3_a_project_names_everyone_in_its_log_posts_and_files_but_not_words_like_dispatch():
    svc = services({"p1": "Provider A"}, {"u1": "Li Lei", "u2": "Han Meimei"})
    project = {"provider_id": "p1", "customer_id": "c1", "vendor_id": "v1", "current_operator_id": "u1",
               "operators": {"engineer": "u1"}, "claimed_by": None,
               "log": [{"actor": "dispatch"}, {"actor": "u2"}], "messages": [{"author_id": "u2"}], "notes": [],
               "files": [{"uploaded_by": "u1"}]}
    people_of(svc, project)
    assert project["provider_name"] == "Provider A" and project["current_operator_name"] == "Li Lei"
    assert project["people"] == {"u1": "Li Lei", "u2": "Han Meimei"}


def test_PRJ3_names_looked_up_are_kept_for_the_configured_seconds_then_asked_again(monkeypatch):
    from nameko import config

    from gateway import names

    names.RECENT.clear()
    clock = [1000.0]
    monkeypatch.setattr(names.time, "monotonic", lambda: clock[0])
    with config.patch({"NAMES_CACHE_SECONDS": 30}):
        svc = services({"p-kept": "Provider A"}, {"u-kept": "Li Lei"})
        rows = lambda: [{"provider_id": "p-kept", "customer_id": "nobody-kept", "current_operator_id": "u-kept"}]  # noqa: E731
        first = add_names(svc, rows())[0]
        again = add_names(svc, rows())[0]
        assert first == again and again["provider_name"] == "Provider A" and again["customer_name"] is None
        assert len(svc.identity.calls) == 1, "the second answer asks identity nothing (an unknown id included)"
        svc.identity.orgs["p-kept"] = "Provider A (renamed)"
        clock[0] += 31
        assert add_names(svc, rows())[0]["provider_name"] == "Provider A (renamed)"
        assert len(svc.identity.calls) == 2
    names.RECENT.clear()
    with config.patch({"NAMES_CACHE_SECONDS": 0}):
        svc = services({"p-kept": "Provider A"})
        add_names(svc, rows())
        add_names(svc, rows())
        assert len(svc.identity.calls) == 2, "switched off, every answer asks"
