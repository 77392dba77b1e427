"""Smoke tests for the benchmark harness: it runs and its JSON is well formed.

No test here looks at a time (times depend on the machine); they check only that W1
and W4 run at tiny sizes, that every system's summary is ordered min ≤ median ≤ max,
and that ``--json`` writes the documented keys.
"""

import json

import pytest

from tinygrad_edu import bench
from tinygrad_edu.bench import article2, graph, harness


@pytest.fixture()
def tiny(monkeypatch):
    """Shrink W1's sampling and W4's chain sizes so the smoke run takes a second."""
    real_compare = harness.compare

    def quick_compare(*args, **kwargs):
        kwargs.update(repeats=2, warmup=1, sample_seconds=0.001)
        return real_compare(*args, **kwargs)

    monkeypatch.setattr(article2, "compare", quick_compare)
    real_fwd_bwd, real_peak = graph._fwd_bwd, graph._peak_bytes
    monkeypatch.setattr(graph, "_fwd_bwd",
                        lambda n, collector=True: real_fwd_bwd(n // 1000, collector))
    monkeypatch.setattr(graph, "_peak_bytes", lambda n: real_peak(n // 1000))


def test_w1_and_w4_write_well_formed_json(tiny, tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench.main(["--only", "W1,W4", "--quick", "--json", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) == {"environment", "timings", "goals", "extra", "skipped"}
    assert doc["environment"]["python"]
    systems = {(t["workload"], t["system"]) for t in doc["timings"]}
    assert {("W1", "hand-numpy"), ("W1", "tinygrad_edu"), ("W4", "tinygrad_edu")} <= systems
    for t in doc["timings"]:
        assert 0 < t["min"] <= t["median"] <= t["max"]
    w1_ratio = [t["ratio"] for t in doc["timings"] if t["system"] == "hand-numpy"]
    assert w1_ratio == [1.0]  # the baseline's ratio to itself, by definition
    assert {g["workload"] for g in doc["goals"]} == {"W1", "W4"}
    assert all(g["met"] in (True, False, None) for g in doc["goals"])
    assert "goals:" in capsys.readouterr().out


def test_w1_systems_compute_the_same_loss():
    """Hand NumPy and tinygrad_edu (eager and traced) start from the article's weights.

    Oracle for the first loss: article II's first printed loss (issue 4), so the two
    timed systems cannot agree with each other on the wrong network.
    """
    hand, ours = article2.hand_numpy_step(), article2.tinygrad_step()
    traced = article2.tinygrad_step(traced=True)
    assert hand() == pytest.approx(0.34794838215653723, rel=1e-15)
    assert ours() == pytest.approx(0.34794838215653723, rel=1e-15)
    assert traced() == pytest.approx(0.34794838215653723, rel=1e-15)
    for _ in range(3):  # and stay together after updates (recorded, data replay, code replay)
        expected = hand()
        assert ours() == pytest.approx(expected, rel=1e-12)
        assert traced() == pytest.approx(expected, rel=1e-12)


def test_unknown_workload_is_an_error(capsys):
    assert bench.main(["--only", "W9"]) == 2
    assert "W9" in capsys.readouterr().err
