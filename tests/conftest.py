"""Shared test settings: hypothesis profiles sized for a 2-core CI machine.

``ci`` (the default) is derandomized: a landing gate must not flake, and its strategies
still cover the whole domain (tinygrad_edu.check.strategies). ``thorough``
(``HYPOTHESIS_PROFILE=thorough``, ``make test-thorough``) is randomized with ten times the
examples; its seed is printed at the start and the end of the run, and
``HYPOTHESIS_SEED=<seed>`` replays it.
"""

import os
import random

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, derandomize=False, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(PROFILE)


def _thorough_seed(config) -> int | None:
    """The seed of a thorough run: --hypothesis-seed, else HYPOTHESIS_SEED, else random."""
    if PROFILE != "thorough":
        return None
    given = config.getoption("hypothesis_seed", None) or os.environ.get("HYPOTHESIS_SEED")
    return int(given) if given is not None else random.SystemRandom().randrange(2**32)


def pytest_configure(config):
    seed = _thorough_seed(config)
    config.thorough_seed = seed
    if seed is not None:
        from hypothesis import core  # what --hypothesis-seed sets; every test uses it

        config.option.hypothesis_seed = seed
        core.global_force_seed = seed


def _replay(seed: int) -> str:
    return f"hypothesis profile thorough, seed {seed}: replay with " \
           f"HYPOTHESIS_SEED={seed} make test-thorough"


def pytest_report_header(config):
    seed = getattr(config, "thorough_seed", None)
    return _replay(seed) if seed is not None else None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    seed = getattr(config, "thorough_seed", None)
    if seed is not None:
        terminalreporter.write_line(_replay(seed))
