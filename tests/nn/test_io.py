"""Tests for tinygrad_edu.io: save/load round trip, all-mismatches-at-once, bad files, atomic save.

Oracles: the round trip must reproduce the saved arrays bit for bit and the model's
outputs exactly; the error tests check the model's parameters against a copy taken
before the failed load; atomicity is checked by making the archive writer fail after
it has written part of its output.
"""

import os

import numpy as np
import pytest

from tinygrad_edu import Value, io, nn


def snapshot(model):
    return {name: np.array(p.data) for name, p in model.named_parameters()}


def assert_same(model, snap):
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, snap[name], err_msg=name)


def test_round_trip_reproduces_weights_and_outputs(tmp_path):
    model = nn.MLP([4, 5, 3], rng=0)
    path = tmp_path / "w.npz"
    assert io.save(model, path) == path
    other = nn.MLP([4, 5, 3], rng=1)
    assert io.load(other, path) is other
    assert_same(other, snapshot(model))
    x = np.random.default_rng(2).standard_normal((6, 4))
    np.testing.assert_array_equal(other(x).data, model(x).data)
    with np.load(path, allow_pickle=False) as archive:   # plain arrays, named by path
        assert sorted(archive.files) == ["net.0.bias", "net.0.weight", "net.2.bias",
                                         "net.2.weight"]


def test_round_trip_scalar_model_keeps_floats(tmp_path):
    model = nn.scalar.MLP(2, [3, 1], rng=0)
    io.save(model, tmp_path / "s.npz")
    other = nn.scalar.MLP(2, [3, 1], rng=5)
    io.load(other, tmp_path / "s.npz")
    assert all(type(p.data) is float for p in other.parameters())
    assert [p.data for p in other.parameters()] == [p.data for p in model.parameters()]


def test_loaded_arrays_are_not_shared_with_the_file_or_each_other(tmp_path):
    model = nn.Linear(2, 2, rng=0)
    io.save(model, tmp_path / "a.npz")
    one, two = nn.Linear(2, 2, rng=1), nn.Linear(2, 2, rng=2)
    io.load(one, tmp_path / "a.npz")
    io.load(two, tmp_path / "a.npz")
    one.weight.data += 1.0
    assert not np.array_equal(one.weight.data, two.weight.data)


def test_mismatch_reports_every_problem_and_changes_nothing(tmp_path):
    io.save(nn.MLP([4, 5, 3], rng=0), tmp_path / "w.npz")
    target = nn.Sequential(nn.Linear(4, 6, rng=0), nn.ReLU(), nn.Linear(6, 3, rng=1),
                           nn.Linear(3, 1, rng=2))
    before = snapshot(target)
    with pytest.raises(io.WeightsError) as info:
        io.load(target, tmp_path / "w.npz")
    message = str(info.value)
    # every missing name, unexpected name and shape problem in one message
    assert "(10 mismatches)" in message
    assert ("missing ['0.weight', '0.bias', '2.weight', '2.bias', '3.weight', '3.bias']"
            in message)
    assert "unexpected ['net.0.weight', 'net.0.bias', 'net.2.weight', 'net.2.bias']" in message
    assert_same(target, before)


def test_shape_mismatches_all_listed(tmp_path):
    io.save(nn.MLP([4, 5, 3], rng=0), tmp_path / "w.npz")
    target = nn.MLP([4, 6, 3], rng=1)
    before = snapshot(target)
    with pytest.raises(io.WeightsError, match="3 mismatches") as info:
        io.load(target, tmp_path / "w.npz")
    message = str(info.value)
    assert "net.0.weight: shape (4, 5) in the file, (4, 6) in the model" in message
    assert "net.0.bias: shape (5,) in the file, (6,) in the model" in message
    assert "net.2.weight: shape (5, 3) in the file, (6, 3) in the model" in message
    assert "net.2.bias" not in message          # (3,) in both: not a mismatch
    assert_same(target, before)


def test_truncated_file_is_a_clear_error_and_model_untouched(tmp_path):
    model = nn.MLP([8, 16, 4], rng=0)
    path = tmp_path / "w.npz"
    io.save(model, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 10):
        path.write_bytes(data[:cut])
        target = nn.MLP([8, 16, 4], rng=1)
        before = snapshot(target)
        with pytest.raises(io.WeightsError, match="not a readable .npz"):
            io.load(target, path)
        assert_same(target, before)


def test_foreign_files_are_clear_errors(tmp_path):
    model = nn.Linear(2, 2, rng=0)
    before = snapshot(model)
    text = tmp_path / "notes.txt"
    text.write_text("hello, these are not weights\n")
    with pytest.raises(io.WeightsError, match="not a readable"):
        io.load(model, text)
    single = tmp_path / "one.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(io.WeightsError, match="single array"):
        io.load(model, single)
    pickled = tmp_path / "obj.npz"
    np.savez(pickled, weight=np.array([object()], dtype=object), bias=np.zeros(2))
    with pytest.raises(io.WeightsError):          # allow_pickle=False refuses objects
        io.load(model, pickled)
    ints = tmp_path / "ints.npz"
    np.savez(ints, weight=np.zeros((2, 2), dtype=np.int64), bias=np.zeros(2))
    with pytest.raises(io.WeightsError, match="weight: dtype int64"):
        io.load(model, ints)
    with pytest.raises(FileNotFoundError, match="no such weights file"):
        io.load(model, tmp_path / "missing.npz")
    assert_same(model, before)


def test_save_is_atomic_when_writing_fails_midway(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    old = nn.Linear(3, 3, rng=0)
    io.save(old, path)
    original = path.read_bytes()
    real_write = io._write_npz

    def failing_write(file, arrays):
        real_write(file, arrays)         # part of the output really hits the disk
        file.write(b"half a member...")
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(io, "_write_npz", failing_write)
    with pytest.raises(OSError, match="simulated"):
        io.save(nn.Linear(3, 3, rng=1), path)
    assert path.read_bytes() == original          # the old file survives intact
    assert os.listdir(tmp_path) == ["w.npz"]      # and no temporary file is left
    fresh = nn.Linear(3, 3, rng=2)
    monkeypatch.undo()
    io.load(fresh, path)
    assert_same(fresh, snapshot(old))


def test_save_into_a_new_file_leaves_nothing_on_failure(tmp_path, monkeypatch):
    def failing_write(file, arrays):
        raise KeyboardInterrupt
    monkeypatch.setattr(io, "_write_npz", failing_write)
    with pytest.raises(KeyboardInterrupt):
        io.save(nn.Linear(2, 2, rng=0), tmp_path / "new.npz")
    assert os.listdir(tmp_path) == []


def test_saved_file_gets_the_permissions_of_an_ordinary_new_file(tmp_path):
    # oracle: a file created with open() in the same directory under the same umask
    # (the temporary file behind the atomic rename must not leave it owner-only)
    ordinary = tmp_path / "ordinary"
    ordinary.write_bytes(b"")
    io.save(nn.Linear(2, 2, rng=0), tmp_path / "w.npz")
    assert (tmp_path / "w.npz").stat().st_mode == ordinary.stat().st_mode


def test_overwriting_keeps_the_old_files_permissions(tmp_path):
    # oracle: the mode set on the existing file by chmod, as writing it in place would keep
    path = tmp_path / "w.npz"
    io.save(nn.Linear(2, 2, rng=0), path)
    os.chmod(path, 0o640)
    io.save(nn.Linear(2, 2, rng=1), path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_member_declaring_an_enormous_shape_is_a_weights_error(tmp_path):
    # A crafted archive: a valid .npy header for 10^15 float64s (8 PB), no data behind it.
    import zipfile

    header = {"descr": "<f8", "fortran_order": False, "shape": (10**15,)}
    path = tmp_path / "w.npz"
    with zipfile.ZipFile(path, "w") as archive, archive.open("weight.npy", "w") as member:
        np.lib.format.write_array_header_1_0(member, header)
    model = nn.Linear(2, 2, rng=0)
    before = snapshot(model)
    with pytest.raises(io.WeightsError, match="not a readable .npz"):
        io.load(model, path)
    assert_same(model, before)


def test_any_parameter_name_round_trips(tmp_path):
    # np.savez(file, **arrays) collides with its own ``file`` argument; names are data
    class Named(nn.Module):
        def __init__(self, value):
            self.file = Value(value)
            self.allow_pickle = Value(np.full(2, value))
    io.save(Named(1.5), tmp_path / "n.npz")
    other = io.load(Named(0.0), tmp_path / "n.npz")
    assert other.file.data == 1.5
    np.testing.assert_array_equal(other.allow_pickle.data, [1.5, 1.5])


def test_state_dict_and_load_state_dict_in_memory():
    model = nn.Linear(2, 3, rng=0)
    state = io.state_dict(model)
    state["weight"][:] = 0.0                       # a copy: the model is unaffected
    assert not np.all(model.weight.data == 0.0)
    io.load_state_dict(model, state)
    assert np.all(model.weight.data == 0.0)
    with pytest.raises(io.WeightsError, match="missing \\['bias'\\]"):
        io.load_state_dict(model, {"weight": np.zeros((2, 3))})


def test_works_for_any_object_with_named_parameters(tmp_path):
    class Bare(nn.Module):
        def __init__(self):
            self.k = Value(np.arange(3.0))
    a, b = Bare(), Bare()
    b.k.data[:] = -1
    io.save(a, tmp_path / "bare.npz")
    io.load(b, tmp_path / "bare.npz")
    np.testing.assert_array_equal(b.k.data, [0.0, 1.0, 2.0])
