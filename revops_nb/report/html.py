"""Turn an executed notebook into the stakeholder's self-contained HTML report.

Publishing strips what a stakeholder must not see (code, prompts, the injected
parameters cell, papermill's parameter metadata) and nbconvert renders the rest
with the ``revops`` template: the lab look without any network request.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter

TEMPLATES = Path(__file__).parent / "templates"


def publishable(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of an executed notebook without parameters, papermill metadata or its title line."""
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    kept = []
    title_removed = False
    failed = any(_status(c) == "failed" for c in nb.cells)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if failed and _status(cell) == "pending":
            continue  # after a failure, sections that never ran are left out
        if "injected-parameters" in tags or "parameters" in tags or "papermill-error-cell-tag" in tags:
            continue
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.source = ""
            cell.outputs = [_clean_output(o) for o in cell.get("outputs", [])]
        if cell.cell_type == "markdown" and not title_removed:
            lines = cell.source.splitlines()
            if lines and lines[0].startswith("# "):
                cell.source = "\n".join(lines[1:]).strip()
                title_removed = True
        kept.append(cell)
    nb.cells = kept
    return nb


def _status(cell: nbformat.NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("papermill", {}).get("status")


def _clean_output(output: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Errors show as one readable line for stakeholders; the full traceback stays in report.ipynb."""
    if output.get("output_type") == "error":
        text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
        return nbformat.v4.new_output("stream", name="stderr", text=text)
    return output


def table_of_contents(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(anchor, heading) for every ``##`` heading, with nbconvert's anchor ids."""
    toc = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            heading = _level_two(line)
            if heading:
                text = _plain_heading(heading)
                toc.append((text.replace(" ", "-"), text))
    return toc


def _level_two(line: str) -> str | None:
    """The text of a ``## heading`` line without its closing hashes, else None (no regex: linear)."""
    if not line.startswith("##") or line.startswith("###") or len(line) < 3 or not line[2].isspace():
        return None
    text = line[2:].strip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1].isspace()):
        text = bare.strip()
    return text or None


def _plain_heading(markdown: str) -> str:
    """Heading text as nbconvert renders it (emphasis removed, entities decoded): its id uses this."""
    import html as html_lib

    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendered = markdown2html_mistune(markdown)
    return html_lib.unescape(re.sub(r"<[^<>]*>", "", rendered)).strip()


def render_html(nb: nbformat.NotebookNode, header: dict[str, Any]) -> str:
    """Render a published notebook to one offline HTML page with the report header."""
    exporter = HTMLExporter(
        template_name="revops",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        anchor_link_text="",
    )
    resources = {"revops": {**header, "toc": table_of_contents(nb)}, "metadata": {"name": header["title"]}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return neutralize_urls(body)


# ---------------------------------------------------------------- the final URL pass
#
# A report is one offline file: the only references it may hold are '#fragment' links and
# embedded data:image/... pictures. Every other src/href (any scheme, 'http:host', '//host',
# 'javascript:', relative paths, entity- or whitespace-obfuscated), srcset, srcdoc, meta
# refresh and CSS url()/image-set()/@import is renamed to an inert data-blocked-* attribute or
# blocked-* function, and a Content-Security-Policy allows no request at all as a second wall.
# A small tokenizer scopes the pass to tags and <style> text (text that merely reads "src=x"
# stays as it is), and every scan moves forward: time is linear in the page.

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; media-src data:; "
    "form-action 'none'; base-uri 'none'; frame-src 'none'; object-src 'none'"
)
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
URL_ATTRS = frozenset(
    [
        "src",
        "href",
        "xlink:href",
        "action",
        "formaction",
        "poster",
        "background",
        "cite",
        "longdesc",
        "ping",
        "codebase",
        "data",
        "manifest",
        "archive",
        "lowsrc",
        "dynsrc",
        "usemap",
        "icon",
        "profile",
        "classid",
        "itemtype",
    ]
)
ALWAYS_BLOCKED = frozenset({"srcset", "imagesrcset", "srcdoc", "http-equiv"})
RAW_TEXT = frozenset(
    ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"]
)
FOREIGN = frozenset({"svg", "math"})
BLOCKED_CSS = frozenset(
    ["url", "image-set", "-webkit-image-set", "image", "cross-fade", "-webkit-cross-fade", "element", "src"]
)
# <tag attributes>: a quoted value may hold '>' and '<'; an unclosed one runs to the end, as in a
# browser, so a match always consumes what it scanned
_ATTRS = r"""(?:[\s/]++|[^\s/>][^\s/>=]*+(?:\s*+=\s*+(?:"[^"]*+"?|'[^']*+'?|[^\s>]*+))?+)*+"""
_TAG = re.compile(rf"<(?P<name>[a-zA-Z][^\s/>]*+)(?P<attrs>{_ATTRS})>?")
_END_TAG = re.compile(rf"</(?P<name>[a-zA-Z][^\s/>]*+){_ATTRS}>?")
_ATTR = re.compile(r"""(?P<name>[^\s/>][^\s/>=]*+)(?:\s*+=\s*+(?P<value>"[^"]*+"?|'[^']*+'?|[^\s>]*+))?+""")
_CSS_ESCAPE = r"\\(?:[0-9a-fA-F]{1,6}[ \t\n\r\f]?|[^\n\r\f0-9a-fA-F])"
# an identifier (possibly written with CSS escapes) followed by '(' or after '@'; the look-behind
# starts a candidate only at the beginning of an identifier, so a long word is scanned once
_CSS_FUNCTION = re.compile(rf"(?<![-\w\\])(?P<at>@)?(?P<name>(?:[-\w]|{_CSS_ESCAPE})++)(?(at)|\()")
_CSS_ARG = re.compile(r"""\s*+(?:"[^"\n]*+"?|'[^'\n]*+'?|[^)]*+)""")
_CSS_UNESCAPE = re.compile(_CSS_ESCAPE)
_HTTP_EQUIV = re.compile(r"(?<!data-blocked-)http-equiv", re.IGNORECASE)
_COMMENT_END = re.compile(r"--!?>")
_MARKUP = re.compile(r"<[a-zA-Z!?/]")  # where a tag, comment or end tag may start
_raw_end: dict[str, re.Pattern[str]] = {}


def neutralize_urls(html: str) -> str:
    """Defuse every reference that could reach the network or run script, and add the CSP (belt and braces)."""
    out, _ = _scan(html)
    out = _HTTP_EQUIV.sub("data-blocked-http-equiv", out)  # a meta refresh cannot hide in any context
    match = re.search(r"<head\b[^<>]*>", out[:4096], re.IGNORECASE)
    if match:
        return out[: match.end()] + CSP_META + out[match.end() :]
    return CSP_META + out


def external_references(html: str) -> list[str]:
    """Every src/href/style reference other than ``#fragment`` or ``data:image`` (empty for a report)."""
    _, found = _scan(html)
    return found


def _scan(html: str) -> tuple[str, list[str]]:
    """(``html`` with unsafe references renamed, the references found) in one forward pass."""
    parts: list[str] = []
    found: list[str] = []
    done = pos = 0
    foreign = 0  # inside <svg>/<math> a <style> is not raw text
    n = len(html)
    while True:
        start = _MARKUP.search(html, pos)
        if start is None:
            break
        i = start.start()
        nxt = html[i + 1]
        if html.startswith("<!--", i):
            if html.startswith("<!-->", i) or html.startswith("<!--->", i):
                pos = html.find(">", i + 2) + 1
            else:
                close = _COMMENT_END.search(html, i + 4)  # '--!>' closes a comment too
                pos = n if close is None else close.end()
        elif nxt in "!?":
            end = html.find(">", i + 2)
            pos = n if end == -1 else end + 1
        elif nxt == "/":
            match = _END_TAG.match(html, i)
            if match is None:
                pos = i + 2
                continue
            if match.group("name").lower() in FOREIGN:
                foreign = max(0, foreign - 1)
            pos = match.end()
        else:
            match = _TAG.match(html, i)
            assert match is not None  # the pattern accepts anything after '<' + letter
            name = match.group("name").lower()
            new_attrs = _safe_attrs(name, match.group("attrs"), found)
            if new_attrs is not None:
                parts += [html[done : match.start("attrs")], new_attrs]
                done = match.end("attrs")
            pos = match.end()
            if name in FOREIGN and not match.group(0).endswith("/>"):
                foreign += 1
            elif name in RAW_TEXT and not foreign:
                closing = _raw_end.setdefault(name, re.compile(rf"</{name}(?=[\s/>])", re.IGNORECASE))
                end_match = closing.search(html, pos)
                end = n if end_match is None else end_match.start()
                if name == "style":
                    css, refs = _safe_css(html[pos:end])
                    if refs:
                        found += refs
                        parts += [html[done:pos], css]
                        done = end
                pos = end
    parts.append(html[done:])
    return "".join(parts), found


def _safe_attrs(tag: str, attrs: str, found: list[str]) -> str | None:
    """The attribute text of one tag with unsafe attributes renamed, or None when all are safe."""
    if "=" not in attrs:
        return None
    parts: list[str] = []
    done = 0
    animated = ""
    for match in _ATTR.finditer(attrs):
        name = match.group("name").lower()
        raw = match.group("value")
        if raw is None:
            continue
        value = _unquote(raw)
        if name == "attributename":
            animated = value.strip().lower()
        if name == "http-equiv" and value.strip().lower() == "content-security-policy":
            continue  # a policy can only forbid more
        unsafe = (
            name in ALWAYS_BLOCKED
            or (name in URL_ATTRS and not _safe_url(value))
            or (name in ("to", "from", "values", "by") and ("href" in animated or "src" in animated))
            or (("(" in value or "@" in value or "\\" in value) and _safe_css(value)[1] != [])
        )
        if unsafe:
            found.append(f"<{tag} {match.group(0)[:120]}")
            blocked = re.sub(r"[^a-z0-9-]", "-", name)
            parts += [attrs[done : match.start()], f'data-blocked-{blocked}=""']
            done = match.end()
    if not parts:
        return None
    parts.append(attrs[done:])
    return "".join(parts)


def _unquote(raw: str) -> str:
    import html as html_lib

    if raw[:1] in ("'", '"'):
        raw = raw[1:-1] if len(raw) > 1 and raw[-1] == raw[0] else raw[1:]
    return html_lib.unescape(raw)


def _safe_url(value: str) -> bool:
    """Only '', '#fragment' and an embedded data:image/... (whitespace and controls ignored, as browsers do)."""
    url = "".join(ch for ch in value if ch > " ").lower()
    return url == "" or url.startswith("#") or url.startswith("data:image/")


def _safe_css(css: str) -> tuple[str, list[str]]:
    """(``css`` with url() to anything but data:image/#, image-set(), @import... renamed, what was renamed)."""
    if "(" not in css and "@" not in css:
        return css, []
    parts: list[str] = []
    found: list[str] = []
    done = pos = 0
    while True:
        match = _CSS_FUNCTION.search(css, pos)
        if match is None:
            break
        pos = match.end()
        name = _CSS_UNESCAPE.sub(_css_char, match.group("name")).lower()
        if match.group("at"):
            unsafe = name == "import"
        elif name == "url":
            arg = _CSS_ARG.match(css, pos)
            pos = arg.end()
            value = _CSS_UNESCAPE.sub(_css_char, arg.group(0)).strip().strip("\"'")
            unsafe = not _safe_url(value)
        else:
            unsafe = name in BLOCKED_CSS
        if unsafe:
            found.append(css[match.start() : min(pos, match.start() + 120)])
            parts += [
                css[done : match.start()],
                f"{match.group('at') or ''}blocked-{re.sub(r'[^a-z-]', '-', name)}",
            ]
            done = match.end("name")
    if not found:
        return css, []
    parts.append(css[done:])
    return "".join(parts), found


def _css_char(match: re.Match[str]) -> str:
    """The character a CSS escape stands for (``\\72 `` -> 'r')."""
    body = match.group(0)[1:].rstrip(" \t\n\r\f")
    if body and all(c in "0123456789abcdefABCDEF" for c in body):
        code = int(body, 16)
        return chr(code) if 0 < code < 0x110000 else "\ufffd"
    return body
