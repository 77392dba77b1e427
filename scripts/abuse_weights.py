"""Abuse ``tinygrad_edu.io`` at full size and print what happened, one finding a line.

Run from the checkout::

    .venv/bin/python scripts/abuse_weights.py                # 50 kills, a 1 GiB bomb
    .venv/bin/python scripts/abuse_weights.py --kills 5 --bomb-mib 64   # a quick look

To measure another version of the package (say main before a change), put its tree
first on the path: ``git archive main tinygrad_edu | tar -x -C /tmp/before`` and
``PYTHONPATH=/tmp/before .venv/bin/python scripts/abuse_weights.py``.

What it does (tests/nn/test_io_abuse.py checks the same rules in small versions):

* **kills** -- a child saves a ``Linear(n, n)`` in a loop and is SIGKILLed at a random
  moment, ``--kills`` times; after every kill the destination must load; at the end one
  clean save runs and the hidden temporary files still next to it are counted.
* **bombs** -- a ~1 MB ``.npz`` holding the right weights plus a member that inflates to
  ``--bomb-mib``; loaded in a child, which reports time and peak RSS. Two kinds: an
  extra member, and the bomb under a parameter's own name.
* **protected** (as root: the child runs as ``nobody``) -- a 0444 file of one's own,
  and another user's 0644 file in a directory everyone may write: is it replaced?
* **links, FIFO, error names** -- a save through a symlink and a dangling one, a load
  from a FIFO (killed after 5 s if it blocks), and the messages of saves into a missing
  and a read-only directory.

Every check runs in a child process, so kills, memory peaks and hangs stay out of this one.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

SAVE_LOOP = """
import sys
from tinygrad_edu import io, nn
model = nn.Linear(int(sys.argv[2]), int(sys.argv[2]), rng=0)
print("ready", flush=True)
step = 0
while True:                       # every save differs, so old and new files are told apart
    model.bias.data[:] = step
    io.save(model, sys.argv[1])
    step += 1
"""

# Peak RSS from /proc/self/status's VmHWM: ru_maxrss would carry the parent's peak over exec.
MEASURED_LOAD = """
import json, sys, time
from tinygrad_edu import io, nn

def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))

model = nn.Linear(2, 2, rng=0)
before = peak_kib()
start = time.perf_counter()
try:
    io.load(model, sys.argv[1])
    outcome = "loaded"
except Exception as error:
    outcome = f"{type(error).__name__}: {error}"
seconds = time.perf_counter() - start
peak = peak_kib()
print(json.dumps({"seconds": seconds, "rss_growth_kib": peak - before, "peak_kib": peak,
                  "outcome": outcome}))
"""

SAVE_AND_REPORT = """
import sys
from tinygrad_edu import io, nn
try:
    io.save(nn.Linear(2, 2, rng=int(sys.argv[2])), sys.argv[1])
    print("saved")
except Exception as error:
    print(f"{type(error).__name__}: {error}")
"""


def as_nobody(action: Callable[[], object]) -> str:
    """Run ``action()`` in a forked child running as ``nobody`` (no groups): what it
    returned, as text, or ``ExceptionType: message`` if it raised.

    A fork, not a new interpreter: ``nobody`` may not be able to reach the venv's python.
    (tests/nn/test_io_abuse.py uses this too.)
    """
    entry = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # the child: never returns
        outcome = "the child failed before running the action"
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            outcome = str(action())
        except BaseException as error:
            outcome = f"{type(error).__name__}: {error}"
        finally:
            os.write(write_end, outcome.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(pid, 0)
    return outcome


def save_as_nobody(path: Path, seed: int) -> str:
    """Save a ``Linear(2, 2)`` to ``path`` as ``nobody``: "saved" or the error."""
    from tinygrad_edu import io, nn

    outcome = as_nobody(lambda: io.save(nn.Linear(2, 2, rng=seed), path))
    return "saved" if outcome == str(path) else outcome


SCRATCH: list[Path] = []
# Children start in "/": `python -c` puts its working directory first on sys.path, and a
# checkout there would shadow the package named by PYTHONPATH.
CHILD_CWD = "/"


def scratch(prefix: str) -> Path:
    """A new directory under the system's temp dir, removed when the script ends; 0755 so
    a child running as ``nobody`` can reach what is inside."""
    directory = Path(tempfile.mkdtemp(prefix=f"abuse-{prefix}-"))
    os.chmod(directory, 0o755)
    SCRATCH.append(directory)
    return directory


def run_child(code: str, *args: str, timeout: float = 600) -> str:
    """Run ``code`` in a fresh interpreter; its stdout, stripped."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, timeout=timeout, check=False, cwd=CHILD_CWD)
    if done.returncode != 0:
        raise RuntimeError(f"child failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout.strip()


def leftovers(directory: Path, name: str) -> list[Path]:
    """Hidden temporary files of saves to ``name`` (any version's naming)."""
    return [p for p in directory.iterdir()
            if p.name.startswith(f".{name}.") and p.name.endswith(".tmp")]


def kill_saves(kills: int, n: int, seed: int) -> None:
    from tinygrad_edu import io, nn

    rng = random.Random(seed)
    directory = scratch("kills")
    dest = directory / "w.npz"
    seen: set[Path] = set()
    midway, unreadable, most = 0, 0, 0
    for _ in range(kills):
        child = subprocess.Popen([sys.executable, "-c", SAVE_LOOP, str(dest), str(n)],
                                 stdout=subprocess.PIPE, text=True, cwd=CHILD_CWD)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        left = leftovers(directory, dest.name)
        midway += bool(set(left) - seen)
        seen.update(left)
        most = max(most, len(left))
        if dest.exists():
            try:
                io.load(nn.Linear(n, n, rng=1), dest)
            except Exception:
                unreadable += 1
    size_mb = dest.stat().st_size / 1e6 if dest.exists() else 0.0
    run_child(SAVE_AND_REPORT.replace("Linear(2, 2", f"Linear({n}, {n}"), str(dest), "0")
    left = leftovers(directory, dest.name)
    print(f"kills: {kills} SIGKILLs of a {size_mb:.0f} MB save loop; {midway} left a new "
          f"temporary file; most temporary files at once: {most}; destination unloadable "
          f"after a kill: {unreadable} times")
    print(f"kills: after one more clean save, {len(left)} temporary files left behind, "
          f"{sum(p.stat().st_size for p in left) / 1e6:.0f} MB")


def write_bomb(path: Path, mib: int, under: str) -> None:
    """Valid ``Linear(2, 2)`` weights plus ``mib`` MiB of zeros, deflated, in member ``under``.

    ``under="extra"`` adds a member the model has no parameter for; ``under="weight"``
    puts the zeros under the weight's own name, with a header that says so.
    """
    arrays = {"weight": np.zeros((2, 2)), "bias": np.zeros(2)}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            if name != under:
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, array)
        with archive.open(f"{under}.npy", "w", force_zip64=True) as member:
            header = {"descr": "<f8", "fortran_order": False, "shape": (mib << 17,)}
            np.lib.format.write_array_header_1_0(member, header)
            chunk = bytes(1 << 20)
            for _ in range(mib):
                member.write(chunk)


def bombs(mib: int) -> None:
    directory = scratch("bomb")
    for under in ("extra", "weight"):
        path = directory / f"bomb-{under}.npz"
        write_bomb(path, mib, under)
        report = json.loads(run_child(MEASURED_LOAD, str(path)))
        print(f"bomb ({under} member): a {path.stat().st_size / 1e6:.1f} MB file inflating "
              f"to {mib} MiB: {report['seconds']:.3f} s, peak RSS {report['peak_kib'] / 1024:.0f}"
              f" MiB (+{report['rss_growth_kib'] / 1024:.0f} MiB during load); "
              f"{report['outcome'][:110]}")
        path.unlink()


def protected() -> None:
    if os.geteuid() != 0:
        print("protected: skipped (run as root; the child then runs as 'nobody')")
        return
    directory = scratch("protected")
    os.chmod(directory, 0o777)             # anyone may create and rename files here
    own = directory / "own.npz"
    save_as_nobody(own, 0)
    os.chmod(own, 0o444)
    before = own.read_bytes()
    outcome = save_as_nobody(own, 1)
    print(f"protected: nobody's own 0444 file: replaced={own.read_bytes() != before}; "
          f"{outcome[:120]}")
    theirs = directory / "roots.npz"
    run_child(SAVE_AND_REPORT, str(theirs), "0")
    os.chmod(theirs, 0o644)
    before = theirs.read_bytes()
    outcome = save_as_nobody(theirs, 1)
    print(f"protected: root's 0644 file, saved by nobody: replaced="
          f"{theirs.read_bytes() != before}; {outcome[:120]}")


def links() -> None:
    directory = scratch("links")
    target, link = directory / "target.npz", directory / "link.npz"
    run_child(SAVE_AND_REPORT, str(target), "0")
    before = target.read_bytes()
    link.symlink_to(target.name)
    run_child(SAVE_AND_REPORT, str(link), "1")
    print(f"links: save through a symlink: link still a link={link.is_symlink()}, "
          f"target updated={target.read_bytes() != before}")
    dangling, missing = directory / "dangling.npz", directory / "made-by-save.npz"
    dangling.symlink_to(missing.name)
    outcome = run_child(SAVE_AND_REPORT, str(dangling), "1")
    print(f"links: save through a dangling symlink: link still a link={dangling.is_symlink()}"
          f", target created={missing.exists()}; {outcome[:80]}")


def fifo() -> None:
    path = scratch("fifo") / "pipe.npz"
    os.mkfifo(path)
    start = time.perf_counter()
    try:
        outcome = json.loads(run_child(MEASURED_LOAD, str(path), timeout=5))["outcome"]
    except subprocess.TimeoutExpired:
        outcome = "still blocked, killed"
    print(f"fifo: load from a FIFO: {time.perf_counter() - start:.2f} s; {outcome[:100]}")


def error_names() -> None:
    directory = scratch("names")
    missing = directory / "nodir" / "w.npz"
    outcome = run_child(SAVE_AND_REPORT, str(missing), "0")
    print(f"names: save into a missing directory: names the temporary file="
          f"{'.tmp' in outcome}; {outcome[:140]}")
    if os.geteuid() == 0:
        readonly = directory / "readonly"
        readonly.mkdir(mode=0o555)
        outcome = save_as_nobody(readonly / "w.npz", 0)
        print(f"names: save into a read-only directory (as nobody): names the temporary "
              f"file={'.tmp' in outcome}; {outcome[:140]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--size", type=int, default=2000,
                        help="the saved model is Linear(size, size): 2000 gives 32 MB")
    parser.add_argument("--bomb-mib", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="kills,bombs,protected,links,fifo,names",
                        help="which checks to run, comma-separated")
    args = parser.parse_args(argv)
    checks = {"kills": lambda: kill_saves(args.kills, args.size, args.seed),
              "bombs": lambda: bombs(args.bomb_mib), "protected": protected, "links": links,
              "fifo": fifo, "names": error_names}
    import tinygrad_edu

    print(f"tinygrad_edu from {Path(tinygrad_edu.__file__).parent}")
    try:
        for name in args.only.split(","):
            checks[name]()
    finally:
        for directory in SCRATCH:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
