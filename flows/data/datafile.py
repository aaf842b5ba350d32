"""Reading the operator's data files with errors that name the file, the entry and the field."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


class DataFileError(ValueError):
    """A data file that cannot be used, phrased as one line for the operator."""


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path``."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFileError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataFileError(f"{path}: not valid YAML{f' at line {mark.line + 1}' if mark else ''}") from exc


def entry_label(raw: Any, index: int, id_field: str) -> str:
    """How an entry is named in an error: its position and, when it has one, its id."""
    name = raw.get(id_field) if isinstance(raw, dict) else None
    return f"entry {index + 1}" + (f" ({name})" if name else "")


def validate_entries(
    where: str, entries: Iterable[Any], model: type[Model], id_field: str = "id"
) -> list[Model]:
    """Validate each raw entry; the first problem raises with the entry and the field named."""
    result = []
    for index, raw in enumerate(entries):
        try:
            result.append(model.model_validate(raw))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"]) or "(entry)"
            message = str(error["msg"]).removeprefix("Value error, ")
            raise DataFileError(f"{where}: {entry_label(raw, index, id_field)}: {field}: {message}") from exc
    return result


def load_entries(path: Path, key: str, model: type[Model], id_field: str = "id") -> list[Model]:
    """The list under ``key`` in the YAML file ``path``, each entry validated as ``model``."""
    document = read_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise DataFileError(f"{path}: expected a list under the key '{key}'")
    return validate_entries(str(path), document[key], model, id_field)


def check_unique(path: Path, items: Iterable[Any], attribute: str) -> None:
    """Two entries with the same id are an error."""
    seen: set[Any] = set()
    for item in items:
        value = getattr(item, attribute)
        if value in seen:
            raise DataFileError(f"{path}: {attribute} '{value}' appears twice")
        seen.add(value)
