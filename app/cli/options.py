"""Parsing of repeatable KEY=VALUE options shared by commands."""

from __future__ import annotations

from app.common.errors import UserError


def parse_key_values(items: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"{option} {item!r}: expected KEY=VALUE.", hint=f"Example: {option} htp_performance_mode=burst")
        out[key.strip()] = value.strip()
    return out
