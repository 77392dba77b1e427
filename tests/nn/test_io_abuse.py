"""tinygrad_edu.io under abuse (issue 12, items 1-6): protected files, killed saves'
leftovers, symlinks, zip bombs and lying archives, FIFOs, and which path errors name.

Oracles: the rules in io's module docstring, which is the spec here; for "could the user
write it", what the kernel lets a process running as ``nobody`` do; for links, what
``open(path, "w")`` does; bytes on disk compared with a copy taken before; and for memory,
tracemalloc (numpy reports its array buffers to it). The full-size versions (50 kills,
a 1 GiB bomb) are in scripts/abuse_weights.py.
"""

import contextlib
import errno
import os
import re
import runpy
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from test_io import assert_same, snapshot

from tinygrad_edu import Value, io, nn

# a forked child that runs as nobody: the full-size script's helper
as_nobody = runpy.run_path(str(Path(__file__).parents[2] / "scripts" / "abuse_weights.py"))[
    "as_nobody"]
LEFTOVER = re.compile(r"\.w\.npz\.(\d+)-[0-9a-f]{32}\.tmp")


def linear(seed=0):
    return nn.Linear(2, 2, rng=seed)


def hidden_files(directory):
    return sorted(p.name for p in Path(directory).iterdir() if p.name.startswith("."))


# ------------------------------------------------------------ 1. protected files

def test_a_read_only_file_is_kept_unless_overwrite_protected(tmp_path):
    # Spec: a file with no write bit is protected even from root (the tests run as root,
    # where os.access alone would say yes).
    path = tmp_path / "w.npz"
    io.save(linear(0), path)
    os.chmod(path, 0o444)
    before = path.read_bytes()
    with pytest.raises(PermissionError, match="overwrite_protected=True") as info:
        io.save(linear(1), path)
    assert info.value.filename == str(path) and "0o444" in str(info.value)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.npz"]
    assert io.save(linear(1), path, overwrite_protected=True) == path
    assert_same(io.load(linear(2), path), snapshot(linear(1)))
    assert stat.S_IMODE(path.stat().st_mode) == 0o444          # still protected


@contextlib.contextmanager
def shared_directory():
    """A directory anyone may create and rename files in, reachable by ``nobody``
    (pytest's tmp_path lives under a directory only root may enter)."""
    directory = Path(tempfile.mkdtemp(prefix="tinygrad-edu-io-"))
    os.chmod(directory, 0o777)
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


needs_root = pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0,
                                reason="needs root to run a save as 'nobody'")


@needs_root
def test_a_file_the_user_could_not_write_is_kept():
    # Oracle: the kernel. nobody cannot open root's 0644 file for writing, although
    # the directory lets nobody rename over it (what an unchecked os.replace would do).
    with shared_directory() as directory:
        roots = directory / "roots.npz"
        io.save(linear(0), roots)
        os.chmod(roots, 0o644)
        before = roots.read_bytes()
        assert as_nobody(lambda: open(roots, "r+b")).startswith("PermissionError")
        outcome = as_nobody(lambda: io.save(linear(1), roots))
        assert outcome.startswith("PermissionError") and str(roots) in outcome
        assert "a file this user may not write (mode 0o644, owner uid 0)" in outcome
        assert "overwrite_protected=True" in outcome
        assert roots.read_bytes() == before

        own = directory / "own.npz"                # nobody's own files: 0644 is replaced,
        assert as_nobody(lambda: io.save(linear(0), own)) == str(own)
        assert as_nobody(lambda: io.save(linear(1), own)) == str(own)
        os.chmod(own, 0o444)                       # and 0444 is not
        before = own.read_bytes()
        outcome = as_nobody(lambda: io.save(linear(2), own))
        assert outcome.startswith("PermissionError") and "write-protected file" in outcome
        assert own.read_bytes() == before
        assert as_nobody(lambda: io.save(linear(2), own, overwrite_protected=True)) == str(own)
        assert_same(io.load(linear(5), own), snapshot(linear(2)))
        assert sorted(os.listdir(directory)) == ["own.npz", "roots.npz"]


# ------------------------------------------------------------ 2. killed saves' leftovers

# A save that stops midway: it writes the start of an archive, says so, and waits for
# the SIGKILL. (The real writer would finish too fast to be killed at a known point.)
STALLED_SAVE = """
import sys, time
from tinygrad_edu import io, nn

def stalled_write(file, arrays):
    file.write(b"PK\\x03\\x04 the first bytes of an archive")
    file.flush()
    print("writing", flush=True)
    time.sleep(60)

io._write_npz = stalled_write
io.save(nn.Linear(2, 2, rng=7), sys.argv[1])
"""


def start_stalled_save(path):
    child = subprocess.Popen([sys.executable, "-c", STALLED_SAVE, str(path)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing"
    return child


def kill(child):
    child.send_signal(signal.SIGKILL)
    child.wait()                     # reaped: a zombie would still answer os.kill(pid, 0)
    child.stdout.close()


def test_leftovers_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "w.npz"
    io.save(linear(0), path)
    for _ in range(3):
        child = start_stalled_save(path)
        kill(child)
        # the kill leaves exactly its own file; the earlier ones went with this child's save
        left = hidden_files(tmp_path)
        assert len(left) == 1 and LEFTOVER.fullmatch(left[0])[1] == str(child.pid)
        assert_same(io.load(linear(1), path), snapshot(linear(0)))   # the old file
    io.save(linear(3), path)
    assert os.listdir(tmp_path) == ["w.npz"]
    assert_same(io.load(linear(1), path), snapshot(linear(3)))


def test_a_live_saves_temporary_file_is_kept(tmp_path):
    path = tmp_path / "w.npz"
    child = start_stalled_save(path)
    try:
        io.save(linear(0), path)                      # runs while the other save writes
        assert len(hidden_files(tmp_path)) == 1
    finally:
        kill(child)
    io.save(linear(0), path)
    assert os.listdir(tmp_path) == ["w.npz"]


def dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_files_named_like_our_leftovers_are_removed(tmp_path):
    # Spec: removed only if named .NAME.PID-<32 hex>.tmp for this destination, a regular
    # file, older than the running save, its process gone; files without a PID (older
    # versions of save) only after a minute untouched.
    pid, hexid, past = dead_pid(), "0123456789abcdef" * 2, time.time() - 120
    removed = [f".w.npz.{pid}-{hexid}.tmp", f".w.npz.{hexid}.tmp"]
    kept = [f".w.npz.{os.getpid()}-{hexid}.tmp",     # a live process: this one
            f".w.npz.{pid}-{hexid.upper()}.tmp", f".w.npz.{pid}-{hexid}.tmp.bak",
            f"w.npz.{pid}-{hexid}.tmp", ".w.npz.notes.tmp", f".other.npz.{pid}-{hexid}.tmp",
            f".w.npz.x.{pid}-{hexid}.tmp", f".w.npz.{pid}-{hexid[:-1]}.tmp"]
    for name in removed + kept:
        (tmp_path / name).write_bytes(b"partial")
        os.utime(tmp_path / name, (past, past))
    newer, fresh_legacy = f".w.npz.{pid}-{'f' * 32}.tmp", f".w.npz.{'e' * 32}.tmp"
    (tmp_path / newer).write_bytes(b"written after the save began")
    os.utime(tmp_path / newer, (time.time() + 60, time.time() + 60))
    (tmp_path / fresh_legacy).write_bytes(b"written a moment ago")
    (tmp_path / f".w.npz.{pid}-{'d' * 32}.tmp").mkdir()
    outside = tmp_path / "outside"
    outside.write_bytes(b"a link's target")
    (tmp_path / f".w.npz.{pid}-{'c' * 32}.tmp").symlink_to(outside)
    io.save(linear(0), tmp_path / "w.npz")
    left = set(os.listdir(tmp_path))
    assert not left & set(removed)
    assert left == set(kept) | {newer, fresh_legacy, f".w.npz.{pid}-{'d' * 32}.tmp",
                                f".w.npz.{pid}-{'c' * 32}.tmp", "outside", "w.npz"}
    assert outside.read_bytes() == b"a link's target"


# ------------------------------------------------------------ 3. symlinks

def test_saving_to_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    target, link = tmp_path / "real" / "w.npz", tmp_path / "link.npz"
    io.save(linear(0), target)
    link.symlink_to(Path("real") / "w.npz")               # relative, as ln -s makes them
    chain = tmp_path / "chain.npz"
    chain.symlink_to(link.name)
    assert io.save(linear(1), link) == link
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "w.npz")
    assert_same(io.load(linear(2), target), snapshot(linear(1)))
    io.save(linear(3), chain)                             # through two links
    assert chain.is_symlink() and link.is_symlink()
    assert_same(io.load(linear(2), target), snapshot(linear(3)))
    assert hidden_files(tmp_path) == [] and hidden_files(tmp_path / "real") == []


def test_a_dangling_symlink_gets_its_target_created_as_open_would(tmp_path):
    link, target = tmp_path / "link.npz", tmp_path / "made.npz"
    link.symlink_to(target.name)
    with open(link, "wb"):                               # the oracle: open() creates it
        pass
    assert target.exists() and link.is_symlink()
    target.unlink()
    io.save(linear(1), link)
    assert link.is_symlink() and target.is_file()
    assert_same(io.load(linear(2), target), snapshot(linear(1)))
    nowhere = tmp_path / "to-nowhere.npz"                # target in a missing directory
    nowhere.symlink_to(tmp_path / "missing" / "w.npz")
    with pytest.raises(FileNotFoundError) as info:
        io.save(linear(1), nowhere)
    assert info.value.filename == str(nowhere) and nowhere.is_symlink()


def test_symlink_loops_and_links_to_protected_files_are_refused(tmp_path):
    (tmp_path / "a.npz").symlink_to("b.npz")
    (tmp_path / "b.npz").symlink_to("a.npz")
    with pytest.raises(OSError) as info:
        io.save(linear(0), tmp_path / "a.npz")
    assert info.value.errno == errno.ELOOP and info.value.filename == str(tmp_path / "a.npz")
    target, link = tmp_path / "w.npz", tmp_path / "link.npz"
    io.save(linear(0), target)
    os.chmod(target, 0o444)
    link.symlink_to(target.name)
    before = target.read_bytes()
    with pytest.raises(PermissionError, match="target of a link"):
        io.save(linear(1), link)
    assert target.read_bytes() == before and link.is_symlink()


# ------------------------------------------------------------ 4. bounded loads

def write_archive(path, members, compression=zipfile.ZIP_DEFLATED):
    """An archive of ``members``: name -> ndarray, or (``.npy`` header dict, number of
    zero bytes after it), written in 1 MiB steps so that building a bomb stays small."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, content in members.items():
            with archive.open(name, "w", force_zip64=True) as member:
                if isinstance(content, np.ndarray):
                    np.lib.format.write_array(member, content)
                    continue
                header, zeros = content
                np.lib.format.write_array_header_1_0(member, header)
                for start in range(0, zeros, 1 << 20):
                    member.write(bytes(min(1 << 20, zeros - start)))
    return path


GOOD = {"weight.npy": np.full((2, 2), 0.5), "bias.npy": np.full(2, -0.5)}
MIB_64 = 64 << 20
F8 = {"descr": "<f8", "fortran_order": False}


@contextlib.contextmanager
def measured():
    """Seconds and peak traced bytes of the block (numpy's buffers included)."""
    result = {}
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["seconds"] = time.perf_counter() - start
        result["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def refused_quickly(path, match):
    model = linear(0)
    before = snapshot(model)
    with measured() as cost, pytest.raises(io.WeightsError, match=match):
        io.load(model, path)
    assert_same(model, before)
    assert cost["seconds"] < 0.5 and cost["peak"] < 4 << 20, cost
    return cost


def test_an_extra_member_inflating_to_64_mib_is_never_opened(tmp_path):
    path = write_archive(tmp_path / "bomb.npz",
                         {**GOOD, "extra.npy": ({"descr": "|u1", "fortran_order": False,
                                                 "shape": (MIB_64,)}, MIB_64)})
    assert path.stat().st_size < 1 << 20
    refused_quickly(path, r"does not match the model \(1 mismatch\): unexpected \['extra'\]")


def test_a_parameters_member_declaring_64_mib_is_refused_from_its_header(tmp_path):
    # the header is honest: the shape is wrong for the model, listed like any mismatch
    path = write_archive(tmp_path / "bomb.npz",
                         {"weight.npy": ({**F8, "shape": (MIB_64 // 8,)}, MIB_64),
                          "bias.npy": GOOD["bias.npy"]})
    refused_quickly(path, r"weight: shape \(8388608,\) in the file, \(2, 2\) in the model")


def test_a_member_longer_than_its_header_says_is_refused_before_its_data(tmp_path):
    # header (2, 2) float64 = 32 bytes of data; 64 MiB follow
    path = write_archive(tmp_path / "bomb.npz",
                         {"weight.npy": ({**F8, "shape": (2, 2)}, MIB_64),
                          "bias.npy": GOOD["bias.npy"]})
    refused_quickly(path, r"not a readable .npz .*weight.npy holds 67,108,9\d\d bytes but "
                          r"its header describes")


def understate_size(path, member, size):
    """Make the zip directory (and local header) claim ``member`` inflates to ``size``."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(member).header_offset
    struct.pack_into("<I", data, offset + 22, size)              # local header
    entry = data.find(b"PK\x01\x02")
    while data[entry + 46:entry + 46 + len(member)] != member.encode():
        entry = data.find(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 24, size)               # central directory
    path.write_bytes(bytes(data))


def test_a_member_that_inflates_past_its_declared_size_stops_there(tmp_path):
    path = tmp_path / "bomb.npz"
    header = np.lib.format.header_data_from_array_1_0(np.zeros((2, 2)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:   # no zip64 fields
        member = archive.open("weight.npy", "w")
        np.lib.format.write_array_header_1_0(member, header)
        member.write(bytes(MIB_64))
        member.close()
        archive.writestr("bias.npy", b"")
    understate_size(path, "weight.npy", 128 + 32)       # a header and 4 float64s
    refused_quickly(path, r"not a readable .npz .*Bad CRC-32")


@pytest.mark.parametrize("name", ["../weight.npy", "sub/weight.npy", "weight", "dir/",
                                  "we\night.npy", ".npy", "C:\\weight.npy"])
def test_odd_member_names_are_refused(tmp_path, name):
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for member, array in GOOD.items():
            archive.writestr(member, _npy_bytes(array))
        archive.writestr(name, _npy_bytes(np.zeros(2)))
    refused_quickly(path, "not a readable .npz weights file \\(member " + re.escape(repr(name)))


def _npy_bytes(array):
    from io import BytesIO
    buffer = BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def test_duplicate_encrypted_and_bzip2_members_are_refused(tmp_path):
    duplicate = tmp_path / "duplicate.npz"
    with pytest.warns(UserWarning, match="Duplicate name"), \
            zipfile.ZipFile(duplicate, "w") as archive:
        for member, array in [*GOOD.items(), ("weight.npy", np.zeros((2, 2)))]:
            archive.writestr(member, _npy_bytes(array))
    refused_quickly(duplicate, "'weight.npy' appears twice")
    bzip2 = write_archive(tmp_path / "bzip2.npz", GOOD, zipfile.ZIP_BZIP2)
    refused_quickly(bzip2, "compression method 12")
    encrypted = write_archive(tmp_path / "encrypted.npz", GOOD, zipfile.ZIP_STORED)
    data = bytearray(encrypted.read_bytes())
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for match in re.finditer(re.escape(signature), bytes(data)):
            data[match.start() + flags] |= 0x1                    # the "encrypted" bit
    encrypted.write_bytes(bytes(data))
    refused_quickly(encrypted, "is encrypted")


def test_a_directory_bigger_than_the_model_can_need_is_not_read(tmp_path):
    path = tmp_path / "directory.npz"
    with zipfile.ZipFile(path, "w") as archive:       # 1,000 names of 1,000 characters
        for i in range(1000):
            archive.writestr(f"{i:0>996}.npy", b"")
    refused_quickly(path, "reading it takes more than [0-9,]+ bytes")
    many = tmp_path / "many.npz"
    with zipfile.ZipFile(many, "w") as archive:        # fewer: listed, 20 at most
        for i in range(30):
            archive.writestr(f"extra{i}.npy", b"")
    refused_quickly(many, r"unexpected \['extra0', .*'extra19'\] and 10 more")


def test_what_numpy_writes_still_loads(tmp_path):
    # Oracle: the arrays handed to np.savez / np.savez_compressed, converted to the
    # model's float64 (every value here is exact in float32 and float16 too).
    weight = np.asfortranarray(np.arange(4.0).reshape(2, 2))
    bias = np.array([1.5, -2.25])
    for saver, dtypes in ((np.savez, (">f4", "<f2")), (np.savez_compressed, ("<f8", ">f8"))):
        path = tmp_path / f"{saver.__name__}.npz"
        saver(path, weight=weight.astype(dtypes[0]), bias=bias.astype(dtypes[1]))
        model = io.load(linear(0), path)
        np.testing.assert_array_equal(model.weight.data, weight)
        np.testing.assert_array_equal(model.bias.data, bias)
        assert model.weight.data.dtype == np.float64
    version_2 = tmp_path / "v2.npz"
    with zipfile.ZipFile(version_2, "w") as archive:
        for name, array in (("weight", weight), ("bias", bias)):
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, array, version=(2, 0))
    np.testing.assert_array_equal(io.load(linear(0), version_2).weight.data, weight)


def test_empty_parameters_round_trip(tmp_path):
    class Empty(nn.Module):
        def __init__(self):
            self.none = Value(np.zeros((0, 3)))
            self.one = Value(np.ones(1))
    io.save(Empty(), tmp_path / "e.npz")
    loaded = io.load(Empty(), tmp_path / "e.npz")
    assert loaded.none.data.shape == (0, 3) and loaded.one.data.tolist() == [1.0]


# ------------------------------------------------------------ 5. not a regular file

@contextlib.contextmanager
def deadline(seconds):
    """Raise TimeoutError in the block after ``seconds`` (a blocked open() included)."""
    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_load_refuses_a_fifo_a_directory_and_a_device_at_once(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    model = linear(0)
    before = snapshot(model)
    start = time.perf_counter()
    with deadline(2.0), pytest.raises(io.WeightsError, match=r"is a FIFO \(named pipe\)"):
        io.load(model, fifo)
    assert time.perf_counter() - start < 0.5
    with pytest.raises(io.WeightsError, match="is a directory, not a weights file"):
        io.load(model, tmp_path)
    if os.path.exists("/dev/null"):
        with deadline(2.0), pytest.raises(io.WeightsError, match="is a character device"):
            io.load(model, "/dev/null")
    assert_same(model, before)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_save_never_replaces_a_fifo_or_a_directory(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(FileExistsError, match="will not replace a FIFO") as info:
        io.save(linear(0), fifo)
    assert info.value.filename == str(fifo) and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="will not replace a directory"):
        io.save(linear(0), tmp_path / "dir.npz")
    assert sorted(os.listdir(tmp_path)) == ["dir.npz", "pipe.npz"]


# ------------------------------------------------------------ 6. errors name your path

def assert_names_destination(error, path):
    assert error.filename == str(path)
    assert str(path) in str(error) and ".tmp" not in str(error)


def test_errors_name_the_destination_not_the_temporary_file(tmp_path, monkeypatch):
    missing = tmp_path / "nodir" / "w.npz"
    with pytest.raises(FileNotFoundError) as info:
        io.save(linear(0), missing)
    assert_names_destination(info.value, missing)
    (tmp_path / "file").write_bytes(b"")
    under_a_file = tmp_path / "file" / "w.npz"
    with pytest.raises(NotADirectoryError) as info:
        io.save(linear(0), under_a_file)
    assert_names_destination(info.value, under_a_file)

    def full_disk(file, arrays):                   # the kernel names the file it wrote
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), file.name)
    monkeypatch.setattr(io, "_write_npz", full_disk)
    with pytest.raises(OSError) as info:
        io.save(linear(0), tmp_path / "w.npz")
    assert info.value.errno == errno.ENOSPC and "No space left" in str(info.value)
    assert_names_destination(info.value, tmp_path / "w.npz")
    assert sorted(os.listdir(tmp_path)) == ["file"]


@needs_root
def test_a_read_only_directory_error_names_the_destination():
    with shared_directory() as directory:
        readonly = directory / "readonly"
        readonly.mkdir(mode=0o555)
        outcome = as_nobody(lambda: io.save(linear(0), readonly / "w.npz"))
        assert outcome.startswith("PermissionError")
        assert str(readonly / "w.npz") in outcome and ".tmp" not in outcome
        assert os.listdir(readonly) == []
