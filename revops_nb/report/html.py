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
EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
UNSAFE_ATTR = re.compile(
    r"""\b(?P<attr>src|href|action|formaction|srcset|poster)\s*=\s*(?P<q>["']?)\s*(?:(?:https?:)?//|javascript:|vbscript:)""",
    re.IGNORECASE,
)


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
            match = re.match(r"^##\s+(.+?)\s*#*$", line)
            if match:
                text = _plain_heading(match.group(1).strip())
                toc.append((text.replace(" ", "-"), text))
    return toc


def _plain_heading(markdown: str) -> str:
    """Heading text as nbconvert renders it (emphasis removed, entities decoded): its id uses this."""
    import html as html_lib

    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendered = markdown2html_mistune(markdown)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


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


def neutralize_urls(html: str) -> str:
    """Defuse any attribute that would reach the network or run script (belt and braces)."""
    return UNSAFE_ATTR.sub(lambda m: f"data-blocked-{m.group('attr').lower()}={m.group('q')}blocked:", html)


def external_references(html: str) -> list[str]:
    """Every src/href that would reach the network (should be empty for a report)."""
    return [m.group(0) for m in EXTERNAL_URL.finditer(html)]
