"""Markdown to safe HTML: what passes the allow-list and what never does (security.md §1)."""

from __future__ import annotations

import pytest

from podops.render import markup


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))", "[x](javascript&#58;alert(1))", "<iframe src=https://e.vil></iframe>",
    "<svg onload=alert(1)>", "[x](data:text/html,<script>alert(1)</script>)", '<a href="#" onclick="x()">a</a>',
])
def test_script_never_survives(text: str) -> None:
    html = markup.render(text).lower()
    assert "<script" not in html and "onerror" not in html and "onload" not in html
    assert "onclick" not in html and "javascript" not in html and "<iframe" not in html and "data:" not in html


def test_ordinary_markdown_survives() -> None:
    html = markup.render("## Notes\n\n*One* and **two**, [a link](https://example.com/) and `code`.\n\n- a\n- b")
    assert "<h2>Notes</h2>" in html
    assert '<a href="https://example.com/" rel="noopener noreferrer nofollow">a link</a>' in html
    assert "<li>a</li>" in html and "<code>code</code>" in html


def test_plain_text_keeps_list_items_apart() -> None:
    assert markup.plain("Bring:\n\n- sun\n- water\n- patience\n\nThen **wait**.") == \
        "Bring: sun; water; patience Then wait."
    assert markup.plain("1. one\n2. two") == "one; two"
    assert markup.plain("## Heading\nline one  \nline two") == "Heading line one line two"


def test_plain_text_and_byte_limits() -> None:
    assert markup.plain("**Bold** & [link](https://e.com)") == "Bold & link"
    cut = markup.truncate_bytes("é" * 3000, 4000)
    assert len(cut.encode()) <= 4000 and cut.endswith("…")
    assert markup.truncate_bytes("short", 4000) == "short"


def test_rendered_notes_are_remembered_by_content_and_code() -> None:
    notes = markup.use(markup.Notes("code-1"))
    markup.render("hello *world*")
    assert notes.new == {notes.key("hello *world*"): "<p>hello <em>world</em></p>"} and notes.changed()
    again = markup.use(markup.Notes("code-1", notes.kept()))
    markup.render("hello *world*")
    assert again.new == {} and len(again.kept()) == 1 and not again.changed()
    other = markup.use(markup.Notes("code-2", notes.kept()))  # another podops: nothing is reused
    markup.render("hello *world*")
    assert other.new and other.key("x") != notes.key("x")
    markup.use(markup.Notes())


SAMPLE = """\
# Episode 12 -- "Tides"

We talk about *waves*, **currents** and ~~myths~~; see https://example.org/tides.

- one
- two

| Port | High tide |
|------|-----------|
| Brest | 06:12 |

Line one\\
line two[^1]

[^1]: A footnote.
"""
# The two renderers' output for one text, checked byte for byte (a golden test of each path).
COMMONMARK_HTML = """\
<h1>Episode 12 – “Tides”</h1>
<p>We talk about <em>waves</em>, <strong>currents</strong> and <del>myths</del>; see \
<a href="https://example.org/tides" rel="noopener noreferrer nofollow">https://example.org/tides</a>.</p>
<ul>
<li>one</li>
<li>two</li>
</ul>
<table>
<thead>
<tr>
<th>Port</th>
<th>High tide</th>
</tr>
</thead>
<tbody>
<tr>
<td>Brest</td>
<td>06:12</td>
</tr>
</tbody>
</table>
<p>Line one<br>
line two[^1]</p>
<p>[^1]: A footnote.</p>"""


def test_commonmark_is_the_default_renderer() -> None:
    markup.use(markup.Notes("code"))
    assert markup.render(SAMPLE) == COMMONMARK_HTML


def test_python_markdown_renders_a_show_that_asks_for_it_with_its_extensions() -> None:
    notes = markup.use(markup.Notes("code"))
    notes.assign([SAMPLE], markup.flavour("python-markdown", ["footnotes", "tables"]))
    html = markup.render(SAMPLE)
    assert html.startswith('<h1>Episode 12 -- "Tides"</h1>')  # no smarty: not asked for
    assert "~~myths~~" in html and "<table>" in html and 'href="#fn:1"' in html
    assert notes.key(SAMPLE, markup.flavour()) not in notes.rendered  # keyed by renderer


def test_python_markdown_takes_only_its_own_extensions() -> None:
    assert markup.flavour("python-markdown", []) == "python-markdown:extra,sane_lists,smarty"
    notes = markup.use(markup.Notes("code"))
    notes.assign(["*x*"], "python-markdown:some.module,smarty")  # never imported
    assert markup.render("*x*") == "<p><em>x</em></p>"


@pytest.mark.parametrize("renderer", ["commonmark", "python-markdown"])
def test_both_renderers_are_sanitised(renderer: str) -> None:
    notes = markup.use(markup.Notes("code"))
    text = "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(2)>"
    notes.assign([text], markup.flavour(renderer))
    html = markup.render(text).lower()
    assert "<script" not in html and "alert(1)" not in html and "javascript" not in html and "onerror" not in html


def test_characters_xml_cannot_carry_are_dropped_from_notes() -> None:
    html = markup.sanitize(markup._commonmark('<div>x&#12; <a title="t">y</a></div> &#1;z\tw'))
    assert "\x0c" not in html and "\x01" not in html and "z\tw" in html
