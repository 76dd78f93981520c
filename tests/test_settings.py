"""The FASHION_* environment variables: read in fashion/settings.py only, and documented in the README."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fashion import settings

REPOSITORY = Path(__file__).resolve().parent.parent


def readme_rows() -> dict[str, tuple[str, str]]:
    """The README's Environment variables table: variable -> (meaning, default)."""
    section = REPOSITORY.joinpath("README.md").read_text().split("## Environment variables", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.fullmatch(r"\| `(FASHION_[A-Z_]+)` \| (.*) \| (.*) \|", line.strip())
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3))
    return rows


def variable_names_written_out(path: Path) -> list[str]:
    """String literals of a module that are exactly a FASHION_* variable's name."""
    return [
        f"{path.relative_to(REPOSITORY)}:{node.lineno} {node.value}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and re.fullmatch(r"FASHION_[A-Z_]+", node.value)
    ]


def test_the_readme_table_lists_every_setting_with_its_meaning_and_default():
    rows = readme_rows()
    assert sorted(rows) == sorted(setting.name for setting in settings.SETTINGS)
    for setting in settings.SETTINGS:
        meaning, default = rows[setting.name]
        assert meaning.startswith(setting.meaning), setting.name
        assert default == setting.default, setting.name


def test_only_settings_names_a_fashion_variable_in_code():
    sources = [REPOSITORY / "streamlit_app.py"]
    for folder in ("fashion", "ui", "pages"):
        sources += sorted((REPOSITORY / folder).rglob("*.py"))
    others = [path for path in sources if path.name != "settings.py"]
    assert [name for path in others for name in variable_names_written_out(path)] == []


def test_a_whole_number_setting_falls_back_on_a_bad_value(monkeypatch):
    monkeypatch.setenv(settings.MAX_QUEUED.name, "many")
    assert settings.MAX_QUEUED.integer(40, 0) == 40
    monkeypatch.setenv(settings.MAX_QUEUED.name, "-3")
    assert settings.MAX_QUEUED.integer(40, 0) == 0
    monkeypatch.setenv(settings.MAX_QUEUED.name, " 7 ")
    assert settings.MAX_QUEUED.integer(40, 0) == 7


def test_an_empty_path_setting_is_unset(monkeypatch):
    monkeypatch.setenv(settings.MODELS_DIR.name, "  ")
    assert settings.MODELS_DIR.path() is None
    monkeypatch.setenv(settings.MODELS_DIR.name, "~/store")
    assert settings.MODELS_DIR.path() == Path.home() / "store"
