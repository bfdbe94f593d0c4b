"""GW-4: what makes two requests "the same" for an Idempotency-Key, and the id a service derives from it."""
from gateway.guard import canonical_body
from platform_kit.idempotency import operation_id, scoped_key


def test_GW4_the_fingerprint_reads_json_canonically_spacing_and_key_order_do_not_count():
    assert canonical_body(b'{"b": [1, 2], "a": {"y": 1, "x": "\\u4e2d"}}') == \
        canonical_body(b'{\n  "a": {"x": "\xe4\xb8\xad",  "y": 1},\n  "b": [1,2]\n}')
    assert canonical_body(b'{"a": 1}') != canonical_body(b'{"a": 2}')
    assert canonical_body(b"not json") == b"not json"


def test_GW4_one_key_derives_one_operation_id_per_caller_and_operation():
    mine, theirs = scoped_key("user:u1", "k-1"), scoped_key("user:u2", "k-1")
    assert operation_id(mine, "refund:o1") == operation_id(mine, "refund:o1")
    assert len({operation_id(mine, "refund:o1"), operation_id(mine, "refund:o2"),
                operation_id(theirs, "refund:o1")}) == 3
    assert operation_id(None, "refund:o1") != operation_id(None, "refund:o1")   # no key: a fresh id each call
