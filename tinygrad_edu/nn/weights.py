"""Weights on disk: ``save(model, path)`` and ``load(model, path)`` as ``.npz``.

The file holds one array per parameter, keyed by the dotted name from
``Module.named_parameters()``, and one per buffer (``Module.named_buffers()``: BatchNorm's
running statistics). Nothing is pickled: arrays are read from their ``.npy``
headers and raw bytes, and an object array is refused, so loading a file can never
execute code.

What ``load`` promises:

* **All-or-nothing.** Every name, shape and dtype is checked before any parameter
  changes; all mismatches are reported together in one :class:`WeightsError`. A
  truncated, corrupt or foreign file gives a ``WeightsError`` too, and the model is
  untouched.
* **Checked before it is read, and bounded by the model.** Names come from the zip
  directory and shapes, dtypes and sizes from each member's ``.npy`` header (its first
  few KB) before any array data is read; a member whose size disagrees with its header
  is refused, and a member the model has no parameter for is never opened. The whole
  load reads at most a budget computed from the model's parameters, so a small file that
  inflates to gigabytes fails at once, in little memory.
* **Regular files only.** A FIFO, directory or device is refused before it is read
  (a FIFO would otherwise block forever).

What ``save`` promises:

* **Atomic.** The archive is written to a hidden temporary file in the destination's
  directory, ``.NAME.PID-UUID.tmp``, flushed to disk, then renamed over the destination
  with ``os.replace``: the destination is always the old file or the new one. Any error
  removes the temporary file. A save killed outright (SIGKILL, power loss) cannot, so
  the next save to the same destination removes such leftovers: files with exactly
  that name pattern, older than the running save, whose process is gone. (The PID
  keeps a concurrent save's file safe; on a directory shared between machines a PID
  says nothing, so run saves to one destination from one machine.)
* **Protected files stay.** An existing destination the caller could not write
  (``os.access`` says no, or the file has no write bit at all, e.g. ``chmod 444``,
  which protects it even from root) is not replaced unless ``overwrite_protected=True``.
  Only a regular file is ever replaced.
* **Links are followed.** Saving to a symlink replaces its target (atomically, in the
  target's directory) and the link stays a link; a dangling link creates its target,
  as ``open(path, "w")`` would.
* **Errors name your path**, never the temporary file.

Imports: ``value`` only (a model is anything with ``named_parameters()``).
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import stat
import time
import uuid
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

__all__ = ["save", "load", "state_dict", "load_state_dict", "WeightsError"]


class WeightsError(ValueError):
    """Weights could not be loaded: a bad file, or names/shapes that do not match."""


def _entries(model: Any) -> dict[str, Any]:
    """What a weights file holds, by dotted name: each parameter (a Value) and each
    buffer (an ndarray, when the model has ``named_buffers``, as Modules do)."""
    entries = dict(model.named_parameters())
    for name, buffer in getattr(model, "named_buffers", lambda: ())():
        if name in entries:
            raise WeightsError(f"save/load: {name!r} names both a parameter and a buffer")
        entries[name] = buffer
    return entries


def _value(entry: Any) -> Any:
    """An entry's numbers: a buffer is its own array, a parameter holds them in .data."""
    return entry if isinstance(entry, np.ndarray) else entry.data


def state_dict(model: Any) -> dict[str, np.ndarray]:
    """A copy of every parameter and buffer as an ndarray, keyed by its dotted name.

    >>> from tinygrad_edu import nn
    >>> sorted(state_dict(nn.Linear(2, 3, rng=0)))
    ['bias', 'weight']
    >>> sorted(state_dict(nn.BatchNorm1d(3)))
    ['bias', 'running_mean', 'running_var', 'weight']
    """
    return {name: np.array(_value(entry)) for name, entry in _entries(model).items()}


def load_state_dict(model: Any, arrays: dict[str, Any], source: str = "state dict") -> None:
    """Copy ``arrays`` into the model's parameters, after checking every name and shape.

    Raises :class:`WeightsError` listing every missing name, unexpected name and shape
    mismatch at once; nothing changes unless everything matches.

    >>> from tinygrad_edu import nn
    >>> layer = nn.Linear(2, 1, rng=0)
    >>> load_state_dict(layer, {"weight": np.ones((2, 1)), "bias": np.zeros(1)})
    >>> layer.weight.data.ravel().tolist()
    [1.0, 1.0]
    """
    params = _entries(model)
    arrays = {name: np.asarray(array) for name, array in arrays.items()}
    problems = [_array_problem(name, arrays[name].shape, arrays[name].dtype, p.shape)
                for name, p in params.items() if name in arrays]
    _raise_mismatches(source, [n for n in params if n not in arrays],
                      [n for n in arrays if n not in params], problems)
    for name, p in params.items():
        if isinstance(p, np.ndarray):
            p[...] = arrays[name]  # a buffer is updated in place, as its module does
        elif type(p.data) is float:
            p.data = float(arrays[name])
        else:
            p.data = arrays[name].astype(p.data.dtype, copy=True)


def _array_problem(name: str, shape: tuple, dtype: np.dtype, expected: tuple) -> str | None:
    """Why an array of ``shape`` and ``dtype`` cannot fill parameter ``name``, or None."""
    if shape != expected:
        return f"{name}: shape {shape} in the file, {expected} in the model"
    if dtype.kind != "f":
        return f"{name}: dtype {dtype} in the file, expected floats"
    return None


def _raise_mismatches(source: str, missing: list[str], unexpected: list[str],
                      problems: list[str | None]) -> None:
    wrong = [p for p in problems if p]
    count = len(missing) + len(unexpected) + len(wrong)
    if count:
        parts = ([f"missing {_names(missing)}"] if missing else []) + \
            ([f"unexpected {_names(unexpected)}"] if unexpected else []) + wrong
        raise WeightsError(f"load: {source} does not match the model ({count} mismatch"
                           f"{'es' if count > 1 else ''}): " + "; ".join(parts))


def _names(names: list[str], shown: int = 20) -> str:
    """``names`` as a list, the first ``shown`` of them (a hostile file can hold thousands)."""
    if len(names) <= shown:
        return str(names)
    return f"{names[:shown]} and {len(names) - shown} more"


# ---------------------------------------------------------------------------- save

def save(model: Any, path: str | os.PathLike, *, overwrite_protected: bool = False) -> Path:
    """Write the model's parameters to ``path`` (an ``.npz`` archive), atomically.

    Returns the path written. ``path`` is used exactly as given (no suffix is added); a
    symlink is followed. An existing file you could not write yourself (no permission,
    or ``chmod 444``) raises ``PermissionError`` and stays as it was, unless
    ``overwrite_protected=True``; the new file then keeps the old one's mode. Other
    ``OSError``\\ s (no such directory, disk full) name ``path`` and leave it untouched.

    >>> import tempfile, os
    >>> from tinygrad_edu import nn
    >>> target = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> save(nn.Linear(2, 3, rng=0), target).name
    'w.npz'
    >>> os.chmod(target, 0o444)                      # protect it
    >>> save(nn.Linear(2, 3, rng=1), target)         # doctest: +ELLIPSIS
    Traceback (most recent call last):
    PermissionError: [Errno 13] save: will not replace a write-protected file (mode 0o444)...
    >>> save(nn.Linear(2, 3, rng=1), target, overwrite_protected=True).name
    'w.npz'
    """
    path = Path(path)
    started = time.time()
    arrays = state_dict(model)
    target, mode = _replaceable_target(path, overwrite_protected)
    _remove_leftovers(target, started)
    tmp = target.parent / f".{target.name}.{os.getpid()}-{uuid.uuid4().hex}.tmp"
    try:
        _write_and_replace(tmp, target, arrays, mode)
    except OSError as error:
        raise _naming(error, path, tmp) from error
    return path


def _replaceable_target(path: Path, overwrite_protected: bool) -> tuple[Path, int | None]:
    """The file a save to ``path`` writes (symlinks followed) and the mode to give it.

    The mode is the existing file's, or None for a new file. Raises, naming ``path``,
    when the target is a link loop, not a regular file, or protected.
    """
    target = Path(os.path.realpath(path))
    if target.is_symlink():                      # realpath stops where links loop
        raise OSError(errno.ELOOP, "save: too many levels of symbolic links", str(path))
    try:
        st = os.stat(target)
    except OSError:
        return target, None                      # a new file; creating it reports problems
    via = f", the target of a link: {target}" if target != Path(os.path.abspath(path)) else ""
    if not stat.S_ISREG(st.st_mode):
        # OSError(EISDIR, ...) is an IsADirectoryError, OSError(EEXIST, ...) a FileExistsError
        code = errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EEXIST
        raise OSError(code, f"save: will not replace {_kind(st.st_mode)}{via}; weights go to "
                      f"regular files", str(path))
    protected = None if overwrite_protected else _protection(target, st)
    if protected:
        raise PermissionError(errno.EACCES, f"save: will not replace {protected}{via}; pass "
                              f"overwrite_protected=True to replace it", str(path))
    return target, stat.S_IMODE(st.st_mode)


def _protection(target: Path, st: os.stat_result) -> str | None:
    """What protects an existing file from this user, for messages, or None.

    No write bit at all counts even for root (whom ``os.access`` always lets write).
    """
    mode = stat.S_IMODE(st.st_mode)
    if not mode & 0o222:
        return f"a write-protected file (mode {mode:#o})"
    if not os.access(target, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
        return f"a file this user may not write (mode {mode:#o}, owner uid {st.st_uid})"
    return None


def _kind(mode: int) -> str:
    """What a non-regular file is, for messages."""
    kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


# A temporary file of save(): ".NAME." then "PID-" and 32 hex digits, then ".tmp".
# Versions before the PID wrote no "PID-"; those files are removed after LEGACY_GRACE.
_TEMP_TAIL = re.compile(r"(?:(?P<pid>[1-9][0-9]{0,9})-)?[0-9a-f]{32}\.tmp")
_LEGACY_GRACE = 60.0   # seconds without a write: no live save pauses that long


def _remove_leftovers(target: Path, started: float) -> None:
    """Delete temporary files that killed saves to ``target`` left in its directory."""
    prefix = f".{target.name}."
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return                                   # the save itself will report the directory
    for entry in entries:
        match = entry.name.startswith(prefix) and _TEMP_TAIL.fullmatch(entry.name, len(prefix))
        if match and _abandoned(entry, match["pid"], started):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _abandoned(entry: os.DirEntry, pid: str | None, started: float) -> bool:
    """Whether a temporary file is a killed save's: a regular file, written before this
    save started, by a process that no longer exists (a name without a PID: untouched
    for LEGACY_GRACE)."""
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    if pid is None:
        return st.st_mtime < started - _LEGACY_GRACE
    return st.st_mtime < started and not _process_exists(int(pid))


def _process_exists(pid: int) -> bool:
    if os.name == "nt":          # os.kill(pid, 0) would terminate it there: assume alive
        return True
    try:
        os.kill(pid, 0)          # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:      # it exists, under another user
        return True
    except OverflowError:        # no process can have that number
        return False
    return True


def _write_and_replace(tmp: Path, target: Path, arrays: dict[str, np.ndarray],
                       mode: int | None) -> None:
    # Mode 0o666 through the umask, as open() would give; mkstemp's 0o600 would make
    # the renamed weights file readable by its owner only.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            with contextlib.suppress(OSError):  # overwriting keeps the old file's permissions
                os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        # Whatever went wrong, the destination is untouched; remove our partial file.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _naming(error: OSError, path: Path, tmp: Path) -> OSError:
    """``error`` again, naming the user's ``path`` rather than our temporary file."""
    reason = (error.strerror or str(error)).replace(str(tmp), str(path))
    if error.errno is None:
        return type(error)(f"save: cannot write {path}: {reason}")
    return type(error)(error.errno, f"save: cannot write the weights file ({reason})",
                       str(path))


def _write_npz(f: Any, arrays: dict[str, np.ndarray]) -> None:
    # What np.savez writes (one uncompressed .npy member per name), but with the names
    # as data: np.savez(f, **arrays) fails for a parameter called "file".
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


# ---------------------------------------------------------------------------- load

def load(model: Any, path: str | os.PathLike) -> Any:
    """Read weights saved by :func:`save` into ``model``; returns the model.

    Raises :class:`WeightsError` (model untouched) if ``path`` is not a regular file
    holding a readable ``.npz`` archive, or its names, shapes and dtypes do not match the
    model's parameters; ``FileNotFoundError`` if it does not exist, and ``OSError`` if it
    cannot be opened. Nothing but the model's own arrays is decompressed (see the module).

    >>> import tempfile, os
    >>> from tinygrad_edu import nn
    >>> target = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> saved = nn.Linear(2, 1, rng=0)
    >>> _ = save(saved, target)
    >>> loaded = load(nn.Linear(2, 1, rng=1), target)
    >>> np.array_equal(loaded.weight.data, saved.weight.data)
    True
    """
    path = Path(path)
    params = {name: p.shape for name, p in _entries(model).items()}
    with _open_regular(path) as file:
        if file.read(len(np.lib.format.MAGIC_PREFIX)) == np.lib.format.MAGIC_PREFIX:
            raise WeightsError(f"load: {path} holds a single array, not an .npz "
                               f"archive of named weights")
        file.seek(0)
        try:
            arrays = _read_weights(_Budgeted(file, _read_budget(params), path), path, params)
        except WeightsError:
            raise
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, MemoryError) as error:
            raise WeightsError(f"load: {path} is not a readable .npz weights file "
                               f"({type(error).__name__}: {error})") from error
    load_state_dict(model, arrays, source=str(path))
    return model


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading, refused unless it is a regular file.

    Checked before opening (opening a device can have effects) and again on the open
    file, which O_NONBLOCK keeps from blocking if a FIFO was swapped in meanwhile.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no such weights file: {path}") from None
    _refuse_irregular(st.st_mode, path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    file = os.fdopen(fd, "rb")
    try:
        _refuse_irregular(os.fstat(fd).st_mode, path)
    except WeightsError:
        file.close()
        raise
    return file


def _refuse_irregular(mode: int, path: Path) -> None:
    if not stat.S_ISREG(mode):
        raise WeightsError(f"load: {path} is {_kind(mode)}, not a weights file")


# What a load may read, per the model: numpy's own limit on a .npy header, the widest
# float (longdouble), room for the zip records around each member (names and extra
# fields of up to 64 KiB each), and a directory listing up to SPARE_MEMBERS extra names
# at up to 1 KiB an entry, so that a wrong file's names can still be reported.
_NPY_HEADER_MAX = 10_000
_WIDEST_FLOAT = 16
_ZIP_RECORDS = 3 * 64 * 1024
_SPARE_MEMBERS = 256


def _member_limit(shape: tuple) -> int:
    """The most bytes a ``.npy`` member holding a float array of ``shape`` can take."""
    return _NPY_HEADER_MAX + _WIDEST_FLOAT * math.prod(shape)


def _read_budget(params: dict[str, tuple]) -> int:
    """The most bytes a load into a model with these parameters needs to read.

    Twice each member's limit: a deflated member may be a little longer than its data.
    """
    directory = (len(params) + _SPARE_MEMBERS) * 1024
    return _ZIP_RECORDS + directory + sum(2 * _member_limit(shape) + _ZIP_RECORDS
                                          for shape in params.values())


class _Budgeted:
    """A read-only binary file that refuses to hand out more than ``budget`` bytes in all.

    zipfile reads the whole zip directory in one call and a member's compressed bytes in
    chunks; this bounds both, whatever sizes the file declares.
    """

    def __init__(self, file: BinaryIO, budget: int, path: Path):
        self._file, self._budget, self._left, self._path = file, budget, budget, path
        self._size = os.fstat(file.fileno()).st_size

    def read(self, n: int | None = -1) -> bytes:
        available = max(self._size - self._file.tell(), 0)
        n = available if n is None or n < 0 else min(n, available)
        if n > self._left:
            raise WeightsError(f"load: {self._path} is not a weights file for this model: "
                               f"reading it takes more than {self._budget:,} bytes, the most "
                               f"a file of the model's parameters needs")
        self._left -= n
        return self._file.read(n)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def seekable(self) -> bool:
        return True


def _read_weights(file: _Budgeted, path: Path, params: dict[str, tuple]) -> dict[str, Any]:
    """The model's arrays from the archive, after checking every name, header and size.

    Raises :class:`WeightsError` listing every mismatch with the model; a malformed
    member raises at once. Array data is read only when names all match.
    """
    with zipfile.ZipFile(file) as archive:          # reads the directory, nothing more
        members = _members(archive, path, params)
        missing = [n for n in params if n not in members]
        unexpected = [n for n in members if n not in params]
        read_data = not (missing or unexpected)
        problems, arrays = [], {}
        for name, shape in params.items():
            if name in members:
                problem, arrays[name] = _read_member(archive, members[name], name, shape,
                                                     read_data)
                problems.append(problem)
        _raise_mismatches(str(path), missing, unexpected, problems)
    return arrays


def _members(archive: zipfile.ZipFile, path: Path,
             params: dict[str, tuple]) -> dict[str, zipfile.ZipInfo]:
    """Each member's array name -> its directory entry; refuses what numpy never writes."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename.removesuffix(".npy")
        odd = _odd_member(info, name, params)
        if odd or name in members:
            raise WeightsError(f"load: {path} is not a readable .npz weights file (member "
                               f"{info.filename!r} {odd or 'appears twice'})")
        members[name] = info
    return members


def _odd_member(info: zipfile.ZipInfo, name: str, params: dict[str, tuple]) -> str | None:
    """Why a zip member cannot be one of numpy's arrays, or None."""
    if not info.filename.endswith(".npy") or not name:
        return "is not a .npy array"
    if name not in params and any(c in "/\\" or ord(c) < 32 or ord(c) == 127 for c in name):
        return "has a path or control characters in its name"
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return f"uses compression method {info.compress_type}, not stored or deflated"
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str,
                 expected: tuple, read_data: bool) -> tuple[str | None, np.ndarray | None]:
    """(mismatch with the model or None, the array or None) for one member.

    The header is read first, from at most its first 10 KB; the data only if it fits
    the model and ``read_data``. Raises ValueError for a member that contradicts itself.
    zipfile stops a member at the size the directory gives and checks its CRC there.
    """
    with archive.open(info) as member:
        head = member.read(min(info.file_size, _NPY_HEADER_MAX + 16))
        shape, fortran, dtype, offset = _parse_header(head, info.filename)
        problem = _array_problem(name, shape, dtype, expected)
        if dtype.kind == "f" and info.file_size != offset + math.prod(shape) * dtype.itemsize:
            raise ValueError(f"{info.filename} holds {info.file_size:,} bytes but its header "
                             f"describes {offset:,} + {shape} {dtype}")
        if problem or not read_data:
            return problem, None
        data = _read_rest(member, head[offset:], info.file_size - offset, info.filename)
    return None, np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def _read_rest(member: BinaryIO, start: bytes, size: int, name: str) -> bytearray:
    """``size`` bytes: ``start``, then the rest read from ``member`` in 1 MiB steps."""
    data = bytearray(size)
    got = len(start)
    data[:got] = start
    while got < size:
        chunk = member.read(min(size - got, 1 << 20))
        if not chunk:
            raise EOFError(f"{name} ends {size - got:,} bytes early")
        data[got:got + len(chunk)] = chunk
        got += len(chunk)
    return data


def _parse_header(head: bytes, member: str) -> tuple[tuple, bool, np.dtype, int]:
    """(shape, fortran_order, dtype, data offset) from the start of a ``.npy`` member."""
    buffer = BytesIO(head)
    version = np.lib.format.read_magic(buffer)
    readers = {(1, 0): np.lib.format.read_array_header_1_0,
               (2, 0): np.lib.format.read_array_header_2_0}
    if version not in readers:
        raise ValueError(f"{member}: .npy format version {version} is not one for floats")
    shape, fortran, dtype = readers[version](buffer, max_header_size=_NPY_HEADER_MAX)
    return shape, fortran, dtype, buffer.tell()
