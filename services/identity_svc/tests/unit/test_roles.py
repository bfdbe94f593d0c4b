"""ORG-2: preset roles, which organisation kind each belongs to, and who may hold them."""
import pytest

from identity_svc.domain.roles import MAIN_ACCOUNT_ROLES, ROLE_CATALOGUE, check_roles, is_isv_admin, roles_of_kind
from identity_svc.exceptions import NotAllowedNow
from platform_contracts.roles import CUSTOMER, ISV, OPERATOR, ROLES, ROLES_BY_ORG_KIND


def test_ORG2_catalogue_holds_every_preset_role_once_with_english_and_chinese_titles():
    assert [r.key for r in ROLE_CATALOGUE] == list(ROLES)
    assert all(r.title and r.title_zh and r.description for r in ROLE_CATALOGUE)
    for kind, keys in ROLES_BY_ORG_KIND.items():
        assert tuple(r.key for r in roles_of_kind(kind)) == keys


def test_ORG2_isv_users_get_several_work_roles_in_catalogue_order_without_duplicates():
    assert check_roles(ISV, ["engineer", "designer", "engineer"]) == ["designer", "engineer"]


def test_ORG2_roles_of_another_org_kind_are_refused_naming_roles():
    with pytest.raises(NotAllowedNow) as err:
        check_roles(ISV, ["customer", "engineer"])
    assert "not a role of a(n) isv organisation: customer" in err.value.fields["roles"][0]
    with pytest.raises(NotAllowedNow):
        check_roles(CUSTOMER, ["engineer"])
    with pytest.raises(NotAllowedNow):
        check_roles(OPERATOR, ["vendor_admin"])


def test_ORG2_unknown_roles_and_an_empty_list_are_refused():
    with pytest.raises(NotAllowedNow) as err:
        check_roles(ISV, ["superuser"])
    assert "unknown role(s): superuser" in err.value.fields["roles"]
    with pytest.raises(NotAllowedNow) as err:
        check_roles(ISV, [])
    assert "give at least one role" in err.value.fields["roles"]


def test_ORG1_admin_roles_belong_to_the_main_account_and_are_given_to_nobody_else():
    with pytest.raises(NotAllowedNow) as err:
        check_roles(ISV, ["provider_admin", "engineer"], current=["engineer"])
    assert "main account only" in err.value.fields["roles"][0]


def test_ORG1_the_main_account_keeps_its_admin_roles_and_may_add_work_roles():
    admin = list(MAIN_ACCOUNT_ROLES[ISV])
    assert check_roles(ISV, [*admin, "engineer"], current=admin, is_main_account=True) == [
        "vendor_admin", "provider_admin", "engineer"]
    with pytest.raises(NotAllowedNow) as err:
        check_roles(ISV, ["vendor_admin", "engineer"], current=admin, is_main_account=True)
    assert "keeps provider_admin" in err.value.fields["roles"][0]


def test_operator_and_customer_organisations_have_exactly_their_one_role():
    assert check_roles(OPERATOR, ["platform_operator"]) == ["platform_operator"]
    assert check_roles(CUSTOMER, ["customer"]) == ["customer"]


def test_ORG7_isv_admins_are_the_vendor_or_provider_admins_of_an_isv():
    assert is_isv_admin(ISV, ["provider_admin"]) and is_isv_admin(ISV, ["vendor_admin"])
    assert not is_isv_admin(ISV, ["engineer", "customer_manager"])
    assert not is_isv_admin(CUSTOMER, ["vendor_admin"])
