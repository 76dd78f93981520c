"""axe-core's WCAG 2.1 A/AA rules run on a page in the browser, with a readable report of what fails."""

from __future__ import annotations

import json
from pathlib import Path

from app_driver import STALE_SELECTOR, assert_no_error, wait_until_idle
from axe_playwright_python.sync_playwright import Axe
from harness import REPOSITORY

AXE_REPORT_DIRECTORY = REPOSITORY / "test-artifacts" / "axe"
WCAG_21_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

_axe = Axe()


def audit(page, state: str) -> list[dict]:
    """Run axe-core's WCAG 2.1 A/AA rules on the page, save the report, return serious/critical violations."""
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA_TAGS}, "resultTypes": ["violations"]}
    # Streamlit fades what a rerun has not redrawn yet (a live view reruns every second): that content
    # is inactive until redrawn, and its next drawing is audited in the state after
    context = {"exclude": [STALE_SELECTOR]}
    response = _axe.run(page, context=context, options=options).response
    violations = response["violations"]
    AXE_REPORT_DIRECTORY.mkdir(parents=True, exist_ok=True)
    (AXE_REPORT_DIRECTORY / f"{state}.json").write_text(json.dumps(violations, indent=1))
    return [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    """One line per violated rule and element: rule id, impact, CSS target and axe's first message."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
            message = checks[0]["message"] if checks else violation["help"]
            target = " > ".join(str(part) for part in node["target"])
            lines.append(f"{violation['id']} ({violation['impact']}): {target}: {message}")
    return "\n".join(lines)


def assert_accessible(page, state: str) -> None:
    """Fail with axe's report when the page has a serious or critical WCAG 2.1 A/AA violation."""
    violations = audit(page, state)
    assert not violations, f"axe-core found on {state!r}:\n{describe(violations)}"


def report_path(state: str) -> Path:
    """Where the full axe report of a state is saved."""
    return AXE_REPORT_DIRECTORY / f"{state}.json"


class Audits:
    """The serious/critical violations found in each state visited, reported together at the end."""

    def __init__(self, page, screenshot):
        self.page = page
        self.screenshot = screenshot
        self.found: dict[str, list[dict]] = {}

    def check(self, state: str, page=None) -> None:
        """Audit a page (this collector's tab unless another is given) under a state's name; screenshot it."""
        page = page or self.page
        wait_until_idle(page)
        assert_no_error(page)
        self.found[state] = audit(page, state)
        self.screenshot(page, state)

    def check_live(self, state: str, page=None) -> None:
        """Audit a view that reruns on its own (a live job) or shows an error, once it is steady.

        Once: a violation seen in one audit is a finding, even when the next rerun would hide it.
        """
        page = page or self.page
        wait_until_idle(page)
        self.found[state] = audit(page, state)
        self.screenshot(page, state)

    def assert_clean(self) -> None:
        """Fail with every state's report if any state had a serious or critical violation."""
        failing = {state: violations for state, violations in self.found.items() if violations}
        report = "\n\n".join(f"[{state}]\n{describe(violations)}" for state, violations in failing.items())
        assert not failing, f"axe-core violations in {len(failing)} of {len(self.found)} states:\n{report}"
