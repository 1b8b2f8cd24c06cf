"""A settings error said as an operator reads it: the command line's usage errors (exit 2) and a deployed flow
run's Failed state say it in the same words."""

from __future__ import annotations

from collections.abc import Mapping

from sohoa.settings import Settings

# pydantic's commonest errors in Vietnamese, by type (QA64: "Input should be greater than or equal to 0" alone)
_PYDANTIC_WORDS_VI = {
    "int_parsing": "không phải số nguyên",
    "int_from_float": "không phải số nguyên",
    "float_parsing": "không phải số",
    "bool_parsing": "không phải đúng/sai (true/false)",
    "greater_than": "nhỏ quá",
    "greater_than_equal": "nhỏ quá",
    "less_than": "lớn quá",
    "less_than_equal": "lớn quá",
    "literal_error": "không phải giá trị được nhận",
    "enum": "không phải giá trị được nhận",
    "string_too_short": "ngắn quá",
    "string_too_long": "dài quá",
    "dict_type": "không phải bảng khóa = giá trị",
    "list_type": "không phải danh sách",
    "extra_forbidden": "không có thiết lập này",
}


def configuration_problem(exc: Exception, options: Mapping[str, str] | None = None) -> str:
    """What is wrong with the settings ``load_settings`` refused (``exc``), in one line for an operator: each bad
    setting by the names it is set by (``SOHOA_X``, ``x`` in sohoa.toml) — or by the command-line option that
    gave its value (``options``: setting name → ``--workers``) —, what is wrong, the values accepted and the
    value given. pydantic's own text added its error-type codes and a web address to every line, and a deployed
    flow run ended in two tracebacks with it (QA136)."""
    from pydantic import ValidationError

    prefix = "cấu hình sai / configuration error"
    if not isinstance(exc, ValidationError):
        return f"{prefix}: {exc}"
    problems, options_only = [], True
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")  # pydantic's prefix to a validator's own words
        if not error["loc"]:  # a check of several settings together: its words name them (the input is all of them)
            options_only = False
            problems.append(message)
            continue
        name = str(error["loc"][0])
        within = "".join(f"[{part!r}]" for part in error["loc"][1:])  # a key of RETENTION_YEARS, a list's index
        if options and name in options:
            setting = options[name]
        else:
            options_only = False
            setting = f"SOHOA_{name.upper()} / {name}"
        if (vietnamese := _PYDANTIC_WORDS_VI.get(error["type"])) is not None:  # its own words are English only
            message = f"{vietnamese} / {message}"
        if accepted := accepted_range(name):
            message += f"; accepted: {accepted}"
        problems.append(f"{setting}{within}: {message} (given: {error.get('input')!r})")
    if options_only:
        prefix = "tùy chọn sai / bad option"
    return f"{prefix}: {'; '.join(problems)}"


def accepted_range(name: str) -> str:
    """The bounds of a number setting in words (``72 to 1200``, ``more than 0``), '' for other settings: pydantic
    names only the bound that was crossed."""
    field = Settings.model_fields.get(name)
    if field is None:
        return ""
    low = high = ""
    for bound in field.metadata:
        if (value := getattr(bound, "ge", None)) is not None:
            low = f"{value:g}"
        elif (value := getattr(bound, "gt", None)) is not None:
            low = f">{value:g}"
        elif (value := getattr(bound, "le", None)) is not None:
            high = f"{value:g}"
        elif (value := getattr(bound, "lt", None)) is not None:
            high = f"<{value:g}"
    if low and high and not low.startswith(">") and not high.startswith("<"):
        return f"{low} to {high}"
    words = [f"more than {low[1:]}" if low.startswith(">") else f"{low} or more" if low else ""]
    words.append(f"less than {high[1:]}" if high.startswith("<") else f"at most {high}" if high else "")
    return ", ".join(word for word in words if word)
