"""Loading a payload that crossed a boundary: marshmallow errors become ``ValidationFailed``."""
from __future__ import annotations

from marshmallow import Schema, ValidationError

from platform_kit.errors import ValidationFailed


def load(schema: Schema, payload, message: str = "Some fields are not valid."):
    try:
        return schema.load(payload if payload is not None else {})
    except ValidationError as err:
        raise ValidationFailed.from_marshmallow(err, message) from None
