"""The list helpers every service uses (paging, sorting, cursors, LIKE patterns)."""
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.dialects import postgresql

from platform_kit import paging
from platform_kit.exceptions import ValidationFailed

things = Table("things", MetaData(), Column("id", String), Column("name", String), Column("rank", Integer))
COLUMNS = {"name": things.c.name, "rank": things.c.rank, "both": (things.c.rank, things.c.name)}


def sql(clauses) -> list[str]:
    return [str(c.compile(dialect=postgresql.dialect())) for c in clauses]


def test_sort_minus_means_descending_and_the_tiebreak_comes_last_ascending():
    assert sql(paging.order_by(COLUMNS, "-rank", things.c.id)) == ["things.rank DESC", "things.id ASC"]
    assert sql(paging.order_by(COLUMNS, "name")) == ["things.name ASC"]
    assert sql(paging.order_by(COLUMNS, "-both")) == ["things.rank DESC", "things.name DESC"]


def test_an_unknown_sort_field_is_a_key_error_the_schema_should_have_refused():
    with pytest.raises(KeyError):
        paging.order_by(COLUMNS, "colour")


def test_cursors_round_trip_and_a_forged_one_is_a_400_naming_the_cursor():
    token = paging.encode_cursor(["2026-11-22T10:00:00+00:00", "p-1"])
    assert paging.decode_cursor(token, 2) == ["2026-11-22T10:00:00+00:00", "p-1"]
    for forged in ("not-base64!", paging.encode_cursor(["one"]), paging.encode_cursor({"a": 1})):
        with pytest.raises(ValidationFailed) as refused:
            paging.decode_cursor(forged, 2)
        assert refused.value.fields == {"cursor": ["not a valid cursor"]}


def test_like_patterns_escape_the_wildcards_of_the_text():
    assert paging.like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"
