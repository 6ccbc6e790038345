"""An incremental build changes the output through a journal: a kill mid-way is finished by the next build."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import EPISODE, MEDIA, SECOND, SECOND_PATH, clean_build, site_of

from podops import build as build_module
from podops.write import journal
from podops.write.output import recover

EP = "episodes/episode-6d1048a48504.yaml"


def test_a_build_killed_while_applying_its_journal_is_finished_by_the_next(production, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    (prod / SECOND_PATH).write_text(SECOND)
    shutil.copyfile(MEDIA / "vbr.mp3", prod / "assets" / "ep2.mp3")
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode One, retitled"))
    real_rename, renames = os.rename, []

    def killed(source, target, *args, **kwargs):  # the journal goes in place, then one file, then the kill
        renames.append(target)
        if len(renames) > 2:
            raise KeyboardInterrupt
        return real_rename(source, target, *args, **kwargs)

    monkeypatch.setattr(journal.os, "rename", killed)
    with pytest.raises(KeyboardInterrupt):
        build_module.build(prod, out)
    monkeypatch.setattr(journal.os, "rename", real_rename)
    assert journal.path_of(out).exists() and list(tmp_path.glob("public.podops-tmp-*"))
    assert recover(out)  # what the next build does before anything else
    assert not journal.path_of(out).exists() and not list(tmp_path.glob("public.podops-*"))
    expected = clean_build(prod, tmp_path)
    assert site_of(out) == expected
    build_module.build(prod, out)  # the record of the killed build was never saved: nothing is trusted blindly
    assert site_of(out) == expected


def test_a_journal_that_cannot_be_finished_is_dropped_and_the_next_build_writes_again(production, tmp_path: Path,
                                                                                     monkeypatch) -> None:
    prod, out = production(), tmp_path / "public"
    build_module.build(prod, out)
    (prod / EP).write_text(EPISODE.replace("Episode One", "Episode One, retitled"))
    monkeypatch.setattr(journal, "apply", lambda out, change: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        build_module.build(prod, out)
    monkeypatch.undo()
    shutil.rmtree(next(tmp_path.glob("public.podops-tmp-*")))  # its staged files lost
    build_module.build(prod, out)
    assert site_of(out) == clean_build(prod, tmp_path)
    assert not list(tmp_path.glob("public.podops-*"))
