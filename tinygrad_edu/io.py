"""Weights on disk: ``save(model, path)`` and ``load(model, path)`` as ``.npz``.

The file holds one array per parameter, keyed by the dotted name from
``Module.named_parameters()``. Nothing is pickled: ``np.load`` runs with
``allow_pickle=False``, so loading a file can never execute code.

Two promises:

* **load is all-or-nothing.** Every name and shape is checked before any parameter
  changes; all mismatches are reported together in one :class:`WeightsError`. A
  truncated or foreign file gives a ``WeightsError`` too, and the model is untouched.
* **save is atomic.** The archive is written to a temporary file in the destination's
  directory, flushed to disk, then renamed over the destination with ``os.replace``.
  A crash mid-save leaves the old file (if any) as it was, and no temporary file.

Imports: ``value`` only (a model is anything with ``named_parameters()``).
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["save", "load", "state_dict", "load_state_dict", "WeightsError"]


class WeightsError(ValueError):
    """Weights could not be loaded: a bad file, or names/shapes that do not match."""


def state_dict(model: Any) -> dict[str, np.ndarray]:
    """A copy of every parameter as an ndarray, keyed by its dotted name.

    >>> from tinygrad_edu import nn
    >>> sorted(state_dict(nn.Linear(2, 3, rng=0)))
    ['bias', 'weight']
    """
    return {name: np.array(p.data) for name, p in model.named_parameters()}


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
    params = dict(model.named_parameters())
    missing = [n for n in params if n not in arrays]
    unexpected = [n for n in arrays if n not in params]
    wrong = []
    for name, p in params.items():
        if name not in arrays:
            continue
        arr = np.asarray(arrays[name])
        if arr.shape != p.shape:
            wrong.append(f"{name}: shape {arr.shape} in the file, {p.shape} in the model")
        elif arr.dtype.kind != "f":
            wrong.append(f"{name}: dtype {arr.dtype} in the file, expected floats")
    count = len(missing) + len(unexpected) + len(wrong)
    if count:
        parts = ([f"missing {missing}"] if missing else []) + \
            ([f"unexpected {unexpected}"] if unexpected else []) + wrong
        raise WeightsError(f"load: {source} does not match the model ({count} mismatch"
                           f"{'es' if count > 1 else ''}): " + "; ".join(parts))
    for name, p in params.items():
        arr = np.asarray(arrays[name])
        if type(p.data) is float:
            p.data = float(arr)
        else:
            p.data = arr.astype(p.data.dtype, copy=True)


def save(model: Any, path: str | os.PathLike) -> Path:
    """Write the model's parameters to ``path`` (an ``.npz`` archive), atomically.

    Returns the path written. ``path`` is used exactly as given (no suffix is added).

    >>> import tempfile, os
    >>> from tinygrad_edu import nn
    >>> target = os.path.join(tempfile.mkdtemp(), "w.npz")
    >>> save(nn.Linear(2, 3, rng=0), target).name
    'w.npz'
    """
    path = Path(path)
    arrays = state_dict(model)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    # Mode 0o666 through the umask, as open() would give; mkstemp's 0o600 would make
    # the renamed weights file readable by its owner only.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(OSError):  # overwriting keeps the old file's permissions
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        # Whatever went wrong, the destination is untouched; remove our partial file.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def _write_npz(f: Any, arrays: dict[str, np.ndarray]) -> None:
    # What np.savez writes (one uncompressed .npy member per name), but with the names
    # as data: np.savez(f, **arrays) fails for a parameter called "file".
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def load(model: Any, path: str | os.PathLike) -> Any:
    """Read weights saved by :func:`save` into ``model``; returns the model.

    Raises :class:`WeightsError` (model untouched) if the file is not a readable
    ``.npz`` archive or its names and shapes do not match the model's parameters,
    and ``FileNotFoundError`` if it does not exist.

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
    if not path.exists():
        raise FileNotFoundError(f"load: no such weights file: {path}")
    try:
        # Read every array into memory now: a truncated archive can fail on any member.
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise WeightsError(f"load: {path} holds a single array, not an .npz "
                               f"archive of named weights")
        with archive:
            arrays = {name: archive[name] for name in archive.files}
    except WeightsError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, MemoryError) as error:
        # MemoryError: a damaged or crafted member header can declare an enormous shape.
        raise WeightsError(f"load: {path} is not a readable .npz weights file "
                           f"({type(error).__name__}: {error})") from error
    load_state_dict(model, arrays, source=str(path))
    return model

