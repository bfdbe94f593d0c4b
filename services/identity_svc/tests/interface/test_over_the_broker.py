"""The same calls over RabbitMQ, as the gateway makes them: results are plain JSON, errors arrive
as the platform's own exception classes, and the caller travels in the context data."""
import pytest
from nameko.standalone.rpc import ClusterRpcClient

from platform_contracts.actor import ACTOR_KEY
from platform_kit.errors import NotFound, ValidationFailed


def test_GW2_a_first_log_in_over_the_broker_can_read_me_and_change_the_password(identity, isv, new_employee,
                                                                                 actor_of, random_address, decode):
    user, one_time = new_employee(isv, roles=["designer"])
    with ClusterRpcClient() as anonymous:
        tokens = anonymous.identity.login(user["login_name"], one_time, random_address())
    assert tokens["must_change_password"] and decode(tokens["access_token"]).must_change_password
    with ClusterRpcClient(context_data={ACTOR_KEY: actor_of(user).to_header()}) as rpc:
        assert rpc.identity.me()["menus"][0]["key"] == "projects"
        assert rpc.identity.calendar("2024")["covers"] is True
        changed = rpc.identity.change_password({"current_password": one_time, "new_password": "Designer2024"})
        assert changed["changed"] is True and isinstance(changed["password_changed_at"], str)
        with pytest.raises(NotFound):
            rpc.identity.get_user("00000000-0000-0000-0000-000000000000")
        with pytest.raises(ValidationFailed) as err:
            rpc.identity.update_user(user["id"], {"roles": ["designer"]})
        assert err.value.fields == {"roles": ["Unknown field."]}


def test_PRJ3_display_names_over_the_broker_resolve_ids_and_refuse_too_many(identity, isv, new_employee, actor_of):
    user, _ = new_employee(isv, roles=["designer"])
    with ClusterRpcClient(context_data={ACTOR_KEY: actor_of(user).to_header()}) as rpc:
        names = rpc.identity.display_names({"org_ids": [user["org_id"], "no-such-org"],
                                            "user_ids": [user["id"]]})
        assert names["users"] == {user["id"]: user["display_name"]} and list(names["organisations"]) == [
            user["org_id"]]
        with pytest.raises(ValidationFailed) as err:
            rpc.identity.display_names({"org_ids": [f"o{i}" for i in range(501)]})
        assert "org_ids" in err.value.fields
