"""`<filesystem>` (virtiofs) with its source, target, driver and daemon binary."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, child, element


@element()
class FilesystemDevice(Element):
    type: Value = attr()
    access_mode: Value = attr("accessMode")
    source: FilesystemSource | None = child("source")
    target: FilesystemTarget | None = child("target")
    driver: FilesystemDriver | None = child("driver")
    binary: FilesystemBinary | None = child("binary")


@element()
class FilesystemSource(Element):
    dir: Value = attr()
    socket: Value = attr()


@element()
class FilesystemTarget(Element):
    dir: Value = attr()


@element()
class FilesystemDriver(Element):
    type: Value = attr()
    queue: Value = attr()


@element()
class FilesystemBinary(Element):
    path: Value = attr()
    xattr: Value = attr()
    cache: FilesystemBinaryCache | None = child("cache")
    lock: FilesystemBinaryLock | None = child("lock")


@element()
class FilesystemBinaryCache(Element):
    mode: Value = attr()


@element()
class FilesystemBinaryLock(Element):
    posix: Value = attr()
    flock: Value = attr()
