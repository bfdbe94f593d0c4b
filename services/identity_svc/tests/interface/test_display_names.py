"""display_names (asked beside every read of a project) against the real database: one statement, the busiest read."""
import uuid


def test_PRJ3_display_names_resolve_the_ids_asked_from_the_database_and_leave_unknown_ones_out(rpc, isv,
                                                                                               new_employee):
    employee, _ = new_employee(isv)
    unknown = str(uuid.uuid4())
    names = rpc(isv.actor).display_names({"org_ids": [isv.org["id"], unknown],
                                          "user_ids": [employee["id"], isv.admin["id"], unknown]})
    assert names == {"organisations": {isv.org["id"]: isv.org["name"]},
                     "users": {employee["id"]: "Employee", isv.admin["id"]: "Main account"}}
    assert rpc(isv.actor).display_names({}) == {"organisations": {}, "users": {}}
