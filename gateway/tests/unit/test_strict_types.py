"""The OpenAPI document is the contract: a request body's numbers and booleans arrive as JSON
numbers and booleans, never as strings marshmallow would coerce."""
from gateway.api.dispatch import EmployeeSettingsBody, ProductProvidersBody
from gateway.web import wrong_json_types


def test_GW3_DSP4_a_capacity_or_switch_sent_as_a_string_is_named():
    assert wrong_json_types(EmployeeSettingsBody(), {"capacity": "3", "open": "yes"}) == {
        "capacity": ["Not a valid integer: send a JSON number without quotes."],
        "open": ["Not a valid boolean: send true or false."]}
    assert wrong_json_types(EmployeeSettingsBody(), {"capacity": True}) != {}, "true is not the integer 1"
    assert wrong_json_types(EmployeeSettingsBody(), {"capacity": 3, "open": False}) == {}


def test_GW3_DSP1_numbers_inside_lists_of_objects_are_checked_by_path():
    body = {"product_id": "p", "providers": [{"provider_id": "a", "weight": 10, "max_held": 5},
                                             {"provider_id": "b", "weight": "10", "max_held": 5.0}]}
    assert set(wrong_json_types(ProductProvidersBody(), body)) == {"providers[1].weight", "providers[1].max_held"}
