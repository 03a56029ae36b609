"""Benchmark: masking, the final URL pass and publishing on megabyte values, and how they grow.

Hostile input once stalled a run for minutes (a regex quadratic in a value's length).
The tests only check that these calls finish; this prints how long they take on a
quarter of the input and on all of it, and the ratio (linear: about 4, quadratic: 16).

    python benchmarks/bench_hostile_input.py [--size 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median_run


def texts(size: int) -> dict[str, str]:
    """Values of about ``size`` characters built to trip URL and tag patterns."""
    return {
        "letters": "X" * size,
        "urls": "a://u:p@" * (size // 8),
        "colons": "x://a:" * (size // 6),
        "one long authority": "://" + ":" * size,
        "authorities": ("://" + "a:" * 50 + "/") * (size // 104),
        "tags": "<" * size,
        "attributes": '<a b="' * (size // 6),
        "css urls": "<style>" + 'url("' * (size // 5),
    }


def publish(size: int) -> str:
    """Render, URL-neutralize and redact a notebook holding one escaped value of ``size``."""
    import nbformat

    from revops_nb import formatting
    from revops_nb.report.html import publishable, render_html
    from revops_nb.report.params import redact

    header = {"title": "t", "run_date": "d", "status": "ok", "duration": "1 s", "data": "", "error": None}
    value = formatting.escape(("Acme [x](http://a) <b> " * (size // 23 + 1))[:size])
    outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": value}),
        nbformat.v4.new_output("stream", name="stdout", text=value),
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=outputs)])
    return redact(render_html(publishable(nb), header), ["s3cr3t"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from revops_nb.report.html import neutralize_urls
    from revops_nb.report.params import mask_url_password

    quarter, whole = texts(args.size // 4), texts(args.size)
    print(f"{'call':<16} {'input':<20} {'1/4 size s':>11} {'full size s':>12} {'ratio':>6}")
    rows = [("mask password", mask_url_password), ("final URL pass", neutralize_urls)]
    for label, func in rows:
        for kind in whole:
            small, _ = median_run(lambda f=func, t=quarter[kind]: f(t), args.runs)
            large, _ = median_run(lambda f=func, t=whole[kind]: f(t), args.runs)
            print(f"{label:<16} {kind:<20} {small:>11.4f} {large:>12.4f} {large / max(small, 1e-9):>6.1f}")
    small, _ = median_run(lambda: publish(args.size // 4), max(1, args.runs // 2))
    large, _ = median_run(lambda: publish(args.size), max(1, args.runs // 2))
    print(
        f"{'publish report':<16} {'escaped markdown':<20} {small:>11.4f} {large:>12.4f} {large / small:>6.1f}"
    )


if __name__ == "__main__":
    main()
