"""Loading a payload that crossed a boundary: marshmallow errors become ``ValidationFailed``."""
from __future__ import annotations

from marshmallow import Schema, ValidationError

from platform_kit.errors import validation_failed


def load(schema: Schema, payload, message: str = "Some fields are not valid."):
    try:
        return schema.load(payload if payload is not None else {})
    except ValidationError as err:
        raise validation_failed(err, message) from None
