"""Query-string validation the way Rocket.Chat's rest-typings schemas do it with Ajv.

Rocket.Chat compiles each route's query schema with `new Ajv({coerceTypes: true})`
(`packages/rest-typings/src/v1/Ajv.ts`) and, for legacy `addRoute` routes, throws
`Meteor.Error('invalid-params', errors.map(e => e.message).join('\\n '))`
(`apps/meteor/app/api/server/ApiClass.ts`). Ajv runs without `allErrors`, so it stops at the first
failing keyword: required properties (in the schema's order), then additional properties, then each
property's type. Coercion turns `"10"` into 10 for numbers and `"true"`/`"false"` into booleans; it never
turns a single value into an array (`coerceTypes: true`, not `"array"`), so `agents=u1` fails with
`must be array` while `agents[]=u1` passes.

Query strings are parsed as `qs` does: a repeated key or `key[]` gives a list, `key[n]` a list too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Schema", "SchemaError", "parse_query"]

Query = Mapping[str, str | list[str]]


class SchemaError(ValueError):
    """The Ajv message(s) joined as Rocket.Chat joins them."""


@dataclass(frozen=True)
class Schema:
    """An object schema over query parameters.

    `properties` maps a name to its type: "string", "number", "boolean", "array" (of strings),
    "string|boolean" (Ajv `anyOf` string/boolean; query strings are always strings, so it never fails),
    or "string|array" (`oneOf` string/array of strings). `extra` is `additionalProperties`.
    """

    properties: Mapping[str, str]
    required: tuple[str, ...] = ()
    extra: bool = False

    def validate(self, query: Query) -> dict[str, Any]:
        """Return the coerced parameters or raise SchemaError with Ajv's first error."""
        for name in self.required:
            if name not in query:
                raise SchemaError(f"must have required property '{name}'")
        if not self.extra and any(name not in self.properties for name in query):
            raise SchemaError("must NOT have additional properties")
        coerced: dict[str, Any] = {}
        for name, kind in self.properties.items():
            if name in query:
                coerced[name] = _coerce(query[name], kind)
        for name, value in query.items():
            coerced.setdefault(name, value)
        return coerced


def _coerce(value: str | list[str], kind: str) -> Any:
    if kind == "array":
        if isinstance(value, list):
            return value
        raise SchemaError("must be array")
    if kind == "string|array":
        return value
    if isinstance(value, list):
        raise SchemaError(f"must be {kind.split('|')[0]}")
    if kind in ("string", "string|boolean"):
        return value
    if kind == "number":
        number = _js_number(value)
        if number is None:
            raise SchemaError("must be number")
        return number
    if kind == "boolean":
        if value in ("true", "false"):
            return value == "true"
        raise SchemaError("must be boolean")
    raise AssertionError(f"unknown schema type {kind!r}")


def _js_number(text: str) -> float | None:
    """Ajv coerces a string to a number with `+text` and refuses "" and non-finite results."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        number = float(int(stripped, 0)) if stripped.lower().startswith(("0x", "0o", "0b")) else float(stripped)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_query(items: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """`qs.parse`: `a=1&a=2` and `a[]=1` give lists; `a[0]=1` too; other brackets are kept in the key."""
    query: dict[str, str | list[str]] = {}
    for raw_key, value in items:
        key, bracket = raw_key, False
        if raw_key.endswith("]") and "[" in raw_key:
            base, index = raw_key[:-1].split("[", 1)
            if base and (index == "" or index.isdigit()):
                key, bracket = base, True
        existing = query.get(key)
        if existing is None:
            query[key] = [value] if bracket else value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            query[key] = [existing, value]
    return query
