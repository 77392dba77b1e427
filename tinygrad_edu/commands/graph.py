"""``tinygrad-edu graph``: draw an article's network, forward or backward.

    tinygrad-edu graph article2 --format svg --out graph.svg
    tinygrad-edu graph article2 --backward --html steps.html
    tinygrad-edu graph article1 --backward --frames-dir frames --format svg
    tinygrad-edu graph article1 --format dot            # DOT on stdout, no Graphviz needed

Owns argument parsing only; the drawings live in :mod:`tinygrad_edu.viz`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``graph`` subcommand."""
    from ..viz.articles import ARTICLES

    parser = subparsers.add_parser(
        "graph", help="draw an article's computation graph (forward or backward frames)",
        description="Draw the computation graph of an article's network: the forward graph "
                    "(DOT, SVG, PNG), every backward frame, or an HTML page stepping "
                    "through them.")
    parser.add_argument("network", choices=sorted(ARTICLES), help="which article's network")
    parser.add_argument("--format", default=None,
                        help="dot, svg, png, pdf … (default: svg with --out or --frames-dir, "
                             "dot on stdout otherwise)")
    parser.add_argument("--out", help="file for the forward graph (default: stdout, DOT only)")
    parser.add_argument("--backward", action="store_true", help="draw the backward pass")
    parser.add_argument("--html", help="with --backward: write the HTML stepper here")
    parser.add_argument("--frames-dir", help="with --backward: write numbered frame files here")
    parser.add_argument("--check", action="store_true",
                        help="colour parameters by a finite-difference check of their gradient")
    parser.add_argument("--precision", type=int, default=4, help="significant digits")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``graph``; returns the exit code."""
    from ..viz import backward_html, draw, render_frames
    from ..viz.articles import ARTICLES
    from ..viz.frames import trace_backward
    from ..viz.render import DotNotFoundError, render_bytes

    loss = ARTICLES[args.network]()
    try:
        if args.backward:
            if not (args.html or args.frames_dir):
                print("graph --backward: pass --html FILE and/or --frames-dir DIR",
                      file=sys.stderr)
                return 2
            frames = len(trace_backward(loss).frames)
            if args.html:
                path = backward_html(loss, args.html, precision=args.precision)
                print(f"wrote {path} ({frames} backward frames)")
            if args.frames_dir:
                paths = render_frames(loss, args.frames_dir, args.format or "svg",
                                      precision=args.precision)
                print(f"wrote {len(paths)} frames to {args.frames_dir}")
            return 0
        digraph = draw(loss, check=args.check, precision=args.precision)
        fmt = args.format or ("svg" if args.out else "dot")
        data = (digraph.source.encode("utf-8") if fmt == "dot"
                else render_bytes(digraph, fmt))
        if args.out:
            Path(args.out).write_bytes(data)
            print(f"wrote {args.out}")
        elif fmt == "dot":
            sys.stdout.write(data.decode("utf-8"))
        else:
            print(f"graph: --format {fmt} needs --out FILE", file=sys.stderr)
            return 2
        return 0
    except DotNotFoundError as error:
        print(f"graph: {error}", file=sys.stderr)
        return 1
