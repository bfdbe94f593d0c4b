"""Organisations, users, roles and departments; who may see and change what (ORG-1..3, ORG-7)."""
import json

import pytest
from sqlalchemy import text

from platform_kit.errors import Conflict, Forbidden, NotFound, Unauthenticated, Unprocessable, ValidationFailed


def test_ORG1_operator_creates_an_isv_with_its_main_account_and_root_department(rpc, operator, unique, outbox):
    name = unique("Acme Delivery")
    result = rpc(operator).create_organisation({
        "name": name, "kind": "isv",
        "admin": {"login_name": unique("acme"), "display_name": "Acme admin", "email": "it@acme.example"}})
    org, admin = result["organisation"], result["admin"]
    assert org["kind"] == "isv" and org["name"] == name and org["admin_user_id"] == admin["id"]
    assert admin["roles"] == ["vendor_admin", "provider_admin"], "every ISV is both vendor and provider"
    assert admin["department_id"] == org["root_department_id"] and admin["must_change_password"] is True
    assert len(result["password"]) == 8

    created = outbox("organisation_created", org_id=org["id"])[0]["data"]
    assert created["root_department_id"] == org["root_department_id"] and created["admin_user_id"] == admin["id"]
    assert outbox("user_created", user_id=admin["id"])[0]["data"]["roles"] == ["vendor_admin", "provider_admin"]
    assert outbox("department_changed", department_id=org["root_department_id"])[0]["data"]["change"] == "created"
    tree = rpc(operator).list_departments(org["id"])
    assert tree["root"]["name"] == name and tree["root"]["user_count"] == 1


def test_ORG1_a_customer_organisations_main_account_is_a_customer_and_its_admin_without_department(rpc, new_isv):
    customer = new_isv("customer")
    assert customer.admin["roles"] == ["customer", "customer_admin"] and customer.admin["department_id"] is None
    assert customer.org["root_department_id"] is None


def test_ORG1_only_the_platform_operator_creates_organisations(rpc, isv, unique):
    payload = {"name": unique("Rogue"), "kind": "isv", "admin": {"login_name": unique("r"), "display_name": "R"}}
    with pytest.raises(Forbidden):
        rpc(isv.actor).create_organisation(payload)
    with pytest.raises(Unauthenticated):
        rpc().create_organisation(payload)
    with pytest.raises(ValidationFailed) as err:
        rpc(isv.actor).create_organisation({**payload, "kind": "operator"})
    assert "kind" in err.value.fields


def test_ORG1_organisation_names_and_login_names_are_unique_ignoring_case(rpc, operator, isv, new_employee):
    with pytest.raises(Conflict) as err:
        rpc(operator).create_organisation({"name": isv.org["name"].upper(), "kind": "customer",
                                           "admin": {"login_name": "someone-new-1", "display_name": "X"}})
    assert "name" in err.value.fields
    user, _ = new_employee(isv)
    with pytest.raises(Conflict) as err:
        rpc(isv.actor).create_user({"login_name": user["login_name"].upper(), "display_name": "Twin",
                                    "roles": ["engineer"]})
    assert "login_name" in err.value.fields


def test_bootstrap_creates_the_operator_once_and_never_changes_its_password(rpc, operator, db, unique):
    with db.connect() as conn:
        before = conn.execute(text("select password_hash from users where id = :id"),
                              {"id": operator.user_id}).scalar_one()
    again = rpc().bootstrap_operator(unique("other"), "Different99")
    assert again["created"] is False and again["user"]["id"] == operator.user_id
    with db.connect() as conn:
        assert conn.execute(text("select password_hash from users where id = :id"),
                            {"id": operator.user_id}).scalar_one() == before
        assert conn.execute(text("select count(*) from organisations where kind = 'operator'")).scalar_one() == 1


def test_ORG7_operator_reads_every_organisation_and_others_only_their_own(rpc, operator, new_isv):
    a, b = new_isv(), new_isv()
    assert rpc(operator).get_organisation(b.org["id"])["name"] == b.org["name"]
    assert rpc(a.actor).get_organisation(a.org["id"])["id"] == a.org["id"]
    with pytest.raises(NotFound) as err:
        rpc(a.actor).get_organisation(b.org["id"])
    assert b.org["name"] not in err.value.message
    page = rpc(operator).list_organisations({"q": b.org["name"]})
    assert page["total"] == 1 and page["items"][0]["id"] == b.org["id"]
    with pytest.raises(Forbidden):
        rpc(a.actor).list_organisations({})


def test_ORG7_an_isv_admin_cannot_see_or_change_another_isvs_users_or_departments(rpc, new_isv, new_employee):
    a, b = new_isv(), new_isv()
    b_user, _ = new_employee(b)
    b_dept = rpc(b.actor).create_department({"name": "Secret team"})
    as_a = rpc(a.actor)
    for attempt in (lambda: as_a.get_user(b_user["id"]),
                    lambda: as_a.update_user(b_user["id"], {"display_name": "Hijacked"}),
                    lambda: as_a.assign_roles(b_user["id"], {"roles": ["designer"]}),
                    lambda: as_a.reset_password(b_user["id"]),
                    lambda: as_a.list_users({"org_id": b.org["id"]}),
                    lambda: as_a.list_departments(b.org["id"]),
                    lambda: as_a.update_department(b_dept["id"], {"name": "Mine now"}),
                    lambda: as_a.delete_department(b_dept["id"])):
        with pytest.raises(NotFound) as err:
            attempt()
        assert b_user["login_name"] not in str(err.value.args) and "Secret team" not in str(err.value.args)
    with pytest.raises(Unprocessable) as err:
        as_a.create_user({"login_name": f"x{b_user['login_name']}", "display_name": "X", "roles": ["engineer"],
                          "department_id": b_dept["id"]})
    assert "department_id" in err.value.fields
    with pytest.raises(Unprocessable):
        as_a.create_department({"name": "Inside B", "parent_id": b_dept["id"]})
    assert rpc(b.actor).get_user(b_user["id"])["display_name"] == "Employee"
    assert all(u["org_id"] == a.org["id"] for u in as_a.list_users({})["items"])


def test_ORG7_an_employee_sees_itself_but_not_its_colleagues(rpc, isv, new_employee, actor_of):
    me, _ = new_employee(isv)
    colleague, _ = new_employee(isv)
    as_me = rpc(actor_of(me))
    assert as_me.get_user(me["id"])["id"] == me["id"]
    with pytest.raises(Forbidden):
        as_me.get_user(colleague["id"])
    with pytest.raises(Forbidden):
        as_me.list_users({})
    with pytest.raises(Forbidden):
        as_me.create_user({"login_name": "sneaky-one", "display_name": "S", "roles": ["engineer"]})


def test_ORG7_unknown_and_forbidden_fields_are_refused_by_name(rpc, isv, new_employee, actor_of):
    with pytest.raises(ValidationFailed) as err:
        rpc(isv.actor).create_user({"login_name": "mass-assign-1", "display_name": "M", "roles": ["engineer"],
                                    "org_id": "another-org", "must_change_password": False,
                                    "password_hash": "$argon2id$x"})
    assert set(err.value.fields) == {"org_id", "must_change_password", "password_hash"}
    user, _ = new_employee(isv)
    with pytest.raises(ValidationFailed) as err:
        rpc(isv.actor).update_user(user["id"], {"roles": ["provider_admin"], "org_id": "x"})
    assert set(err.value.fields) == {"roles", "org_id"}

    as_user = rpc(actor_of(user))
    with pytest.raises(Forbidden) as err:
        as_user.update_user(user["id"], {"display_name": "Me", "department_id": isv.root_department_id,
                                         "active": True})
    assert set(err.value.fields) == {"department_id", "active"}
    assert as_user.update_user(user["id"], {"display_name": "  New Name ", "phone": "+86 139 1111 2222"})[
        "display_name"] == "New Name"


def test_ORG2_nobody_raises_their_own_roles(rpc, isv, new_employee, actor_of):
    user, _ = new_employee(isv, roles=["designer"])
    with pytest.raises(Forbidden):
        rpc(actor_of(user)).assign_roles(user["id"], {"roles": ["designer", "provider_admin"]})
    with pytest.raises(Unprocessable) as err:
        rpc(isv.actor).assign_roles(user["id"], {"roles": ["designer", "provider_admin"]})
    assert "main account only" in err.value.fields["roles"][0]
    with pytest.raises(Unprocessable) as err:
        rpc(isv.actor).assign_roles(isv.admin["id"], {"roles": ["vendor_admin"]})
    assert "keeps provider_admin" in err.value.fields["roles"][0]
    with pytest.raises(Unprocessable):
        rpc(isv.actor).create_user({"login_name": f"{user['login_name']}x", "display_name": "Second admin",
                                    "roles": ["vendor_admin"]})
    assert rpc(isv.actor).get_user(user["id"])["roles"] == ["designer"]


def test_ORG2_admin_assigns_several_roles_and_listeners_get_the_full_current_state(rpc, operator, isv, new_employee,
                                                                                  outbox):
    user, _ = new_employee(isv, roles=["designer"])
    updated = rpc(isv.actor).assign_roles(user["id"], {"roles": ["engineer", "customer_manager", "engineer"]})
    assert updated["roles"] == ["customer_manager", "engineer"]
    event = outbox("user_updated", user_id=user["id"])[-1]["data"]
    assert event["changed"] == ["roles"] and event["roles"] == ["customer_manager", "engineer"]
    assert event["department_id"] == isv.root_department_id and event["active"] is True
    entry = rpc(operator).audit_log({"action": "roles_changed", "org_id": isv.org["id"]})["items"][0]
    assert entry["details"] == {"before": ["designer"], "after": ["customer_manager", "engineer"]}
    assert entry["actor_user_id"] == isv.admin["id"]
    with pytest.raises(Unprocessable) as err:
        rpc(isv.actor).assign_roles(user["id"], {"roles": ["customer"]})
    assert "not a role of a(n) isv organisation" in err.value.fields["roles"][0]


def test_ORG2_the_main_account_may_take_work_roles_itself(rpc, isv):
    roles = rpc(isv.actor).assign_roles(isv.admin["id"], {"roles": ["vendor_admin", "provider_admin", "engineer"]})
    assert roles["roles"] == ["vendor_admin", "provider_admin", "engineer"]


def test_ORG2_roles_are_listed_with_titles_and_filtered_by_name(rpc, isv, new_employee, actor_of):
    user, _ = new_employee(isv)
    roles = rpc(actor_of(user)).list_roles({})
    assert len(roles) == 11 and {"key", "title", "title_zh", "org_kind"} <= set(roles[0])
    assert [r["key"] for r in rpc(isv.actor).list_roles({"q": "设计"})] == ["designer"]
    assert [r["key"] for r in rpc(isv.actor).list_roles({"org_kind": "customer"})] == ["customer", "customer_admin"]
    with pytest.raises(Unauthenticated):
        rpc().list_roles({})


def test_ORG3_admin_builds_the_department_tree_and_only_empty_departments_go(rpc, operator, isv, new_employee,
                                                                           outbox):
    admin = rpc(isv.actor)
    sales = admin.create_department({"name": "Sales"})
    north = admin.create_department({"name": "North", "parent_id": sales["id"]})
    delivery = admin.create_department({"name": "Delivery"})
    assert sales["parent_id"] == isv.root_department_id
    with pytest.raises(Conflict):
        admin.create_department({"name": "sales"})

    user, _ = new_employee(isv, department_id=north["id"])
    assert user["department_id"] == north["id"]
    with pytest.raises(Unprocessable) as err:
        admin.delete_department(north["id"])
    assert "1 user(s)" in err.value.message
    with pytest.raises(Unprocessable):
        admin.update_department(sales["id"], {"parent_id": north["id"]})

    admin.update_department(north["id"], {"name": "North-East", "parent_id": delivery["id"]})
    admin.update_user(user["id"], {"department_id": delivery["id"]})
    tree = admin.list_departments()
    branches = {c["name"]: c for c in tree["root"]["children"]}
    assert branches["Delivery"]["user_count"] == 1
    assert [c["name"] for c in branches["Delivery"]["children"]] == ["North-East"]
    assert branches["Sales"]["children"] == []
    assert admin.delete_department(north["id"]) == {"deleted": north["id"]}
    with pytest.raises(Unprocessable):
        admin.delete_department(isv.root_department_id)

    changes = [e["data"]["change"] for e in outbox("department_changed", department_id=north["id"])]
    assert changes == ["created", "renamed", "moved", "deleted"]
    moved = outbox("user_updated", user_id=user["id"])[-1]["data"]
    assert moved["changed"] == ["department_id"] and moved["department_id"] == delivery["id"]
    assert rpc(operator).list_departments(isv.org["id"])["root"]["id"] == isv.root_department_id


def test_ORG3_employees_cannot_change_departments(rpc, isv, new_employee, actor_of):
    user, _ = new_employee(isv)
    with pytest.raises(Forbidden):
        rpc(actor_of(user)).create_department({"name": "My own"})
    assert rpc(actor_of(user)).list_departments()["root"]["id"] == isv.root_department_id


def test_ORG7_me_gives_user_organisation_roles_department_and_merged_menus(rpc, isv, new_employee, actor_of):
    dept = rpc(isv.actor).create_department({"name": "Support"})
    user, _ = new_employee(isv, roles=["support_agent", "customer_manager"], department_id=dept["id"])
    me = rpc(actor_of(user)).me()
    assert me["user"]["id"] == user["id"] and me["organisation"]["id"] == isv.org["id"]
    assert [r["key"] for r in me["roles"]] == ["customer_manager", "support_agent"]
    assert me["department"] == {"id": dept["id"], "name": "Support", "path": [isv.org["name"], "Support"]}
    assert [m["key"] for m in me["menus"]] == ["projects", "settings", "purchased", "tickets"]
    assert [c["key"] for c in me["menus"][0]["children"]] == ["projects.mine", "projects.claim"]
    with pytest.raises(Unauthenticated):
        rpc().me()


def test_ORG7_deactivation_by_the_admin_ends_sessions_and_the_admin_cannot_deactivate_itself(
        rpc, operator, isv, new_employee, outbox):
    user, _ = new_employee(isv)
    assert rpc(isv.actor).update_user(user["id"], {"active": False})["active"] is False
    assert outbox("user_updated", user_id=user["id"], active=False)[0]["data"]["changed"] == ["active"]
    assert rpc(operator).audit_log({"action": "user_deactivated", "org_id": isv.org["id"]})["items"]
    with pytest.raises(Forbidden) as err:
        rpc(isv.actor).update_user(isv.admin["id"], {"active": False})
    assert "active" in err.value.fields
    assert rpc(isv.actor).list_users({"active": False})["total"] == 1
    with pytest.raises(Forbidden):
        rpc(operator).update_user(user["id"], {"display_name": "Operator edit"})
    assert rpc(operator).update_user(user["id"], {"active": True})["active"] is True


def test_users_are_listed_with_filters_and_a_total(rpc, isv, new_employee):
    for _ in range(3):
        new_employee(isv, roles=["engineer"])
    designer, _ = new_employee(isv, roles=["designer"])
    admin = rpc(isv.actor)
    assert admin.list_users({})["total"] == 5
    page = admin.list_users({"role": "engineer", "limit": 2})
    assert page["total"] == 3 and len(page["items"]) == 2
    assert [u["id"] for u in admin.list_users({"q": designer["login_name"][-6:]})["items"]] == [designer["id"]]
    with pytest.raises(ValidationFailed) as err:
        admin.list_users({"limit": 0, "colour": "red"})
    assert set(err.value.fields) == {"limit", "colour"}


def test_events_never_carry_a_password_or_a_hash(rpc, isv, new_employee, db):
    user, password = new_employee(isv)
    rpc(isv.actor).reset_password(user["id"])
    with db.connect() as conn:
        envelopes = conn.execute(text("select envelope from outbox_events where envelope->'data'->>'org_id' = :o"),
                                 {"o": isv.org["id"]}).scalars().all()
        audit_rows = conn.execute(text("select details from audit_log where org_id = :o"),
                                  {"o": isv.org["id"]}).scalars().all()
    dumped = json.dumps(envelopes) + json.dumps(audit_rows)
    assert envelopes and audit_rows
    assert password not in dumped and isv.password not in dumped
    assert "argon2" not in dumped and "password_hash" not in dumped
