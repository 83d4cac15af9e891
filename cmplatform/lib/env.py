"""Strict readers for settings that come from the environment.

Every reader fails loudly with :class:`ImproperlyConfigured` on a malformed value instead of
silently falling back to a default: a typo in ``DEBUG=flase`` must stop the process, not run
production in an unexpected mode. Secrets may also come from a file named by ``<NAME>_FILE``
(Docker/Kubernetes secrets), which wins over nothing but loses to an explicit variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    source = os.environ if environ is None else environ
    return source.get(name)


def string(
    name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None
) -> str:
    """Return the variable as a stripped string, ``default`` when unset; fail when neither."""
    value = _raw(name, environ)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} is required.")
        return default
    return value.strip()


def optional(name: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """Return the stripped variable, or ``None`` when it is unset or empty."""
    value = _raw(name, environ)
    if value is None or not value.strip():
        return None
    return value.strip()


def boolean(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    """Parse 1/0, true/false, yes/no, on/off (any case); anything else is an error."""
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"The environment variable {name}={value!r} is not a boolean "
        "(use one of 1/0, true/false, yes/no, on/off)."
    )


def integer(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Parse a base-10 integer and check its bounds."""
    value = _raw(name, environ)
    if value is None or not value.strip():
        result = default
    else:
        try:
            result = int(value.strip())
        except ValueError:
            raise ImproperlyConfigured(
                f"The environment variable {name}={value!r} is not an integer."
            ) from None
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"The environment variable {name}={result} is below {minimum}.")
    if maximum is not None and result > maximum:
        raise ImproperlyConfigured(f"The environment variable {name}={result} is above {maximum}.")
    return result


def probability(name: str, default: float, *, environ: Mapping[str, str] | None = None) -> float:
    """Parse a decimal number between 0 and 1 inclusive."""
    value = _raw(name, environ)
    if value is None or not value.strip():
        return default
    try:
        result = float(value.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"The environment variable {name}={value!r} is not a number."
        ) from None
    if not 0.0 <= result <= 1.0:
        raise ImproperlyConfigured(
            f"The environment variable {name}={result} is not a probability (0 to 1)."
        )
    return result


def string_list(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Parse a comma-separated list; blank items are dropped."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def path(name: str, default: Path, *, environ: Mapping[str, str] | None = None) -> Path:
    """Return an absolute path; a relative value is an error (its meaning would depend on cwd)."""
    value = optional(name, environ=environ)
    if value is None:
        return default
    result = Path(value)
    if not result.is_absolute():
        raise ImproperlyConfigured(f"The environment variable {name}={value!r} must be absolute.")
    return result


def secret(name: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """Return a secret from ``NAME`` or from the file named by ``NAME_FILE``; ``None`` if neither.

    Setting both is an error: which one is meant would be a guess.
    """
    direct = optional(name, environ=environ)
    file_name = optional(f"{name}_FILE", environ=environ)
    if direct is not None and file_name is not None:
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
    if file_name is None:
        return direct
    try:
        content = Path(file_name).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {error}") from None
    if not content:
        raise ImproperlyConfigured(f"{name}_FILE={file_name!r} is empty.")
    return content
