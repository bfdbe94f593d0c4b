"""Lists, written once: sort parameters, total counts, offset pages, keyset cursors, LIKE patterns.

Every list of the platform takes ``sort=field`` or ``sort=-field`` (the field names a schema has
already checked against the list's sortable columns), pages with ``limit`` + ``offset`` or with an
opaque ``cursor`` (keyset: fast on deep pages), and answers the total where it is asked for.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from platform_kit.exceptions import ValidationFailed

Columns = Mapping[str, Any]


def descending(sort: str) -> bool:
    return sort.startswith("-")


def sort_columns(columns: Columns, sort: str) -> list:
    """The column(s) ``sort`` names (``-created_at`` names ``created_at``), as a list."""
    named = columns[sort.lstrip("-")]
    return list(named) if isinstance(named, Sequence) and not hasattr(named, "desc") else [named]


def order_by(columns: Columns, sort: str, *tiebreak) -> list:
    """ORDER BY clauses for ``sort``, then the tiebreak columns (ascending) so pages never overlap."""
    order = [c.desc() if descending(sort) else c.asc() for c in sort_columns(columns, sort)]
    return order + [c.asc() for c in tiebreak]


def total(session: Session, query: Select) -> int:
    return session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()


def offset_page(session: Session, query: Select, *, columns: Columns, sort: str, tiebreak: Sequence = (),
                limit: int, offset: int) -> tuple[list, int]:
    """One page of ``query`` (rows as ``session.execute(...).all()`` gives them) and the total."""
    count = total(session, query)
    rows = session.execute(query.order_by(*order_by(columns, sort, *tiebreak)).limit(limit).offset(offset)).all()
    return rows, count


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards in ``text`` escaped (the default escape character is ``\\``)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def encode_cursor(values: list) -> str:
    """An opaque keyset cursor: the sort values of the last row of a page."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list:
    """The values of a cursor this module made, or a 400 naming the ``cursor`` parameter."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
        return values
    except ValueError:
        raise ValidationFailed("The cursor is not one this list gave.", {"cursor": ["not a valid cursor"]}) from None
