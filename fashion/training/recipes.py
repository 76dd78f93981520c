"""Recipes: a run's architecture and hyper-parameters as URL query parameters, and back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from urllib.parse import urlencode

from fashion.errors import ConfigurationError
from fashion.i18n import _
from fashion.training.models import HyperParameters, get_architecture

ARCHITECTURE_KEY = "arch"
PRIVATE_KEYS = ("own_photos",)  # whose photos a run learnt from never travels in a link
RECIPE_KEYS = (
    ARCHITECTURE_KEY,
    *(field.name for field in fields(HyperParameters) if field.name not in PRIVATE_KEYS),
)
# Measured with paired CLI runs on a quiet machine (BENCHMARKS.md): the median ratio of the tutorial's
# recommended run with TensorFlow op determinism to one without, on 2 cores (1.08; the CNN's 1.01).
REPRODUCIBLE_SLOWDOWN = 1.1


def recipe_query(architecture: str, hyper_parameters: HyperParameters) -> dict[str, str]:
    """The query parameters of a recipe: arch plus every hyper-parameter that is set."""
    query = {ARCHITECTURE_KEY: architecture}
    for name, value in hyper_parameters.to_dict().items():
        if value is None or name in PRIVATE_KEYS:
            continue
        query[name] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return query


def recipe_of_record(record: dict) -> dict[str, str]:
    """The recipe query of a saved model's record (a continued model's: all its epochs from scratch)."""
    hyper_parameters = HyperParameters.from_dict(record.get("hyper_parameters", {}))
    return recipe_query(record.get("architecture", ""), hyper_parameters)


def recipe_link(base_url: str, query: dict[str, str]) -> str:
    """The Train page's address with a recipe: base_url is the app's root address."""
    return f"{base_url.rstrip('/')}/train?{urlencode(query)}"


def recipe_from_query(query: Mapping[str, str]) -> tuple[str, HyperParameters] | None:
    """The (architecture, hyper-parameters) of a query; None without a recipe; ConfigurationError if bad."""
    if ARCHITECTURE_KEY not in query:
        return None
    architecture = get_architecture(query[ARCHITECTURE_KEY]).name
    defaults = get_architecture(architecture).defaults.to_dict()
    values: dict[str, object] = {}
    for field in fields(HyperParameters):
        if field.name not in query or field.name in PRIVATE_KEYS:
            continue
        text = str(query[field.name]).strip()
        default = defaults[field.name]
        try:
            if field.name == "train_limit":
                values[field.name] = int(text) if text not in ("", "None") else None
            elif isinstance(default, bool):
                if text not in ("0", "1", "true", "false"):
                    raise ValueError(text)
                values[field.name] = text in ("1", "true")
            elif isinstance(default, int):
                values[field.name] = int(text)
            elif isinstance(default, float):
                values[field.name] = float(text)
            else:
                values[field.name] = text
        except ValueError:
            raise ConfigurationError(
                _("the recipe's {setting} {text!r} is not a valid value.").format(
                    setting=field.name, text=text
                )
            ) from None
    hyper_parameters = HyperParameters.from_dict({**defaults, **values}).validated()
    return architecture, hyper_parameters
