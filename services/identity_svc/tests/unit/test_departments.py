"""ORG-3: an ISV's department tree and its rules."""
import pytest

from identity_svc.domain.departments import Department, DepartmentTree
from identity_svc.exceptions import Clash, InvalidValue, NotAllowedNow


def tree() -> DepartmentTree:
    #  root
    #  ├── Sales
    #  │   └── North
    #  └── Delivery
    return DepartmentTree([Department("root", None, "ACME"), Department("sales", "root", "Sales"),
                           Department("north", "sales", "North"), Department("delivery", "root", "Delivery")])


def test_ORG3_a_tree_has_exactly_one_root():
    with pytest.raises(ValueError):
        DepartmentTree([Department("a", None, "A"), Department("b", None, "B")])


def test_ORG3_names_are_unique_among_siblings_ignoring_case_and_spaces_are_tidied():
    with pytest.raises(Clash) as err:
        tree().check_create("root", "  sales ")
    assert "name" in err.value.fields
    assert tree().check_create("sales", "  South   Region ") == "South Region"
    assert tree().check_create("delivery", "North") == "North", "the same name under another parent is fine"


def test_ORG3_blank_names_and_unknown_parents_are_refused_naming_the_field():
    with pytest.raises(InvalidValue) as err:
        tree().check_create("root", "   ")
    assert err.value.fields == {"name": ["must not be blank"]}
    with pytest.raises(NotAllowedNow) as err:  # a reference to nothing: 422, not bad input
        tree().check_create("elsewhere", "X")
    assert "parent_id" in err.value.fields


def test_ORG3_renaming_keeps_its_own_name_free_but_not_a_siblings():
    assert tree().check_rename("sales", "SALES") == "SALES"
    with pytest.raises(Clash):
        tree().check_rename("sales", "delivery")


def test_ORG3_a_department_cannot_move_under_itself_or_its_descendants_and_the_root_never_moves():
    with pytest.raises(NotAllowedNow):
        tree().check_move("sales", "north")
    with pytest.raises(NotAllowedNow):
        tree().check_move("sales", "sales")
    with pytest.raises(NotAllowedNow):
        tree().check_move("root", "delivery")
    tree().check_move("north", "delivery")


def test_ORG3_a_move_refuses_a_name_taken_under_the_new_parent():
    t = DepartmentTree([Department("root", None, "R"), Department("a", "root", "A"), Department("x", "a", "Team"),
                        Department("b", "root", "B"), Department("y", "b", "team")])
    with pytest.raises(Clash):
        t.check_move("x", "b")


def test_ORG3_only_an_empty_department_can_be_deleted_and_never_the_root():
    with pytest.raises(NotAllowedNow) as err:
        tree().check_delete("sales", {})
    assert "1 sub-department(s)" in err.value.message
    with pytest.raises(NotAllowedNow) as err:
        tree().check_delete("delivery", {"delivery": 2})
    assert "2 user(s)" in err.value.message
    with pytest.raises(NotAllowedNow):
        tree().check_delete("root", {})
    tree().check_delete("north", {"sales": 3})


def test_ORG3_nested_view_counts_users_and_sorts_children_by_name():
    nested = tree().as_nested({"north": 2})
    assert nested["id"] == "root" and [c["name"] for c in nested["children"]] == ["Delivery", "Sales"]
    assert nested["children"][1]["children"][0] == {"id": "north", "name": "North", "parent_id": "sales",
                                                    "user_count": 2, "children": []}
    assert [d.name for d in tree().path("north")] == ["ACME", "Sales", "North"]
