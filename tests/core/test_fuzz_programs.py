"""Whole random programs over the op table, against independent references.

Each program is 1–6 table ops over 1–3 broadcastable leaves (0-d scalars, float64 and
float32 arrays) whose values come from the whole domain: kinks and ties, zero and
negative bases, tiny and huge magnitudes, ±inf and nan. Oracles:

* HIPS autograd with the documented conventions at kinks, ties and edges
  (``tinygrad_edu.check.oracles``): forward and gradient, always — it is a test dependency,
  so a missing install fails here instead of skipping;
* float64 central differences wherever the program is smooth at the point;
* HIPS autograd's and PyTorch's own rules (PyTorch when importable): a difference must
  be explained by a convention of ``CONVENTIONS`` that they do not share.

A failure prints the program as runnable code.
"""

import math
from collections import Counter

import autograd  # noqa: F401  (the always-on oracle: an ImportError must fail, not skip)
import numpy as np
import pytest
from hypothesis import Phase, given, settings

from tinygrad_edu import OPS, Value, grad
from tinygrad_edu.check.oracles import (
    CONVENTIONS,
    KINK_CONVENTION,
    Const,
    Instruction,
    Program,
    active_conventions,
    compare_program,
    hips_ops,
    run_program,
    torch_available,
    torch_ops,
)
from tinygrad_edu.check.strategies import PROGRAM_KINDS, op_cases, programs

#: Programs per op of the table: 8 in CI (248 programs), 100 with the thorough profile.
PROGRAMS_PER_OP = max(8, settings.default.max_examples // 5)
#: CI reports the first failing program as drawn (≤ 6 ops, printed as code): shrinking
#: it costs ~10 s per failing op. The thorough profile shrinks to a minimal program.
PHASES = tuple(settings.default.phases) if settings.get_current_profile_name() == "thorough" \
    else (Phase.explicit, Phase.reuse, Phase.generate)


def _report(program: Program, found) -> str:
    lines = [str(d) for d in found[:8]]
    return "unexplained disagreements:\n  " + "\n  ".join(lines) + \
        "\nreproduce with:\n" + program.source()


def _regions(program: Program) -> set[str]:
    """The conventions a program touches, from a float64 run of the HIPS reference."""
    leaves = [x if isinstance(x, float) else np.array(x, dtype=np.float64)
              for x in program.leaves]
    table = hips_ops(conventions=True)
    with np.errstate(all="ignore"):
        slots = run_program(program, leaves, lambda n, a, p: table[n](*a, **p))
    return active_conventions(program, slots)


@pytest.mark.parametrize("name", sorted(OPS))
def test_random_programs_agree_with_references(name):
    reached = set()

    @settings(max_examples=PROGRAMS_PER_OP, phases=PHASES)
    @given(programs(include=name))
    def check(program):
        reached.update(_regions(program))
        found = [d for d in compare_program(program) if not d.explained_by]
        assert not found, _report(program, found)

    check()
    # the programs must have reached this op's own hard points (a tie, a zero) too
    missed = OWN_REGIONS.get(name, set()) - reached
    assert not missed, f"{name}: no program reached {missed}"


#: The conventions each op's own programs must touch (its kink; pow's zero and
#: negative bases and zero exponents).
OWN_REGIONS = {name: {convention} for name, convention in KINK_CONVENTION.items()} | {
    "pow": {"pow_zero_exponent", "pow_zero_base", "pow_negative_base"}}


@pytest.mark.parametrize("name", sorted(OPS))
def test_single_ops_on_the_whole_domain(name):
    """One op at a time, inputs from anywhere: kinks, ties, zero and negative
    denominators and bases, huge magnitudes, ±inf and nan (``op_cases(region="whole")``);
    the drawn cases must reach the op's kink and its hard inputs."""
    op = OPS[name]
    reached = Counter()

    @settings(phases=PHASES)
    @given(op_cases(op, region="whole", dtype=np.float64)
           | op_cases(op, region="whole", dtype=np.float32))
    def check(case):
        program = case.program()
        reached.update(_regions(program))
        flat = np.concatenate([np.ravel(np.asarray(x, dtype=np.float64)) for x in case.inputs])
        with np.errstate(invalid="ignore"):
            reached.update(kind for kind, hit in (
                ("negative", np.any(flat < 0)), ("zero", np.any(flat == 0)),
                ("huge", np.any(np.isfinite(flat) & (np.abs(flat) >= 1e10))),
                ("nonfinite", not np.all(np.isfinite(flat)))) if hit)
        found = [d for d in compare_program(program) if not d.explained_by]
        assert not found, _report(program, found)

    check()
    wanted = {"negative", "zero", "huge", "nonfinite"} | OWN_REGIONS.get(name, set())
    assert wanted <= set(reached), f"{name}: never drew {wanted - set(reached)}; drew {reached}"


def test_every_op_has_a_reference_spelling():
    assert set(OPS) <= set(hips_ops(conventions=True))
    assert set(OPS) <= set(hips_ops(conventions=False))
    if torch_available():
        assert set(OPS) <= set(torch_ops())


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if not op.smooth))
def test_every_kink_has_a_documented_convention(name):
    assert KINK_CONVENTION[name] in CONVENTIONS


def test_every_op_kind_can_appear_in_a_program():
    assert {op.kind for op in OPS.values()} <= set(PROGRAM_KINDS)


def test_programs_reach_the_hard_regions():
    """The strategy must reach what it promises, or the test above proves little (each
    op's own kinks are checked there)."""
    regions = Counter()

    @settings(max_examples=150)
    @given(programs())
    def collect(program):
        regions.update(_regions(program))
        regions.update(kind for x in program.leaves for kind, hit in (
            ("huge", np.any(np.abs(np.asarray(x)[np.isfinite(x)]) >= 1e10)),
            ("float32", np.asarray(x).dtype == np.float32),
            ("scalar", isinstance(x, float))) if hit)

    collect()
    wanted = {"select_not_multiply", "nan_forward", "huge", "float32", "scalar"}
    assert wanted <= set(regions), f"never reached: {wanted - set(regions)}"


# ------------------------------------------------------------------------------------
# Programs the fuzzer found, pinned with their expected values (PyTorch's, which the
# convention table follows at these points; see docs/conventions.md).

def _grads(program: Program):
    leaves = [Value(x) for x in program.leaves]
    slots = run_program(program, leaves,
                        lambda name, args, params: OPS[name](*args, **params))
    return [np.asarray(g.data) for g in grad(slots[-1], leaves, grad_outputs=program.upstream)]


PINNED = {
    # relu(−104) = 0, log(0) = −inf: the mask 0 selects, 0 · inf is not nan (PyTorch: 0)
    "relu_then_log": (Program([np.array([-104.0, 4.0])], [Instruction("relu", (0,)),
                                                           Instruction("log", (1,))],
                              np.array([1.0, 1.0])), [np.array([0.0, 0.25])]),
    # where's unselected branch gets 0 even when the upstream is inf (PyTorch: 0)
    "where_then_sqrt_at_0": (Program([0.0, 0.0], [
        Instruction("where", (1, 0), {"cond": np.array(False)}),
        Instruction("sqrt", (2,))], 1.0), [np.array(math.inf), np.array(0.0)]),
    # x**0 is constant: gradient 0 at x = 0 (PyTorch: 0; the engine gives nan)
    "pow_zero_exponent_at_0": (Program([np.array([0.0, 2.0])],
                                       [Instruction("pow", (0, Const(0.0)))],
                                       np.array([1.0, 1.0])), [np.array([0.0, 0.0])]),
    # nan propagates through relu on the scalar path as on the tensor path (forward)
    "relu_of_nan_scalar": (Program([math.nan], [Instruction("relu", (0,))], 1.0), None),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_programs(name):
    program, expected = PINNED[name]
    if expected is None:  # a forward rule: compare every slot with the HIPS reference
        assert not compare_program(program, references=("hips",)), program.source()
        return
    for got, want in zip(_grads(program), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_rounding_sensitive_points_of_float32_programs_are_explained():
    """Two programs where the engine's float64 0-d results and the references' float32
    (or float64) roundings must give different numbers: tan of std ≈ 4.7e29 (one float32
    step spans a whole period) and a remainder past 2²⁴ of a value squared. Each
    disagreement is there, and each is explained by its convention, HIPS's included."""
    big = np.array([[[-1.2942224740982056], [-2.9017059803009033], [-1.0000000150474662e30]]],
                   dtype=np.float32)
    tan_of_std = Program([big], [Instruction("std", (0,), {"axis": None, "ddof": 0}),
                                 Instruction("tan", (1,))], 1.0)
    huge = np.array([[[-1e10]], [[-1e10]]], dtype=np.float32)
    remainder = Program([huge], [Instruction("square", (0,)),
                                 Instruction("logsumexp", (1,), {"axis": None}),
                                 Instruction("square", (2,)),
                                 Instruction("remainder", (3, 2))], 1.0)
    for program, convention in ((tan_of_std, "periodic_huge_argument"),
                                (remainder, "remainder_overflow")):
        found = compare_program(program, references=("hips",))
        assert found, program.source()  # the numbers do differ ...
        assert all(convention in d.explained_by for d in found), found  # ... for this reason
