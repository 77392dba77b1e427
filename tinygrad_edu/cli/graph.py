"""``tinygrad-edu graph``: draw an article's network, forward or backward.

    tinygrad-edu graph article2 --format svg --out graph.svg
    tinygrad-edu graph article2 --html steps.html          # the backward stepper
    tinygrad-edu graph article1 --frames-dir frames --format svg
    tinygrad-edu graph article1 --format dot            # DOT on stdout, no Graphviz needed

``--html`` and ``--frames-dir`` draw the backward pass (``--backward`` says so
explicitly); options that would be ignored by the chosen drawing are refused, and every
output path is checked before anything is drawn.

Owns argument parsing only; the drawings live in :mod:`tinygrad_edu.viz`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .args import CommandError, positive_int

__all__ = ["register", "run", "output_format"]

def output_format(text: str) -> str:
    """An ``argparse`` type: ``dot`` or an output format Graphviz knows (svg, png, …).

    >>> output_format("svg")
    'svg'
    >>> output_format("bogus")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    argparse.ArgumentTypeError: unknown format 'bogus'; use dot, svg, png, pdf or ...
    """
    import graphviz

    if text != "dot" and text not in graphviz.FORMATS:
        raise argparse.ArgumentTypeError(f"unknown format {text!r}; use dot, svg, png, pdf or "
                                         "another Graphviz output format")
    return text


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``graph`` subcommand."""
    from ..articles.graphs import ARTICLES

    parser = subparsers.add_parser(
        "graph", help="draw an article's computation graph (forward or backward frames)",
        description="Draw the computation graph of an article's network: the forward graph "
                    "(DOT, SVG, PNG), every backward frame, or an HTML page stepping "
                    "through them.")
    parser.add_argument("network", choices=sorted(ARTICLES), help="which article's network")
    parser.add_argument("--format", default=None, type=output_format,
                        help="dot, svg, png, pdf … for the forward graph and the frames "
                             "(default: svg with --out or --frames-dir, dot on stdout)")
    parser.add_argument("--out", metavar="FILE",
                        help="file for the forward graph (default: stdout, DOT only)")
    parser.add_argument("--backward", action="store_true",
                        help="draw the backward pass (needs --html and/or --frames-dir)")
    parser.add_argument("--html", metavar="FILE",
                        help="write the backward pass as an HTML page stepping through the "
                             "frames (implies --backward)")
    parser.add_argument("--frames-dir", metavar="DIR",
                        help="write one file per backward frame here (implies --backward)")
    parser.add_argument("--check", action="store_true",
                        help="forward graph only: colour parameters by a finite-difference "
                             "check of their gradient")
    parser.add_argument("--precision", type=positive_int, default=4, metavar="DIGITS",
                        help="significant digits of the numbers shown (default: 4)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``graph``; returns the exit code (errors are raised as :class:`CommandError`)."""
    backward = args.backward or bool(args.html or args.frames_dir)
    if backward:
        _check_backward_options(args)
        return _draw_backward(args)
    _check_forward_options(args)
    return _draw_forward(args)


def _check_backward_options(args: argparse.Namespace) -> None:
    if not (args.html or args.frames_dir):
        raise CommandError("graph --backward: pass --html FILE and/or --frames-dir DIR")
    if args.out:
        raise CommandError("graph: --out writes the forward graph; for the backward pass "
                           "use --html FILE or --frames-dir DIR")
    if args.check:
        raise CommandError("graph: --check colours the forward graph; drop --check, or "
                           "drop --html/--frames-dir/--backward")
    if args.format and not args.frames_dir:
        raise CommandError("graph: --format sets the files of --frames-dir (the --html page "
                           "is always HTML)")
    if args.html:
        _check_output_file("--html", args.html)


def _check_forward_options(args: argparse.Namespace) -> None:
    fmt = args.format or ("svg" if args.out else "dot")
    if args.out:
        _check_output_file("--out", args.out)
    elif fmt != "dot":
        raise CommandError(f"graph: --format {fmt} is binary: pass --out FILE "
                           "(only dot goes to stdout)")


def _check_output_file(option: str, path: str) -> None:
    """Refuse, before drawing, a file that cannot be written where it is asked for."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise CommandError(f"graph {option} {path}: the folder {str(folder)!r} does not exist")
    if target.is_dir():
        raise CommandError(f"graph {option} {path}: that is a folder; give a file name")


def _draw_backward(args: argparse.Namespace) -> int:
    from ..articles.graphs import ARTICLES
    from ..viz import backward_html, render_frames
    from ..viz.frames import trace_backward

    loss = ARTICLES[args.network]()
    frames = len(trace_backward(loss).frames)
    if args.html:
        path = backward_html(loss, args.html, precision=args.precision)
        print(f"wrote {path} ({frames} backward frames)")
    if args.frames_dir:
        paths = render_frames(loss, args.frames_dir, args.format or "svg",
                              precision=args.precision)
        print(f"wrote {len(paths)} frames to {args.frames_dir}")
    return 0


def _draw_forward(args: argparse.Namespace) -> int:
    from ..articles.graphs import ARTICLES
    from ..viz import draw
    from ..viz.render import render_bytes

    fmt = args.format or ("svg" if args.out else "dot")
    digraph = draw(ARTICLES[args.network](), check=args.check, precision=args.precision)
    data = digraph.source.encode("utf-8") if fmt == "dot" else render_bytes(digraph, fmt)
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0
