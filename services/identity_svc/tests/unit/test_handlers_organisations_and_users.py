"""ORG-1, ORG-2, ORG-4, ORG-7: organisations, users and roles as use cases over the fake unit of work."""
import pytest

from identity_svc.exceptions import (
    Clash,
    NotAllowedNow,
    NotPermitted,
    OrganisationNotFound,
    SignInRefused,
    UserNotFound,
)
from identity_svc.handlers import organisations, users
from identity_svc.handlers.signin import login
from platform_contracts.actor import Actor

OPERATOR_PASSWORD = "Operator2024"



def employee(world, next_uow, roles=("engineer",), **fields):
    cmd = {"login_name": fields.pop("login_name", "staff.one"), "display_name": "Employee", "phone": None,
           "email": None, "roles": list(roles), **fields}
    account = users.create_user(world.isv.actor, cmd, next_uow())
    user = account.user
    return account, Actor(user.id, user.org_id, "isv", tuple(user.roles), user.department_id)


def test_ORG1_bootstrap_creates_the_operator_once(world, next_uow, repositories):
    uow = next_uow()
    org, user, created = organisations.bootstrap_operator({"login_name": "other", "password": "Another2024"}, uow)
    assert created is False and not uow.committed and user.login_name == "operator"
    assert user.password_matches(OPERATOR_PASSWORD) and not user.password_matches("Another2024")


def test_ORG1_an_isv_comes_with_its_main_account_and_root_department_and_listeners_are_told(next_uow, world):
    uow = next_uow()
    org, account = organisations.create_organisation(world.operator, {
        "name": "  New   ISV ", "kind": "isv",
        "admin": {"login_name": "new.admin", "display_name": "Boss", "phone": None, "email": None}}, uow)
    assert uow.event_types() == ["department_changed", "user_created", "organisation_created"]
    assert org.name == "New ISV" and org.admin_user_id == account.user.id and org.root_department_id
    assert account.user.roles == ["vendor_admin", "provider_admin"]
    assert account.user.department_id == org.root_department_id and account.user.must_change_password
    assert uow.events_of("organisation_created")[0]["root_department_id"] == org.root_department_id
    assert "password" not in str(uow.events) and account.password not in str(uow.events)


def test_ORG1_a_customer_has_no_department(world):
    assert world.customer.org.root_department_id is None and world.customer.admin.department_id is None
    assert world.customer.admin.roles == ["customer", "customer_admin"]


def test_ORG1_names_and_login_names_are_unique_ignoring_case(world, next_uow):
    admin = {"login_name": "fresh", "display_name": "x", "phone": None, "email": None}
    with pytest.raises(Clash) as err:
        organisations.create_organisation(world.operator, {"name": "ACME  isv", "kind": "isv", "admin": admin},
                                          next_uow())
    assert "name" in err.value.fields
    with pytest.raises(Clash) as err:
        organisations.create_organisation(world.operator, {"name": "Fresh", "kind": "isv", "admin": {
            **admin, "login_name": "ISV.ADMIN"}}, next_uow())
    assert err.value.fields == {"admin": {"login_name": ["is already used by another account"]}}


def test_ORG1_only_the_operator_creates_and_lists_organisations(world, next_uow):
    with pytest.raises(NotPermitted):
        organisations.create_organisation(world.isv.actor, {"name": "x", "kind": "isv", "admin": {}}, next_uow())
    with pytest.raises(NotPermitted):
        organisations.list_organisations(world.isv.actor, {"kind": None, "q": None, "limit": 50, "offset": 0},
                                         next_uow())
    items, total = organisations.list_organisations(world.operator, {"kind": "isv", "q": None, "limit": 50,
                                                                     "offset": 0}, next_uow())
    assert total == 1 and items[0].id == world.isv.org.id


def test_BIL3_an_isv_admin_finds_customer_organisations_by_name_and_nothing_else(world, next_uow):
    """LOC-1: a supplier picks the customers a billing product is shown to, by name."""
    organisations.create_organisation(world.operator, {"name": "Buyer Tools ISV", "kind": "isv", "admin": {
        "login_name": "tools.admin", "display_name": "Boss", "phone": None, "email": None}}, next_uow())
    page = {"q": "buy", "limit": 20, "offset": 0}
    items, total = organisations.customer_directory(world.isv.actor, page, next_uow())
    assert total == 1 and [(o.id, o.name) for o in items] == [(world.customer.org.id, "Buyer Co")]
    assert organisations.customer_directory(world.operator, page, next_uow())[1] == 1
    assert organisations.customer_directory(world.isv.actor, {**page, "q": " b "}, next_uow()) == ([], 0)
    _, engineer = employee(world, next_uow)
    for someone in (engineer, world.customer.actor):
        with pytest.raises(NotPermitted):
            organisations.customer_directory(someone, page, next_uow())


def test_ORG7_another_tenants_organisation_answers_like_a_missing_one(world, next_uow):
    with pytest.raises(OrganisationNotFound):
        organisations.get_organisation(world.isv.actor, world.customer.org.id, next_uow())
    assert organisations.get_organisation(world.operator, world.customer.org.id, next_uow()).kind == "customer"


def test_ORG4_a_new_user_gets_a_one_time_password_and_listeners_its_roles(world, next_uow):
    uow = next_uow()
    account = users.create_user(world.isv.actor, {"login_name": "anna", "display_name": " Anna ", "phone": None,
                                                  "email": None, "roles": ["support_agent", "engineer"]}, uow)
    assert len(account.password) == 8 and account.user.must_change_password and account.user.display_name == "Anna"
    assert uow.events_of("user_created")[0]["roles"] == ["engineer", "support_agent"]
    assert account.user.department_id == world.isv.org.root_department_id


def test_ORG2_roles_of_another_kind_or_of_the_main_account_are_refused(world, next_uow):
    for roles in (["customer"], ["vendor_admin"], []):
        with pytest.raises(NotAllowedNow) as err:
            employee(world, next_uow, roles=roles)
        assert "roles" in err.value.fields


def test_ORG3_a_user_goes_only_into_a_department_of_its_own_isv(world, next_uow):
    with pytest.raises(NotAllowedNow) as err:
        employee(world, next_uow, department_id="elsewhere")
    assert "department_id" in err.value.fields
    with pytest.raises(NotAllowedNow):
        users.create_user(world.operator, {"login_name": "op2", "display_name": "o", "phone": None, "email": None,
                                           "roles": ["platform_operator"], "department_id": "d"}, next_uow())


def test_ORG7_an_employee_edits_its_contact_but_not_its_department_or_flag(world, next_uow, sessions):
    account, me = employee(world, next_uow)
    uow = next_uow()
    user = users.update_user(me, me.user_id, {"display_name": "Still me", "phone": "+86 138 0000 0000"}, uow,
                             sessions)
    assert user.display_name == "Still me" and uow.events_of("user_updated")[0]["changed"] == ["display_name", "phone"]
    with pytest.raises(NotPermitted) as err:
        users.update_user(me, me.user_id, {"active": False, "department_id": "x"}, next_uow(), sessions)
    assert set(err.value.fields) == {"active", "department_id"}
    unchanged = next_uow()
    users.update_user(me, me.user_id, {"display_name": "Still me"}, unchanged, sessions)
    assert not unchanged.committed and unchanged.events == []


def test_ORG7_deactivation_by_the_admin_ends_every_sign_in_of_the_user(world, next_uow, sessions, repositories):
    account, me = employee(world, next_uow)
    pair = login({"login_name": "staff.one", "password": account.password, "client_address": None}, next_uow(),
                 sessions)
    uow = next_uow()
    users.update_user(world.isv.actor, me.user_id, {"active": False}, uow, sessions)
    assert me.user_id in sessions.revocations.not_before and repositories["audit"].actions()[-1] == "user_deactivated"
    assert all(s.ended for s in repositories["signins"].rows.values() if s.user_id == me.user_id)
    assert pair["access_token"]
    with pytest.raises(NotPermitted):
        users.update_user(world.isv.actor, world.isv.admin.id, {"active": False}, next_uow(), sessions)


def test_ORG2_an_admin_sets_roles_and_old_tokens_stop_while_nobody_raises_their_own(world, next_uow, sessions):
    account, me = employee(world, next_uow)
    uow = next_uow()
    user = users.assign_roles(world.isv.actor, me.user_id, {"roles": ["designer", "engineer"]}, uow, sessions)
    assert user.roles == ["designer", "engineer"] and uow.events_of("user_updated")[0]["changed"] == ["roles"]
    assert me.user_id in sessions.revocations.not_before
    with pytest.raises(NotPermitted):
        users.assign_roles(me, me.user_id, {"roles": ["vendor_admin"]}, next_uow(), sessions)
    with pytest.raises(NotAllowedNow):
        users.assign_roles(world.isv.actor, world.isv.admin.id, {"roles": ["engineer"]}, next_uow(), sessions)


def test_ORG4_a_reset_gives_a_new_one_time_password_ends_sign_ins_and_lifts_the_lock(world, next_uow, sessions):
    account, me = employee(world, next_uow)
    sessions.failures.counts[("account", "staff.one")] = 10
    sessions.failures.counts[("account_at_address", "staff.one|10.0.0.1")] = 5
    sessions.failures.counts[("address", "10.0.0.1")] = 7
    uow = next_uow()
    reset = users.reset_password(world.isv.actor, me.user_id, uow, sessions)
    assert uow.committed and reset.user.must_change_password and reset.user.password_matches(reset.password)
    assert sessions.failures.counts == {("address", "10.0.0.1"): 7}
    assert me.user_id in sessions.revocations.not_before
    with pytest.raises(NotAllowedNow):
        users.reset_password(world.isv.actor, world.isv.admin.id, next_uow(), sessions)
    assert users.reset_password(world.operator, world.isv.admin.id, next_uow(), sessions).password


def test_ORG7_admins_list_their_own_users_and_others_answer_not_found(world, next_uow):
    employee(world, next_uow)
    query = {"org_id": None, "department_id": None, "role": None, "active": None, "q": None, "limit": 50, "offset": 0}
    items, total = users.list_users(world.isv.actor, query, next_uow())
    assert total == 2 and {u.org_id for u in items} == {world.isv.org.id}
    with pytest.raises(OrganisationNotFound):
        users.list_users(world.isv.actor, {**query, "org_id": world.customer.org.id}, next_uow())
    with pytest.raises(UserNotFound):
        users.get_user(world.isv.actor, world.customer.admin.id, next_uow())


def test_ORG7_me_gives_the_user_its_organisation_department_path_and_menus(world, next_uow):
    me = users.me(world.isv.actor, next_uow())
    assert me["organisation"].id == world.isv.org.id and me["department"]["path"] == ["Acme ISV"]
    assert {r.key for r in me["roles"]} == {"vendor_admin", "provider_admin"} and me["menus"]


def test_ORG2_roles_are_filtered_by_kind_and_name():
    found = users.list_roles({"org_kind": "isv", "q": "设计"})
    assert [r.key for r in found] == ["designer"]


def test_PRJ3_display_names_resolve_the_ids_asked_and_leave_unknown_ones_out(world, next_uow):
    names = users.display_names(world.customer.actor, {
        "org_ids": [world.isv.org.id, "no-such-org"], "user_ids": [world.isv.admin.id, "no-such-user"]}, next_uow())
    assert names == {"organisations": {world.isv.org.id: "Acme ISV"}, "users": {world.isv.admin.id: "Main account"}}
    with pytest.raises(SignInRefused):
        users.display_names(None, {"org_ids": [], "user_ids": []}, next_uow())
