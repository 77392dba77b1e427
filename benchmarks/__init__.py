"""Entry points for the ratio benchmarks in a checkout (``make bench``).

The harness and workloads live in :mod:`tinygrad_edu.bench` (installed with the
package, so ``tinygrad-edu bench`` runs them too); see benchmarks/README.md.
"""
