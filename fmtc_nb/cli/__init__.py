"""The ``fmtc-nb`` command.

Each command lives in its own module of this package and exposes ``register(subparsers)``, which adds its
parser and sets ``func`` (called with the parsed namespace, returning the exit code). Modules are discovered,
so adding a command never edits this file. Errors derived from :class:`fmtc_nb.errors.FmtcError` become one
sentence on stderr and their exit code (2 for bad input), never a traceback. An ``OSError`` or SQLite error that
no layer below turned into a sentence (a read-only file system under a store or an export target) still becomes
one sentence and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sqlite3
import sys
from collections.abc import Sequence
from typing import NoReturn

from fmtc_nb import __version__
from fmtc_nb.errors import FmtcError


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (argparse's own print the usage block first); its
    subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help').\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every discovered command registered."""
    parser = OneLineParser(prog="fmtc-nb", description="Plan and download offline map regions.")
    parser.add_argument("--version", action="version", version=f"fmtc-nb {__version__}")
    parser.add_argument(
        "--root", default=None, help="directory holding stores and recovery (default: $FMTC_NB_ROOT or user data dir)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}").register(subparsers)
    return parser


def file_refusal(exc: OSError | sqlite3.Error) -> str:
    """One sentence for a file system or SQLite refusal (a read-only or full file system, a missing folder, no
    permission) that reached the command without a sentence of its own."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"The file system refused{where}: {exc.strerror}; check that the folder exists, is writable and has space."
    return (f"A file could not be opened or written ({type(exc).__name__}: {exc}); check that the folder exists, "
            "is writable and has space.")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``fmtc-nb`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 is printed escaped, not a traceback
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except FmtcError as exc:
        print(f"fmtc-nb: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fmtc-nb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. head, which stopped reading: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush stays silent
        return 0
    except (OSError, sqlite3.Error) as exc:  # a file system refusal no layer below put in words: still one sentence
        print(f"fmtc-nb: error: {file_refusal(exc)}", file=sys.stderr)
        return 2
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
