"""The rules every piece of text and every number that enters the platform obeys, in one place.

Used twice: the gateway applies the generic ones to every request before any route runs
(``parse_json``, ``parse_query``, ``check_text``), and schemas use the marshmallow pieces
(``Text``, ``Name``, ``Identifier``, ``Int64``) for the rules a field adds. The patterns are plain
character classes valid both in Python and in JSON Schema (ECMA), so the OpenAPI document states
exactly what the code enforces.

Why each rule:
- invalid UTF-8 would be stored as replacement characters, and a lone surrogate cannot be stored;
- PostgreSQL refuses NUL in text (it used to surface as a 500);
- control and bidirectional-override characters in names and ids let one name look like another;
- integers outside PostgreSQL's ``bigint`` answer ``bigint out of range`` (a 500) otherwise;
- duplicate JSON keys and repeated query parameters are ambiguous (the last or the first silently
  won: a body naming two users signed in as the second);
- depth and key counts bound the work a body can cause: marshmallow merges its errors by copying,
  so the cost of unknown fields grows with the square of their number.

Pure Python and marshmallow only: services' schemas import it.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl

from marshmallow import ValidationError, fields, validate

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# control characters (C0, DEL, C1) and the bidirectional overrides/isolates
_CONTROLS = "\\x00-\\x1f\\x7f-\\x9f"
_BIDI = "\\u202a-\\u202e\\u2066-\\u2069\\u200e\\u200f\\u061c"
NO_NUL = "^[^\\x00]*$"
# a name: no control or bidi character, and at least one character that is not a space
NAME_PATTERN = f"^[^{_CONTROLS}{_BIDI}]*[^\\s{_CONTROLS}{_BIDI}][^{_CONTROLS}{_BIDI}]*$"
# an id: no space, control or bidi character at all
IDENTIFIER_PATTERN = f"^[^\\s{_CONTROLS}{_BIDI}]+$"
# free text (a description, a comment): line breaks and tabs allowed, other controls not
FREE_TEXT_PATTERN = f"^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f{_BIDI}]*$"

_NAME_FORBIDDEN = re.compile(f"[{_CONTROLS}{_BIDI}]")


class TextRefused(ValueError):
    """A request's text or structure breaks a rule; ``fields`` names where (path -> messages)."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None, status: int = 400):
        super().__init__(message)
        self.message, self.fields, self.status = message, fields or {}, status


# --------------------------------------------------------------------------- one value

def text_problem(value: str, *, name: bool = False) -> str | None:
    """Why a string may not enter (None when it may). ``name``: also no control or bidi characters."""
    # C-speed checks (a regex over a 1 MB string costs tens of milliseconds of the one thread)
    if "\x00" in value:
        return "must not contain NUL"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return "is not valid UTF-8 text"
    if name and _NAME_FORBIDDEN.search(value):
        return "must not contain control or bidirectional-override characters"
    return None


def check_text(value: str, where: str, *, name: bool = False) -> None:
    problem = text_problem(value, name=name)
    if problem:
        raise TextRefused(f"{where} {problem}.", {where: [problem]})


# --------------------------------------------------------------------------- JSON bodies

def too_many_values(raw: bytes, limit: int) -> bool:
    """Whether a JSON text holds more than ``limit`` values (array items and object members),
    decided before it is parsed: parsing runs in C without a pause, so it must be small.

    Counts the commas outside strings with C-level searches; the Python steps are bounded by
    the number of strings visited, and the count stops as soon as it passes ``limit``."""
    if raw.count(b",") < limit:
        return False
    commas, strings, pos, end = 0, 0, 0, len(raw)
    while pos < end:
        quote = raw.find(b'"', pos)
        commas += raw.count(b",", pos, end if quote < 0 else quote)
        if quote < 0 or commas >= limit or strings >= limit:
            break
        close = quote + 1
        while True:  # the closing quote is the first one not escaped by an odd run of backslashes
            close = raw.find(b'"', close)
            if close < 0:
                return commas >= limit
            run = close - 1
            while raw[run] == 0x5C:  # backslash
                run -= 1
            if (close - 1 - run) % 2 == 0:
                break
            close += 1
        strings += 1
        pos = close + 1
    return commas >= limit or strings >= limit


def parse_json(raw: bytes, *, max_depth: int = 32, max_keys: int = 2000, max_values: int = 10_000,
               pause: Callable[[], None] | None = None):
    """A JSON document as the platform accepts it, or ``TextRefused``.

    Valid UTF-8, no duplicate keys, no NaN/Infinity, at most ``max_values`` values and
    ``max_keys`` object keys in all and
    ``max_depth`` levels, every string free of NUL and lone surrogates, every integer a bigint.
    An empty object counts as one key (a body of a million ``{}`` is as costly as one of keys).
    ``pause`` is called now and then during the walk over the values (a server yields there)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise TextRefused(f"The body is not valid UTF-8 (byte {err.start}).",
                          {"_body": ["invalid UTF-8"]}) from None
    if too_many_values(raw, max_values):
        raise TextRefused(f"The body has more than {max_values} values.", {"_body": [f"at most {max_values} values"]})
    keys = 0

    def pairs(items: list[tuple[str, object]]) -> dict:
        nonlocal keys
        keys += len(items) or 1
        if keys > max_keys:
            raise TextRefused(f"The body has more than {max_keys} keys.", {"_body": [f"at most {max_keys} keys"]})
        result = dict(items)
        if len(result) != len(items):
            seen: set[str] = set()
            twice = sorted({k for k, _ in items if k in seen or seen.add(k)})
            raise TextRefused(f"Duplicate keys in the body: {', '.join(twice)}.",
                              {k: ["given more than once"] for k in twice})
        return result

    def constant(word: str):
        raise TextRefused(f"{word} is not a number JSON allows.", {"_body": [f"{word} is not allowed"]})

    try:
        payload = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except TextRefused:
        raise
    except RecursionError:
        raise TextRefused(f"The body is nested more than {max_depth} levels deep.",
                          {"_body": [f"at most {max_depth} levels"]}) from None
    except ValueError as err:
        raise TextRefused(f"The body is not valid JSON: {err}.", {"_body": ["malformed JSON"]}) from None
    check_tree(payload, max_depth=max_depth, pause=pause)
    return payload


def check_tree(payload, *, max_depth: int = 32, pause: Callable[[], None] | None = None) -> None:
    """Depth, text and integer range of every value, iteratively (no recursion to exhaust)."""
    stack: list[tuple[object, str, int]] = [(payload, "", 0)]
    seen = 0
    while stack:
        value, path, depth = stack.pop()
        seen += 1
        if pause is not None and seen % 2000 == 0:
            pause()
        if isinstance(value, dict | list):
            if depth >= max_depth:
                raise TextRefused(f"The body is nested more than {max_depth} levels deep.",
                                  {path or "_body": [f"at most {max_depth} levels"]})
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    problem = text_problem(key)
                    if problem:
                        raise TextRefused(f"A key {problem}.", {path or "_body": [f"a key {problem}"]})
                    child = f"{path}.{key}" if path else key
                else:
                    child = f"{path}[{key}]"
                stack.append((item, child, depth + 1))
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise TextRefused(f"{path or 'The body'} {problem}.", {path or "_body": [problem]})
        elif isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
            raise TextRefused(f"{path or 'The body'} is out of range.",
                              {path or "_body": [f"must be between {INT64_MIN} and {INT64_MAX}"]})


# --------------------------------------------------------------------------- query strings

def parse_query(raw: str | bytes, *, max_parameters: int = 100) -> dict[str, str]:
    """A query string as one value per name, or ``TextRefused``: each name at most once, valid
    UTF-8 once percent-decoded, no NUL or control characters."""
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict",
                          max_num_fields=max_parameters)
    except UnicodeDecodeError:
        raise TextRefused("The query string is not valid UTF-8.", {"_query": ["invalid UTF-8"]}) from None
    except ValueError:
        raise TextRefused(f"At most {max_parameters} query parameters.",
                          {"_query": [f"at most {max_parameters} parameters"]}) from None
    result: dict[str, str] = {}
    twice: list[str] = []
    for name, value in pairs:
        check_text(name, name or "_query", name=True)
        check_text(value, name, name=True)
        if name in result:
            twice.append(name)
        result[name] = value
    if twice:
        raise TextRefused(f"Query parameters given more than once: {', '.join(sorted(set(twice)))}.",
                          {n: ["given more than once"] for n in sorted(set(twice))})
    return result


# --------------------------------------------------------------------------- error shapes

def flatten_messages(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors as ``{"admin.login_name": [...], "roles[0]": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix or "_schema"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub, texts in flatten_messages(value, path).items():
                flat.setdefault(sub, []).extend(texts)
    elif isinstance(messages, str | bytes):
        flat[prefix or "_schema"] = [messages if isinstance(messages, str) else messages.decode(errors="replace")]
    elif isinstance(messages, Iterable):
        for item in messages:
            for sub, texts in flatten_messages(item, prefix).items():
                flat.setdefault(sub, []).extend(texts)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


# --------------------------------------------------------------------------- marshmallow pieces

class Text(fields.String):
    """A string that is trimmed, bounded and free of NUL; ``kind`` adds the rule of its use:

    - ``"name"`` (default): no control or bidi characters, not blank;
    - ``"identifier"``: no space, control or bidi characters (not trimmed: refused);
    - ``"free"``: line breaks and tabs allowed (descriptions, comments), may be blank.

    Every rule is a validator apispec documents (``minLength``, ``maxLength``, ``pattern``)."""

    PATTERNS = {"name": NAME_PATTERN, "identifier": IDENTIFIER_PATTERN, "free": FREE_TEXT_PATTERN}

    def __init__(self, *, max_length: int = 200, min_length: int | None = None, kind: str = "name",
                 trim: bool = True, **kwargs):
        if kind not in self.PATTERNS:
            raise ValueError(f"unknown text kind {kind!r}")
        # an id is refused with spaces rather than trimmed: it is compared, not read
        self.trim = trim and kind == "name"
        rules = [validate.Length(min=1 if min_length is None and kind != "free" else min_length, max=max_length),
                 validate.Regexp(self.PATTERNS[kind], error=_PATTERN_ERRORS[kind])]
        extra = kwargs.pop("validate", None)
        if extra is not None:
            rules.extend(extra if isinstance(extra, list | tuple) else [extra])
        super().__init__(validate=rules, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text)
        if problem:
            raise ValidationError(problem)
        return text.strip() if self.trim else text


_PATTERN_ERRORS = {
    "name": "must not be blank or contain control or bidirectional-override characters",
    "identifier": "must not contain spaces, control or bidirectional-override characters",
    "free": "must not contain control characters other than line breaks and tabs",
}


def Name(max_length: int = 200, **kwargs) -> Text:  # noqa: N802 - reads like a field class
    return Text(max_length=max_length, kind="name", **kwargs)


def Identifier(max_length: int = 128, **kwargs) -> Text:  # noqa: N802
    return Text(max_length=max_length, kind="identifier", **kwargs)


def FreeText(max_length: int = 5000, **kwargs) -> Text:  # noqa: N802
    return Text(max_length=max_length, kind="free", **kwargs)


class Int64(fields.Integer):
    """An integer PostgreSQL's bigint can hold (documented as ``minimum``/``maximum``)."""

    def __init__(self, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX, **kwargs):
        extra = kwargs.pop("validate", None)
        rules = [validate.Range(min=max(minimum, INT64_MIN), max=min(maximum, INT64_MAX))]
        if extra is not None:
            rules.extend(extra if isinstance(extra, list | tuple) else [extra])
        super().__init__(validate=rules, **kwargs)


def check_unknown_fields(allowed: Iterable[str], payload: Mapping, *, limit: int = 20) -> None:
    """Unknown fields named in linear time, at most ``limit`` of them, before marshmallow's
    quadratic merge of one error per field ever runs."""
    known = set(allowed)
    unknown = [key for key in payload if key not in known] if payload else []
    if unknown:
        shown = sorted(unknown)[:limit]
        more = f" and {len(unknown) - limit} more" if len(unknown) > limit else ""
        raise TextRefused(f"Unknown fields: {', '.join(shown)}{more}.", {k: ["Unknown field."] for k in shown})
