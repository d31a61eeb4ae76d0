"""Empty qcow2 images written directly, and qcow2 headers read directly: what vdi_create, snapshot, clone and
reset need, without forking qemu-img (each fork costs more than the rest of a plugin run).

An image is written as `qemu-img create -f qcow2 [-u -b BACKING -F qcow2] FILE SIZE` of QEMU 7.2 writes it, with
its defaults (version 3, 64 KiB clusters, 16-bit refcounts, no compression type, no lazy refcounts):
  cluster 0   the header (112 bytes), its extensions (backing format when there is a backing file, the feature
              name table, the end marker), then the backing file name
  cluster 1   the refcount table: one entry, cluster 2
  cluster 2   the refcount block: refcount 1 for the clusters in use (0, 1, 2 and the L1 table's)
  cluster 3+  the L1 table, all zero (nothing allocated); the file ends with it (an image of size 0 has none)
Every byte is written, zeros included, so that the file's allocation is qemu-img's too.
The format is QEMU's docs/interop/qcow2.txt; the tests compare the bytes with qemu-img's and run qemu-img check.
"""

import os
import struct

MAGIC = b"QFI\xfb"
CLUSTER_BITS = 16
CLUSTER = 1 << CLUSTER_BITS
HEADER_LENGTH = 112  # the version 3 header with the compression type byte, padded to 8
EXT_BACKING_FORMAT = 0xE2792ACA
EXT_FEATURE_NAMES = 0x6803F857
FEATURE_NAMES = [(0, 0, "dirty bit"), (0, 1, "corrupt bit"), (0, 2, "external data file"),
                 (0, 3, "compression type"), (0, 4, "extended L2 entries"), (1, 0, "lazy refcounts"),
                 (2, 0, "bitmaps"), (2, 1, "raw external data")]


def _extension(kind, data):
    return struct.pack(">II", kind, len(data)) + data + b"\0" * (-len(data) % 8)


def image(size, backing=None, backing_format="qcow2"):
    """The bytes of an empty qcow2 image of size bytes (a multiple of 512) over backing (a file name, stored as
    given: relative names are relative to the image's directory)."""
    if size < 0 or size % 512:
        raise ValueError("a qcow2 size is a whole number of 512-byte sectors: %d" % size)
    l1_entries = -(-size // (CLUSTER * (CLUSTER // 8)))  # one L2 table maps 8192 clusters
    l1_clusters = -(-l1_entries * 8 // CLUSTER)  # none for an empty image, whose L1 offset is then 0
    clusters_used = 3 + l1_clusters
    if clusters_used > CLUSTER // 2:
        raise ValueError("size %d needs more than one refcount block" % size)
    extensions = b""
    if backing:
        extensions += _extension(EXT_BACKING_FORMAT, backing_format.encode())
    extensions += _extension(EXT_FEATURE_NAMES, b"".join(
        struct.pack(">BB46s", kind, bit, name.encode()) for kind, bit, name in FEATURE_NAMES))
    extensions += struct.pack(">II", 0, 0)
    name = backing.encode() if backing else b""
    backing_offset = HEADER_LENGTH + len(extensions) if backing else 0
    if backing_offset + len(name) > CLUSTER:
        raise ValueError("backing file name too long")
    header = struct.pack(">4sIQIIQIIQQIIQQQQII", MAGIC, 3, backing_offset, len(name), CLUSTER_BITS, size, 0,
                         l1_entries, 3 * CLUSTER if l1_entries else 0, CLUSTER, 1, 0, 0, 0, 0, 0, 4, HEADER_LENGTH)
    header += b"\0" * (HEADER_LENGTH - len(header))
    out = bytearray(3 * CLUSTER + l1_entries * 8)
    first = header + extensions + name
    out[:len(first)] = first
    struct.pack_into(">Q", out, CLUSTER, 2 * CLUSTER)
    struct.pack_into(">%dH" % clusters_used, out, 2 * CLUSTER, *([1] * clusters_used))
    return bytes(out)


def create(path, size, backing=None, backing_format="qcow2"):
    """Writes the image to path (created, or truncated) and syncs it."""
    data = image(size, backing, backing_format)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:  # every byte, zeros too: the file's allocation (its actual-size) is qemu-img's
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def header(path):
    """(virtual size, backing file name or None) from a qcow2 image's header; ValueError if it is not qcow2."""
    with open(path, "rb") as f:
        head = f.read(32)
        if len(head) < 32 or head[:4] != MAGIC:
            raise ValueError("%s is not a qcow2 image" % path)
        _, version, backing_offset, backing_size, _, size = struct.unpack(">4sIQIIQ", head)
        if version not in (2, 3):
            raise ValueError("%s: qcow2 version %d" % (path, version))
        backing = None
        if backing_offset:
            f.seek(backing_offset)
            raw = f.read(backing_size)
            if len(raw) != backing_size:
                raise ValueError("%s: truncated backing file name" % path)
            backing = raw.decode()
        return size, backing
