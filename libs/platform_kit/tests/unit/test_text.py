"""GW-3 (any input, however hostile): the text rules in one place, pure."""
import pytest
from marshmallow import Schema, ValidationError

from platform_kit.text import Identifier, Name, TextRefused, flatten_messages, parse_json, parse_query, too_many_values


def test_GW3_fields_are_flattened_to_paths_with_lists_of_messages():
    nested = {"admin": {"login_name": ["required"]}, "roles": {0: ["unknown"], 2: {"name": ["blank"]}},
              "_schema": ["bad"]}
    assert flatten_messages(nested) == {"admin.login_name": ["required"], "roles[0]": ["unknown"],
                                        "roles[2].name": ["blank"], "_schema": ["bad"]}


def test_GW3_values_are_counted_outside_strings_only():
    assert too_many_values(b"[" + b",".join([b"1"] * 11) + b"]", 10)
    assert not too_many_values(b'["' + b"a," * 100 + b'"]', 10)
    assert not too_many_values(b'["a\\",b", "' + b"," * 50 + b'"]', 10)
    with pytest.raises(TextRefused):
        parse_json(b"[" + b",".join([b"1"] * 20) + b"]", max_values=10)


def test_GW3_query_strings_refuse_repeats_invalid_utf8_and_controls():
    assert parse_query("a=1&b=") == {"a": "1", "b": ""}
    for bad in ("a=1&a=2", "a=%ff", "a=%00", "a=%e2%80%ae"):
        with pytest.raises(TextRefused):
            parse_query(bad)


def test_GW3_name_and_identifier_fields_state_and_apply_their_rules():
    class S(Schema):
        name = Name(required=True, max_length=5)
        ref = Identifier(required=True)

    assert S().load({"name": " Ada ", "ref": "a-1"}) == {"name": "Ada", "ref": "a-1"}
    for bad in ({"name": " ", "ref": "a"}, {"name": "A\u202eB", "ref": "a"}, {"name": "A", "ref": "a b"},
                {"name": "A", "ref": "a\x00"}):
        with pytest.raises(ValidationError):
            S().load(bad)
