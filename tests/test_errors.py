"""Diagnostics print the way editors, terminals and GitHub expect."""

from __future__ import annotations

import json

from podops.errors import Diagnostic, Problems, to_json


def test_diagnostic_formats() -> None:
    d = Diagnostic("show.yaml", 3, 5, "description.title", "is required")
    assert str(d) == "show.yaml:3:5: description.title: is required"
    assert str(Diagnostic("show.yaml", message="not found")) == "show.yaml: not found"
    assert str(Diagnostic("a.yaml", 1, 1, "x", "odd", "warning")) == "a.yaml:1:1: warning: x: odd"
    assert d.github() == "::error file=show.yaml,line=3,col=5::description.title: is required"
    assert json.loads(to_json([d]))[0]["line"] == 3


def test_problems_are_sorted_and_deduplicated() -> None:
    problems = Problems()
    problems.add("b.yaml", 1, 1, "x", "late")
    problems.add("a.yaml", 9, 1, "y", "early")
    problems.add("a.yaml", 9, 1, "y", "early")
    problems.add("a.yaml", 2, 1, "z", "hint", "warning")
    assert [str(e) for e in problems.errors] == ["a.yaml:9:1: y: early", "b.yaml:1:1: x: late"]
    assert len(problems.warnings) == 1
