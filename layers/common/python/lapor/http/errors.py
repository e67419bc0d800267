"""4xx answers in the caller's language, with CORS headers wherever the answer is built.

Every refusal — the pre-check's (before the resolver), the resolver's validation and the domain's
errors — goes through ``error_body``: the top message and each field's message come from
``lapor.domain.catalogue``, worded in the language ``Accept-Language`` prefers (Indonesian by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lapor.domain.catalogue import MESSAGES, Lang, choose_language, render
from lapor.domain.models import ErrorBody, FieldError

# pydantic's error types -> (catalogue id, how to read its parameters from the error's ctx).
_PYDANTIC: dict[str, str] = {
    "missing": "required",
    "string_too_short": "too_short",
    "string_too_long": "too_long",
    "string_type": "not_text",
    "string_pattern_mismatch": "invalid",
    "bool_type": "not_boolean",
    "bool_parsing": "not_boolean",
    "int_type": "not_integer",
    "int_parsing": "not_integer",
    "int_from_float": "not_integer",
    "float_type": "not_number",
    "float_parsing": "not_number",
    "finite_number": "not_number",
    "greater_than_equal": "number_min",
    "greater_than": "number_min",
    "less_than_equal": "number_max",
    "less_than": "number_max",
    "literal_error": "choice",
    "enum": "choice",
    "date_type": "date_format",
    "date_parsing": "date_format",
    "date_from_datetime_parsing": "date_format",
    "date_from_datetime_inexact": "date_format",
    "extra_forbidden": "unknown_field",
    "model_type": "not_object",
    "model_attributes_type": "not_object",
    "dict_type": "not_object",
    "list_type": "not_list",
    "too_long": "list_too_long",
    "json_invalid": "json_invalid",
    "json_type": "json_invalid",
}


def language_of(headers: Mapping[str, Any] | None) -> Lang:
    """The catalogue language of a request, from its ``Accept-Language`` header (any case)."""
    for name, value in (headers or {}).items():
        if name.lower() == "accept-language" and isinstance(value, str):
            return choose_language(value)
    return choose_language(None)


def field_path(loc: Sequence[Any]) -> str:
    """``("body", "reporter", "email")`` -> ``reporter.email``; headers and query keep their own name."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "header", "query", "path"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _params(message_id: str, ctx: Mapping[str, Any]) -> dict[str, Any]:
    if message_id == "too_short":
        return {"min": ctx.get("min_length", "")}
    if message_id in {"too_long", "list_too_long"}:
        return {"max": ctx.get("max_length", "")}
    if message_id == "number_min":
        return {"min": ctx.get("ge", ctx.get("gt", ""))}
    if message_id == "number_max":
        return {"max": ctx.get("le", ctx.get("lt", ""))}
    if message_id == "choice":
        return {"choices": str(ctx.get("expected", "")).replace("'", "")}
    return {}


def validation_errors(errors: Iterable[Mapping[str, Any]], language: Lang) -> list[FieldError]:
    """The resolver's (pydantic's) errors in our words, one per field, first problem first."""
    fields: list[FieldError] = []
    seen: set[str] = set()
    for error in errors:
        path = field_path(error.get("loc", ()))
        kind = str(error.get("type", ""))
        ctx = error.get("ctx") or {}
        message_id = kind if kind in MESSAGES else _PYDANTIC.get(kind, "invalid")
        # Our own errors (their type is a catalogue id) carry their parameters in ctx as named.
        params = dict(ctx) if kind in MESSAGES else _params(message_id, ctx)
        if message_id == "too_short" and params.get("min") == 1:
            message_id, params = "required", {}  # an empty text is a missing one to the reader
        if path in seen:
            continue
        seen.add(path)
        fields.append(
            FieldError(
                field=path, code=message_id, message=render(message_id, language, field=path, **params)
            )
        )
    return fields


def error_body(
    message_id: str, language: Lang, fields: Sequence[FieldError] = (), *, message: str | None = None
) -> str:
    """The JSON of a 4xx answer: the top message (``message`` or the catalogue's) and the fields."""
    body = ErrorBody(code=message_id, message=message or render(message_id, language), errors=list(fields))
    return body.model_dump_json()


def field_error(field: str, message_id: str, language: Lang, **params: Any) -> FieldError:
    """One field's error from the catalogue."""
    return FieldError(
        field=field, code=message_id, message=render(message_id, language, field=field, **params)
    )
