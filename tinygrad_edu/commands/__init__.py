"""Subcommands of ``tinygrad-edu``: one module each, with ``register(subparsers)``."""
