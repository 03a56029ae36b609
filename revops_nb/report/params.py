"""Merge a report's parameters from its YAML files and ``-p`` options, and check them.

Order, later wins: notebook defaults < ``params/<report>.yaml`` < each ``--params``
file < each ``-p KEY=VALUE``. Every value is checked against the notebook's
parameters cell before any kernel starts; errors name the file and the key.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import yaml

from revops_nb.errors import ParamsError
from revops_nb.param_rules import is_secret, shown
from revops_nb.report.notebook_params import ParamSpec, check_value
from revops_nb.yaml_file import load_text, read_yaml

# scheme://user:PASSWORD@host: the authority after '://' runs to the first '/', '?', '#', space or
# quote (as urllib splits it); the user to its first ':'; the password to its LAST '@' (greedy,
# then back to that '@'). No part can hold '/', so the scans of two URLs never overlap and a
# failed candidate costs only its own authority: time is linear in the text.
URL_PASSWORD = re.compile(r"://(?P<user>[^/?#\s'\"<>`:]*):(?P<pw>[^/?#\s'\"<>`]+)@")
# '&amp;' too: the rendered report holds query strings HTML-escaped
QUERY_SECRET = re.compile(
    r"(?P<key>(?:[?&]|&amp;)(?:password|pwd|secret|token|sig|signature|api_key|apikey|key|access_token)=)"
    r"(?P<val>[^&\s'\"<>]+)",
    re.IGNORECASE,
)


def read_params_file(path: Path) -> dict[str, Any]:
    """Read a params YAML mapping; a file keyed by report name may hold several reports."""
    raw = read_yaml(path, ParamsError, "params file")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of parameter: value, got {type(raw).__name__}")
    return raw


def parse_cli_param(item: str) -> tuple[str, Any]:
    """``KEY=VALUE`` -> (key, YAML-parsed value); strings stay strings."""
    if "=" not in item:
        raise ParamsError(f"-p {shown(item)}: expected KEY=VALUE")
    key, text = item.split("=", 1)
    key = key.strip()
    try:
        value = load_text(text, f"-p {shown(key)}", ParamsError) if text.strip() else ""
    except (yaml.YAMLError, ValueError):  # ValueError: YAML's date rule on 2025-13-01
        value = text
    return key, value


def shown_item(item: str) -> str:
    """A ``-p KEY=VALUE`` for an error message: cut short, and the value '***' when the key is secret."""
    key, eq, _ = item.partition("=")
    if eq and is_secret(key.strip().rpartition(".")[2]):
        return repr(f"{key}=***") if len(key) <= 60 else shown(item, key)
    return shown(item)


def merge_params(
    report: str,
    specs: dict[str, ParamSpec],
    report_file: Path | None,
    extra_files: list[Path],
    cli_items: list[str],
    report_names: frozenset[str] = frozenset(),
    origins: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Checked parameter values that override the notebook defaults.

    ``origins``, when given, is filled with the file (or '-p') each value came from.

    A ``--params`` file whose top-level keys are all report names is sectioned:
    only this report's section applies. ``-p report.key=value`` targets one report;
    a plain ``-p key=value`` applies to every selected report that declares ``key``
    (the caller checks that at least one does).
    """
    sources: list[tuple[str, dict[str, Any]]] = []
    if report_file is not None and report_file.exists():
        sources.append((str(report_file), read_params_file(report_file)))
    for path in extra_files:
        content = read_params_file(path)
        if content and report_names and set(content) <= report_names:
            section = content.get(report) or {}
            if not isinstance(section, dict):
                raise ParamsError(f"{path}: section {report!r} must be a mapping of parameter: value")
            content = section
        else:
            content = {k: v for k, v in content.items() if k in specs}  # flat: keys of other reports
        sources.append((str(path), content))
    cli: dict[str, Any] = {}
    for item in cli_items:
        key, value = parse_cli_param(item)
        target, dot, name = key.partition(".")
        if dot and target in report_names:
            if target != report:
                continue
            key = name
        elif key not in specs:
            continue
        cli[key] = typed_cli_value(specs[key], value, item.split("=", 1)[1]) if key in specs else value
    if cli:
        sources.append(("-p", cli))
    merged: dict[str, Any] = {}
    for where, values in sources:
        for key, value in values.items():
            if key not in specs:
                known = ", ".join(specs)
                raise ParamsError(
                    f"{where}: unknown parameter {shown(key)} for report {report!r} (known: {known})"
                )
            merged[key] = check_value(specs[key], value, where)
            if origins is not None:
                origins[key] = where
    return merged


def check_rules(
    report: str, specs: dict[str, ParamSpec], merged: dict[str, Any], origins: dict[str, str]
) -> None:
    """Check the report's declared value constraints on defaults + ``merged``; name where a bad value came from."""
    from revops_nb.reports import rules as report_rules

    rules = report_rules(report)
    if rules is None:
        return
    values = {name: spec.default for name, spec in specs.items()} | merged
    found = rules.problems(values)
    if not found:
        return
    names, sentence = found[0]
    where = next((origins[n] for n in reversed(names) if n in origins), f"{report} notebook defaults")
    raise ParamsError(f"{where}: {sentence} (report {report!r})")


def typed_cli_value(spec: ParamSpec, parsed: Any, raw: str) -> Any:
    """Undo YAML 1.1 surprises on the command line: strings stay strings, '1e-3' is a float."""
    text = raw.strip()
    if spec.optional and text.lower() in ("null", "none", "~"):
        return None
    base = spec.base_type
    if base == "str":
        return raw
    if base == "float":
        try:
            return float(text)
        except ValueError:
            return parsed
    if base == "list[str]":
        inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
        items = [part.strip().strip("'\"") for part in inner.split(",")] if inner.strip() else []
        return items
    if base == "list[float]" and isinstance(parsed, list):
        try:
            return [float(str(v)) for v in parsed]
        except ValueError:
            return parsed
    return parsed


def mask_secrets(params: dict[str, Any]) -> dict[str, Any]:
    """Copy of ``params`` with secret-looking keys, URL passwords and query tokens replaced by '***'."""
    return {
        key: ("***" if is_secret(key) and value not in (None, "") else _mask_value(value))
        for key, value in params.items()
    }


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_url_password(value)
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    return value


def secret_values(params: dict[str, Any]) -> list[str]:
    """The values of secret-looking parameters, longest first, to redact from every output."""
    found: set[str] = set()
    for key, value in params.items():
        if is_secret(key) and value not in (None, ""):
            items = value if isinstance(value, list) else [value]
            for text in (str(v) for v in items if len(str(v)) >= 3):
                # as written in HTML (the report) and in JSON strings (run.json, report.ipynb) too
                found |= {text, html.escape(text), html.escape(text, quote=False), json.dumps(text)[1:-1]}
    return sorted(found, key=len, reverse=True)


def mask_url_password(text: str) -> str:
    """'postgresql://u:pw@h/db' -> 'postgresql://u:***@h/db'; '?token=abc' -> '?token=***'.

    The password runs from the first ':' of the user info to the LAST '@' before the host, so a
    password holding '@' is masked whole. Time is linear in ``text``: it runs on every output of
    every run, and a value of a megabyte must not stall a report.
    """
    if "://" in text:
        text = URL_PASSWORD.sub(r"://\g<user>:***@", text)
    if "=" in text:
        text = QUERY_SECRET.sub(lambda m: f"{m.group('key')}***", text)
    return text


_EMBEDDED = re.compile(r"(data:[\w.+/-]+;base64,[A-Za-z0-9+/=]+)")


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret value and URL password in ``text`` by '***', outside embedded data: URIs.

    A chart's base64 PNG may contain any short string by chance; replacing it there would
    break the image without hiding anything.
    """
    parts = _EMBEDDED.split(text)
    for i in range(0, len(parts), 2):  # even parts are text, odd parts the embedded data
        for secret in secrets:
            parts[i] = parts[i].replace(secret, "***")
        parts[i] = mask_url_password(parts[i])
    return "".join(parts)
