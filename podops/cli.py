"""The ``podops`` command: parses options, calls the core, prints diagnostics. No logic here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from podops import __version__
from podops.console import FORMATS, PRODUCTION, Progress, base_url_option, emit, run
from podops.errors import PodopsError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="podops")
def main() -> None:
    """Build podcast feeds and a website from PodOps YAML resources."""


@main.command()
@click.argument("directory", default=".", type=PRODUCTION)
@click.option("--base-url", help="Check as `podops build --base-url` would publish.")
@click.option("--format", "fmt", type=FORMATS, default="text", help="Diagnostics as text or JSON.")
@click.option("--no-media", is_flag=True, help="Skip probing MP3s and artwork.")
def validate(directory: Path, base_url: str | None, fmt: str, no_media: bool) -> None:
    """Check every resource (and its media) with the rules a build applies; write nothing."""
    from podops.build import check

    base_url_option(base_url)
    production, warnings = run(lambda: check(directory, probe=not no_media, base_url=base_url), fmt, directory)
    emit(warnings, fmt, directory) if warnings else None
    episodes = sum(len(s.episodes) for s in production.shows)
    if fmt == "json" and not warnings:
        click.echo("[]")
    if fmt == "text":
        channels = sum(len(s.channels) for s in production.shows)
        live = f", {channels} channel(s)" if channels else ""
        click.echo(f"ok: {len(production.shows)} show(s), {episodes} episode(s){live}, no errors", err=True)


@main.command()
@click.argument("directory", default=".", type=PRODUCTION)
@click.option("-o", "--output", "out", default="public", show_default=True,
              type=click.Path(path_type=Path), help="Folder to write the site into (outside the production).")
@click.option("--base-url", help="Public URL of the output folder (else the show's site.baseUrl).")
@click.option("--drafts", is_flag=True, help="Include draft episodes (for local preview only).")
@click.option("--format", "fmt", type=FORMATS, default="text", help="Diagnostics as text or JSON.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", is_flag=True, help="Explain what was rebuilt and why.")
@click.option("--previous", metavar="DIR|URL",
              help="The site this build replaces (a folder, or the live base URL): continues its event log.")
@click.option("--force", is_flag=True,
              help="Replace a non-empty output folder that podops did not write (deletes its files).")
@click.option("--accept-changes", is_flag=True,
              help="Accept changed or vanished published episodes into podops.lock (commit it).")
def build(directory: Path, out: Path, base_url: str | None, drafts: bool, fmt: str, quiet: bool,
          verbose: bool, previous: str | None, force: bool, accept_changes: bool) -> None:
    """Build feeds, pages and media into an output folder, atomically."""
    from podops.build import build as run_build

    base_url_option(base_url)
    source = click.get_current_context().get_parameter_source("out")
    if source is click.core.ParameterSource.DEFAULT and _overlaps(out, directory):
        suggestion = Path(os.path.relpath(directory.resolve().parent / f"{directory.resolve().name}-public"))
        raise click.UsageError(f"the default output folder {out} would be inside the production {directory}; "
                               f"pass an output folder outside it, e.g. -o {suggestion}")
    with Progress(enabled=not quiet) as progress:
        report = run(lambda: run_build(directory, out, base_url=base_url, drafts=drafts, progress=progress,
                                        previous=previous, force=force, accept_changes=accept_changes),
                      fmt, directory)
    if quiet:
        return
    if report.warnings:
        emit(report.warnings, fmt, directory)
    for line in report.scheduled:
        click.echo(f"scheduled: {line}", err=True)
    if verbose and report.skipped:
        click.echo("nothing changed since the last build (inputs, options and output as recorded): "
                   "output kept as it is", err=True)
    if verbose:
        for path in report.probed:
            click.echo(f"probed: {path} (content new to the cache)", err=True)
        for path in report.changed:
            click.echo(f"wrote: {path} (bytes changed)", err=True)
        files = report.files
        click.echo(f"files: {files.get('written', 0)} written, {files.get('unchanged', 0)} unchanged, "
                   f"{files.get('copied', 0)} media copied; probe cache {report.cache_hits} hits, "
                   f"{report.cache_misses} misses", err=True)
    for feed in report.feeds:
        click.echo(f"feed: {feed}", err=True)
    if previous is not None and not report.skipped:
        click.echo(f"events: {report.events} new since {previous}", err=True)
    if report.private_feeds:
        click.echo(f"private: {report.private_feeds} personal feed(s); `podops subscribers` lists their URLs",
                   err=True)
    click.echo(
        f"built {report.shows} show(s): {report.published} episode(s) published, "
        f"{len(report.scheduled)} scheduled, {report.drafts} draft(s) skipped, "
        f"{report.size / 1e6:.1f} MB in {out} ({report.seconds:.2f} s)", err=True)


def _overlaps(out: Path, directory: Path) -> bool:
    out_real, prod_real = out.resolve(), directory.resolve()
    return out_real.is_relative_to(prod_real) or prod_real.is_relative_to(out_real)


@main.command()
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to a file instead of standard output.")
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json",
              help="JSON Schema for editors, or Markdown reference tables.")
def schema(out: Path | None, fmt: str) -> None:
    """Print the JSON Schema of every resource kind (for editors)."""
    from podops.load.schemadoc import json_schema, markdown

    text = markdown() if fmt == "markdown" else json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if out:
        out.write_text(text)
    else:
        click.echo(text, nl=False)


@main.group()
def new() -> None:
    """Write a new resource with a fresh GUID, or a CI workflow."""


@new.command("show")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", required=True, help="URL segment: 8–44 of a-z 0-9 - _.")
@click.option("--title", required=True, help="Show title.")
@click.option("--base-url", required=True,
              help="Where the site will be published, e.g. https://you.github.io/your-show/ (podcast:guid is "
                   "derived from it once and pinned).")
@click.option("--email", help="Owner e-mail (apps and directories write to it).")
@click.option("--image", default="cover.png", show_default=True, help="Artwork path, relative to the production.")
@click.option("--copy", is_flag=True, help="Copy an --image from outside the production into it.")
def new_show(directory: Path, name: str, title: str, base_url: str, email: str | None, image: str,
             copy: bool) -> None:
    """Write show-<guid>.yaml."""
    from podops.commands import scaffold

    base_url_option(base_url)
    _written(run(lambda: scaffold.new_show(directory, name, title, base_url, email, image, copy)), directory)


@new.command("episode")
@click.argument("directory", default=".", type=PRODUCTION)
@click.option("--name", required=True, help="URL segment: 8–44 of a-z 0-9 - _.")
@click.option("--title", required=True, help="Episode title.")
@click.option("--audio", help="Path of the MP3, relative to the production (default audio/NAME.mp3).")
@click.option("--copy", is_flag=True, help="Copy an --audio file from outside the production into audio/.")
def new_episode(directory: Path, name: str, title: str, audio: str | None, copy: bool) -> None:
    """Write episodes/episode-<guid>.yaml (a draft) for the production's show."""
    from podops.commands import scaffold

    _written(run(lambda: scaffold.new_episode(directory, name, title, audio, copy)), directory)


def _written(written: Any, directory: Path) -> None:
    """The new file on stdout; what is still missing and the next step on stderr."""
    click.echo(str(written.path))
    emit(written.warnings, "text", directory)
    click.echo(written.next_step, err=True)


@new.command("subscribers")
@click.argument("directory", default=".", type=PRODUCTION)
@click.option("--name", default="subscribers", show_default=True, help="8–44 of a-z 0-9 - _ (never published).")
@click.option("--email", "emails", multiple=True, help="A subscriber's address (repeat for more).")
def new_subscribers(directory: Path, name: str, emails: tuple[str, ...]) -> None:
    """Write subscribers-<guid>.yaml: the listeners of the production's private show."""
    from podops.commands import scaffold

    _written(run(lambda: scaffold.new_subscribers(directory, name, list(emails))), directory)


@main.command()
@click.argument("directory", default=".", type=PRODUCTION)
@click.option("--base-url", help="Public URL of the output folder (else the show's site.baseUrl).")
@click.option("--format", "fmt", type=FORMATS, default="text", help="A table, or JSON for scripts.")
def subscribers(directory: Path, base_url: str | None, fmt: str) -> None:
    """Print each private-show subscriber's feed and subscribe URLs (needs PODOPS_SECRET; writes nothing)."""
    from podops.build import subscribers as list_subscribers
    base_url_option(base_url)
    found = run(lambda: list_subscribers(directory, base_url), fmt, directory)
    rows = [{"email": a.email, "feed_url": a.feed_url, "subscribe_url": a.subscribe_url} for a in found]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['email']}\t{row['feed_url']}\t{row['subscribe_url']}")
    if not rows:
        click.echo("no subscribers: no show is private, or its kind: subscribers lists nobody", err=True)


@main.command()
@click.argument("directory", default=".", type=PRODUCTION)
@click.option("-p", "--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--drafts", is_flag=True, help="Include draft episodes.")
def serve(directory: Path, port: int, drafts: bool) -> None:
    """Preview the site on 127.0.0.1, rebuilding and reloading pages on every change."""
    from podops.commands.preview import serve as run_serve

    def notify(report: Any, error: PodopsError | None) -> None:
        if error is not None:
            emit(error.diagnostics, "text", directory)
            click.echo("build failed: still serving the last good site", err=True)
            return
        emit(report.warnings, "text", directory)
        for feed in report.feeds:
            click.echo(f"feed: {feed}", err=True)
        click.echo(f"built {report.published} episode(s) in {report.seconds:.2f} s", err=True)

    def ready(url: str) -> None:
        click.echo(f"serving {url} (Ctrl-C to stop)", err=True)

    run(lambda: run_serve(directory, port, drafts, notify, ready))


@main.command("import")
@click.argument("feed")
@click.option("-o", "--output", "out", default=".", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder to write the production into.")
@click.option("--base-url", help="Set site.baseUrl: where the new site will be published.")
@click.option("--offline", is_flag=True, help="Do not fetch podcast:chapters files over the network.")
@click.option("--keep-new-feed-url", is_flag=True,
              help="Carry the feed's itunes:new-feed-url even when it points away from the new feed.")
@click.option("--allow-private", is_flag=True,
              help="Allow fetching from loopback and private network addresses (a local test server).")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds each fetch may take in all, redirects and a slow body included.")
def import_(feed: str, out: Path, base_url: str | None, offline: bool, keep_new_feed_url: bool,
            allow_private: bool, timeout: float) -> None:
    """Turn an RSS feed (a file or an http(s) URL) into show.yaml and one YAML per episode."""
    from podops.commands.importer import import_feed

    base_url_option(base_url)
    imported = run(lambda: import_feed(feed, out, base_url=base_url, offline=offline,
                                        keep_new_feed_url=keep_new_feed_url, timeout=timeout,
                                        allow_private=allow_private))
    emit(imported.warnings, "text", None)
    live = f" and {imported.channels} live channel(s)" if imported.channels else ""
    click.echo(f"imported {imported.episodes} episode(s){live} into {out}; {imported.next_step}", err=True)


@main.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.argument("target", metavar="s3://BUCKET[/PREFIX]")
@click.option("--endpoint-url", envvar="AWS_ENDPOINT_URL", help="S3 endpoint of R2, B2, MinIO, … (else AWS).")
@click.option("--delete", is_flag=True, help="Delete objects the site no longer has (after the feeds are up).")
@click.option("--dry-run", is_flag=True, help="Print what would be uploaded and deleted, in order; change nothing.")
@click.option("-j", "--jobs", default=8, show_default=True, type=click.IntRange(1, 64), help="Parallel uploads.")
def publish(out: Path, target: str, endpoint_url: str | None, delete: bool, dry_run: bool, jobs: int) -> None:
    """Upload a build to S3-compatible storage: media, then pages, then feeds, then deletions."""
    from podops.commands.publish import publish as run_publish

    with Progress(enabled=not dry_run) as progress:
        summary = run(lambda: run_publish(str(out), target, endpoint_url, delete, dry_run, jobs, progress))
    if dry_run:
        for action in summary.plan.actions:
            size = f" ({action.size / 1e3:.1f} kB)" if action.op == "upload" else ""
            click.echo(f"{action.op} {action.phase}: {summary.target}{action.rel} [{action.why}]{size}")
    for rel in summary.plan.stale[:10] if not delete else []:
        click.echo(f"stale: {summary.target}{rel} (no longer in the site; --delete removes it)", err=True)
    if len(summary.plan.stale) > 10 and not delete:
        click.echo(f"stale: … and {len(summary.plan.stale) - 10} more", err=True)
    uploads = [a for a in summary.plan.actions if a.op == "upload"]
    if dry_run:
        click.echo(f"would upload {len(uploads)} file(s) ({sum(a.size for a in uploads) / 1e6:.1f} MB), "
                   f"keep {summary.unchanged} unchanged, delete {len(summary.plan.actions) - len(uploads)} "
                   f"in {summary.target} (dry run: nothing was changed)", err=True)
        return
    click.echo(f"published {out} to {summary.target}: {summary.uploaded} uploaded "
               f"({summary.bytes / 1e6:.1f} MB), {summary.unchanged} unchanged, {summary.deleted} deleted "
               f"({summary.seconds:.2f} s)", err=True)


@main.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--previous", required=True, metavar="DIR|URL",
              help="The site OUT replaces: a built folder, or the live site's base URL.")
@click.option("--production", "production", default=".", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="The production (for webhooks and pings).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send nothing.")
@click.option("--allow-private-targets", is_flag=True,
              help="Allow receivers on private, loopback and link-local addresses.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 300),
              help="Seconds per request.")
@click.option("--max-time", default=120.0, show_default=True, type=click.FloatRange(1, 3600),
              help="Seconds for the whole run, retries included.")
def notify(out: Path, previous: str, production: Path, dry_run: bool, allow_private_targets: bool,
           timeout: float, max_time: float) -> None:
    """Send signed webhooks and WebSub/Podping pings for what changed since PREVIOUS."""
    from podops.commands.notify import Policy
    from podops.commands.notify import notify as run_notify

    policy = Policy(timeout=timeout, budget=max_time, allow_private=allow_private_targets)
    report = run(lambda: run_notify(out, previous, production, policy, dry_run), "text", production)
    if report.baseline:
        click.echo(f"notify: no manifest at {previous or '(an empty --previous)'}: this is the baseline, "
                   "nothing announced", err=True)
    for event in report.events:
        subject = event["subject"]
        click.echo(f"event: {event['type']} {subject['type']}/{subject['id']} {event['id']}", err=True)
    for what, label, target, body in report.planned:
        click.echo(f"would send {what} {label} to {target}")
        if what == "webhook":
            click.echo(body.decode())
    for item in report.sent:
        state = "sent" if item.ok else "FAILED"
        tries = f", {item.attempts} attempt(s)" if item.attempts != 1 else ""
        click.echo(f"{state}: {item.what} {item.label} → {item.target} ({item.detail}{tries})", err=True)
    hooks = [s for s in report.sent if s.what == "webhook"]
    pings = [s for s in report.sent if s.what != "webhook"]
    failed = report.failed
    verb = "would be announced (dry run)" if dry_run else "announced"
    click.echo(f"notify: {len(report.events)} event(s) {verb}; webhooks {sum(h.ok for h in hooks)} delivered, "
               f"{sum(not h.ok for h in hooks)} failed; pings {sum(p.ok for p in pings)} sent, "
               f"{sum(not p.ok for p in pings)} failed", err=True)
    if failed:
        sys.exit(1)


@new.command("ci")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--install", "install", metavar="SPEC",
              help="What CI pip-installs (default: this podops, from where it was installed).")
@click.option("--publish", "target", metavar="s3://BUCKET[/PREFIX]",
              help="Publish to S3-compatible storage instead of GitHub Pages / GitLab Pages.")
def new_ci(directory: Path, install: str | None, target: str | None) -> None:
    """Write CI recipes: .github/workflows/podops.yml and .gitlab-ci.yml (Pages, or S3 with --publish)."""
    from podops.commands.workflows import write_ci

    for path in run(lambda: write_ci(directory, install, target)):
        click.echo(str(path))
    if target:
        click.echo("Set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and (except on AWS) AWS_ENDPOINT_URL "
                   "as secrets in the CI settings; on GitLab, add a daily pipeline schedule.", err=True)
    else:
        click.echo("GitHub: set Settings → Pages → Source to \"GitHub Actions\". "
                   "GitLab: add a daily pipeline schedule so scheduled episodes go live.", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
