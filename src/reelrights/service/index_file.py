"""The persisted index's file: a header and numpy arrays in one uncompressed file, read
back by memory-mapping it.

Layout: ``MAGIC``, the format number and the header's length (little-endian u32, u64), the
header (JSON: what the arrays are, their offsets, shapes and CRC-32s, and the caller's
``meta``), the header's own CRC-32 (u32), then each array's bytes at an offset aligned to
64. :func:`read` checks everything before returning anything (magic, format, header
checksum, the file's exact length, every array's checksum) and raises
:class:`IndexFileError` on the first thing wrong: a truncated, foreign or corrupt file is
never half-used. :func:`write` writes a temporary file beside the target, syncs it, and
renames it over the target, so a reader sees the old file or the new one, whole, and two
writers at once leave one of their two files, never a mix; a writer killed midway leaves
a stray temporary file (cleaned up by a later write) and the target untouched.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MAGIC = b"RRINDEX\x00"
FORMAT = 1
_PREFIX = struct.Struct("<8sIQ")
_CRC = struct.Struct("<I")
_ALIGN = 64
STALE_TEMP_S = 3600  # a temporary file this old belongs to a writer that died


class IndexFileError(Exception):
    """A file that is not a whole, intact index file of this format."""


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN


def _raw(a: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """An array's bytes, without a copy (``a`` is C-contiguous)."""
    return a.reshape(-1).view(np.uint8)


def _crc(data: Any) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def write(
    path: Path, meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]], sync: bool = True
) -> None:
    """Write ``meta`` and ``arrays`` to ``path`` atomically (temporary file, fsync,
    rename). Without ``sync``, no fsync: for a file that need not outlive a crash of the
    machine (a forked copy's book handed back to its parent)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(path)
    layout: dict[str, dict[str, Any]] = {}
    contiguous = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    offset = 0
    for name, a in contiguous.items():
        layout[name] = {
            "dtype": a.dtype.str,
            "shape": list(a.shape),
            "offset": offset,
            "crc": _crc(_raw(a)),
        }
        offset = _aligned(offset + a.nbytes)
    header = json.dumps({"arrays": layout, "meta": meta, "data_bytes": offset}).encode()
    start = _aligned(_PREFIX.size + len(header) + _CRC.size)
    fd, temp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(_PREFIX.pack(MAGIC, FORMAT, len(header)))
            out.write(header)
            out.write(_CRC.pack(_crc(header)))
            for name, a in contiguous.items():
                out.seek(start + layout[name]["offset"])
                out.write(_raw(a).data)
            out.truncate(start + offset)
            out.flush()
            os.fchmod(out.fileno(), 0o666 & ~_umask())
            if sync:
                os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read(path: Path) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
    """(meta, arrays) of the file at ``path``; the arrays are read-only views of the
    mapped file. Raises :class:`IndexFileError` if anything does not check out, and
    ``FileNotFoundError`` if there is no file."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < _PREFIX.size:
            raise IndexFileError("truncated before the header")
        magic, version, header_len = _PREFIX.unpack(f.read(_PREFIX.size))
        if magic != MAGIC:
            raise IndexFileError("not a reelrights index file")
        if version != FORMAT:
            raise IndexFileError(f"index file format {version}, this reelrights reads {FORMAT}")
        if _PREFIX.size + header_len + _CRC.size > size:
            raise IndexFileError("truncated inside the header")
        header = f.read(header_len)
        (crc,) = _CRC.unpack(f.read(_CRC.size))
        if _crc(header) != crc:
            raise IndexFileError("the header's checksum does not match")
        try:
            described = json.loads(header)
            start = _aligned(_PREFIX.size + header_len + _CRC.size)
            if size != start + int(described["data_bytes"]):
                raise IndexFileError(
                    f"truncated or overlong: {size} bytes, the header describes "
                    f"{start + described['data_bytes']}"
                )
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            arrays: dict[str, npt.NDArray[Any]] = {}
            for name, spec in described["arrays"].items():
                dtype = np.dtype(spec["dtype"])
                shape = tuple(int(n) for n in spec["shape"])
                count = int(np.prod(shape)) if shape else 1
                at = start + int(spec["offset"])
                if at + count * dtype.itemsize > size:
                    raise IndexFileError(f"array {name} runs past the end of the file")
                a = np.frombuffer(mapped, dtype, count, at).reshape(shape)
                if _crc(_raw(a)) != spec["crc"]:
                    raise IndexFileError(f"array {name}: checksum does not match")
                arrays[name] = a
        except (KeyError, TypeError, ValueError) as error:
            raise IndexFileError(f"malformed header: {error}") from None
    return described["meta"], arrays


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _clean_stale(path: Path) -> None:
    """Remove temporary files of writers that died long ago."""
    now = time.time()
    for temp in path.parent.glob(path.name + ".*.tmp"):
        try:
            if now - temp.stat().st_mtime > STALE_TEMP_S:
                temp.unlink()
        except OSError:
            pass
