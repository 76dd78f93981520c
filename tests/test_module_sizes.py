"""A module of fashion/ past 300 lines says why in its docstring, so a long one is a choice, not drift."""

from __future__ import annotations

import ast
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
LONG_LINES = 300
REASON_PREFIX = "Over 300 lines: "


def test_long_core_modules_give_a_reason():
    unexplained = []
    for path in sorted((REPOSITORY / "fashion").rglob("*.py")):
        source = path.read_text()
        if source.count("\n") > LONG_LINES:
            docstring = ast.get_docstring(ast.parse(source)) or ""
            if not any(line.startswith(REASON_PREFIX) for line in docstring.splitlines()):
                unexplained.append(f"{path.relative_to(REPOSITORY)} ({source.count(chr(10))} lines)")
    assert unexplained == []
