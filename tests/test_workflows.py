"""``podops new ci``: GitHub Actions and GitLab CI recipes that validate, build and publish on a schedule."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import invoke

from podops import __version__
from podops.cli import main

GITHUB = ".github/workflows/podops.yml"
GITLAB = ".gitlab-ci.yml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository folder with both recipes written by the CLI."""
    result = invoke("new", "ci", tmp_path)
    assert result.exit_code == 0, result.output
    return tmp_path


def read(path: Path) -> dict[str, Any]:
    """A recipe as data."""
    return yaml.safe_load(path.read_text())


def commands(data: Any) -> list[list[str]]:
    """Every podops command line in a recipe (GitHub ``run:`` steps, GitLab ``script:`` lines)."""
    found: list[list[str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            lines = value.splitlines() if key == "run" and isinstance(value, str) else (
                value if key == "script" and isinstance(value, list) else [])
            found += [shlex.split(line) for line in lines if line.strip().startswith("podops ")]
            found += commands(value)
    elif isinstance(data, list):
        for value in data:
            found += commands(value)
    return found


def test_both_recipes_are_written_where_the_ci_services_look(repo: Path) -> None:
    assert (repo / GITHUB).is_file()
    assert (repo / GITLAB).is_file()


def test_the_github_workflow_validates_pull_requests_and_deploys_main_daily(repo: Path) -> None:
    workflow = read(repo / GITHUB)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true; GitHub reads it as "on"
    assert set(triggers) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert triggers["push"]["branches"] == ["main"]
    assert len(triggers["schedule"][0]["cron"].split()) == 5
    jobs = workflow["jobs"]
    assert jobs["validate"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["build"]["if"] == "github.event_name != 'pull_request'"
    assert jobs["deploy"]["needs"] == "build"
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def test_the_github_workflow_uses_the_pages_actions_and_caches_the_probe_cache(repo: Path) -> None:
    steps = read(repo / GITHUB)["jobs"]
    used = {step.get("uses", "").split("@")[0] for job in steps.values() for step in job["steps"]}
    assert {"actions/checkout", "actions/setup-python", "actions/cache", "actions/upload-pages-artifact",
            "actions/deploy-pages"} <= used
    cache = next(s for s in steps["build"]["steps"] if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == ".podops"
    checkout = steps["build"]["steps"][0]
    assert "fetch-depth" not in checkout.get("with", {})


def test_the_gitlab_recipe_validates_merge_requests_and_publishes_pages(repo: Path) -> None:
    pipeline = read(repo / GITLAB)
    assert pipeline["validate"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert pipeline["pages"]["artifacts"]["paths"] == ["public"]
    assert pipeline["pages"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert ".podops/" in pipeline["cache"]["paths"]
    assert "Pipeline schedules" in (repo / GITLAB).read_text()


@pytest.mark.parametrize("recipe", [GITHUB, GITLAB])
def test_the_recipes_pin_this_podops_version(repo: Path, recipe: str) -> None:
    text = (repo / recipe).read_text()
    assert f'pip install "podops=={__version__}"' in text
    assert "@PODOPS_VERSION@" not in text


@pytest.mark.parametrize("recipe", [GITHUB, GITLAB])
def test_every_podops_command_in_a_recipe_is_a_real_command_with_real_options(repo: Path,
                                                                          recipe: str) -> None:
    lines = commands(read(repo / recipe))
    assert {line[1] for line in lines} >= {"validate", "build"}
    for line in lines:
        result = CliRunner().invoke(main, [*line[1:], "--help"])
        assert result.exit_code == 0, f"{shlex.join(line)}: {result.output}"


def test_an_existing_ci_file_is_never_overwritten_and_nothing_else_is_written(tmp_path: Path) -> None:
    (tmp_path / GITLAB).write_text("# mine\n")
    result = invoke("new", "ci", tmp_path)
    assert result.exit_code == 1
    assert f"{tmp_path / GITLAB}: already exists" in result.output
    assert (tmp_path / GITLAB).read_text() == "# mine\n"
    assert not (tmp_path / GITHUB).exists()
