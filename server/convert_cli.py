"""`vmi-converter convert` and `vmi-converter context`: VMI files in, domains or contexts out.

A file holds one document or several (multi-document YAML); a document is a
ConvertRequest, a VirtualMachineInstance, or any KubeVirt object carrying one
(VirtualMachine, VirtualMachinePool, VirtualMachineInstanceReplicaSet, a List).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.server.carriers import vmis_in
from vmi_converter.server.decoder import decode_context, decode_parts, decode_vmi
from vmi_converter.server.requests import load_document, load_documents, split_request

# A batch this long shows its progress on a terminal.
PROGRESS_FROM = 20

CONVERT_EXAMPLES = """examples:
  vmi-converter convert --typical-host vmi.yaml             # try it: a typical KVM node's facts, each one warned
  vmi-converter convert --context ctx.json vm.yaml          # a VirtualMachine's VMI with your node's facts
  vmi-converter convert --context <(vmi-converter context vmi.yaml) vmi.yaml
  vmi-converter convert --typical-host --out-dir out/ manifests/*.yaml
"""
CONTEXT_EXAMPLES = """example:
  vmi-converter context vmi.yaml | jq .descriptions         # what each fact means
  vmi-converter convert --context <(vmi-converter context vmi.yaml) vmi.yaml
"""


def add_convert_commands(commands: Any) -> None:
    conv = commands.add_parser(
        "convert",
        help="convert VMI files (YAML or JSON) to domain XML",
        description="Convert VirtualMachineInstances, or the VMI of a VirtualMachine, VirtualMachinePool, "
        "VirtualMachineInstanceReplicaSet or List, to libvirt domain XML. A file may hold several YAML documents.",
        epilog=CONVERT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    conv.add_argument("files", nargs="+", metavar="FILE", help="a VMI-carrying object or a ConvertRequest; - for stdin")
    conv.add_argument(
        "--context", metavar="FILE", help="ConverterContext for files that carry none (or what `context` prints)"
    )
    conv.add_argument(
        "--typical-host",
        action="store_true",
        help="fill the facts the context leaves out from a typical KVM node; each assumed fact is warned on stderr",
    )
    conv.add_argument("--out-dir", metavar="DIR", help="write DIR/NAME.xml or DIR/NAME.err per VMI; a summary ends it")
    conv.set_defaults(run=_convert)

    ctx = commands.add_parser(
        "context",
        help="print the context a VMI's conversion reads, with typical values and what each fact means",
        description='Print {"context": ..., "descriptions": {CONTEXT PATH: meaning}}: every fact the conversion '
        "of FILE reads, filled with a typical KVM node's values. Edit it to match your node; `convert --context` "
        "takes it as it is. See docs/context.md for where a launcher gets each fact.",
        epilog=CONTEXT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ctx.add_argument("file", metavar="FILE", help="one VMI-carrying object; - for stdin")
    ctx.set_defaults(run=_context)


@dataclass(slots=True)
class Item:
    """One VMI to convert: where it came from, and its context (empty: none given)."""

    label: str
    vmi: dict[str, Any]
    context: dict[str, Any]


def read(name: str) -> bytes:
    return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()


def items_in(name: str, data: bytes) -> list[Item]:
    """Every VMI a file carries, labelled by the file's stem, or stem-NAME when there are several."""
    found: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for document in load_documents(data, ""):
        if isinstance(document, dict) and ("vmi" in document or "vmiJson" in document):
            found.append(split_request(document, ""))
        else:
            found.extend((vmi, {}) for vmi in vmis_in(document, ""))
    stem = "stdin" if name == "-" else Path(name).stem
    if len(found) == 1:
        return [Item(stem, *found[0])]
    return [Item(f"{stem}-{_vmi_name(vmi, i)}", vmi, ctx) for i, (vmi, ctx) in enumerate(found)]


def _vmi_name(vmi: dict[str, Any], index: int) -> str:
    name = (vmi.get("metadata") or {}).get("name")
    return name if isinstance(name, str) and name and "/" not in name else str(index)


def read_context(name: str) -> dict[str, Any]:
    """A ConverterContext file, or `vmi-converter context` output (its `context` member).

    Checked here so that a bad --context fails once, before any file; its warnings come with each file.
    """
    document = load_document(read(name), "context")
    if isinstance(document, dict) and isinstance(document.get("context"), dict) and "descriptions" in document:
        document = document["context"]
    return decode_context(document)[0]


def convert_item(item: Item, default_context: dict[str, Any], typical_host: bool) -> tuple[str, list[str]]:
    """The domain XML and the warnings of one VMI, decoded as the server decodes a request."""
    from vmi_converter.converter.pipeline import convert
    from vmi_converter.server.typical import convert_on_typical_host

    decoded = decode_parts(item.vmi, item.context or default_context)
    warnings = decoded.warnings
    if typical_host:
        result, assumptions = convert_on_typical_host(decoded.vmi, decoded.context)
        warnings += assumptions.warnings()
    else:
        result = convert(decoded.vmi, decoded.context)
    return result.xml, warnings + result.warnings


def _convert(args: argparse.Namespace) -> int:
    default_context: dict[str, Any] = {}
    if args.context:
        try:
            default_context = read_context(args.context)
        except OSError as err:
            print(f"{args.context}: {err}", file=sys.stderr)
            return 2
        except ConversionError as err:  # refused as the server refuses it
            print(f"{args.context}: {err}", file=sys.stderr)
            return 1
    if args.out_dir:
        return _batch(args.files, Path(args.out_dir), default_context, args.typical_host)
    if len(args.files) > 1:
        print("several files need --out-dir", file=sys.stderr)
        return 2
    name = args.files[0]
    try:
        items = items_in(name, read(name))
        if len(items) > 1:
            print(f"{name}: carries {len(items)} VMIs: use --out-dir", file=sys.stderr)
            return 2
        xml, warnings = convert_item(items[0], default_context, args.typical_host)
    except (OSError, ConversionError) as err:
        print(f"{name}: {err}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"{name}: warning: {warning}", file=sys.stderr)
    sys.stdout.write(xml)
    return 0


def _batch(files: list[str], out_dir: Path, default_context: dict[str, Any], typical_host: bool) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    progress = _Progress(sys.stderr, len(files))
    converted, rejected = 0, []
    for done, name in enumerate(files, 1):
        progress.show(done, name)
        for label, xml, error, warnings in _results(name, default_context, typical_host):
            for warning in warnings:
                progress.clear()
                print(f"{label}: warning: {warning}", file=sys.stderr)
            _write_result(out_dir, label, xml, error)
            if error is None:
                converted += 1
            else:
                rejected.append(str(out_dir / f"{label}.err"))
    progress.clear()
    print(_summary(converted, rejected), file=sys.stderr)
    return 1 if rejected else 0


def _results(
    name: str, default_context: dict[str, Any], typical_host: bool
) -> Iterator[tuple[str, str | None, str | None, list[str]]]:
    """(label, xml, error, warnings) per VMI of the file; a file that cannot be read is one error."""
    try:
        items = items_in(name, read(name))
    except (OSError, ConversionError) as err:
        yield ("stdin" if name == "-" else Path(name).stem), None, str(err), []
        return
    for item in items:
        try:
            xml, warnings = convert_item(item, default_context, typical_host)
            yield item.label, xml, None, warnings
        except ConversionError as err:
            yield item.label, None, str(err), []


def _summary(converted: int, rejected: list[str]) -> str:
    if not rejected:
        return f"converted {converted}, rejected 0"
    shown = ", ".join(rejected[:3]) + (f" and {len(rejected) - 3} more" if len(rejected) > 3 else "")
    return f"converted {converted}, rejected {len(rejected)}: see {shown}"


def _write_result(out_dir: Path, label: str, xml: str | None, error: str | None) -> None:
    (out_dir / f"{label}.xml").unlink(missing_ok=True)
    (out_dir / f"{label}.err").unlink(missing_ok=True)
    if error is not None:
        (out_dir / f"{label}.err").write_text(error + "\n")
    else:
        (out_dir / f"{label}.xml").write_text(xml or "")


class _Progress:
    """`[12/40] file.yaml` on one rewritten line of a terminal, for batches of PROGRESS_FROM files or more."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream, self.total = stream, total
        self.enabled = total >= PROGRESS_FROM and stream.isatty()
        self.shown = False

    def show(self, done: int, name: str) -> None:
        if self.enabled:
            self.stream.write(f"\r\x1b[K[{done}/{self.total}] {name}")
            self.stream.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def _context(args: argparse.Namespace) -> int:
    from vmi_converter.server.typical import needed_context

    try:
        items = items_in(args.file, read(args.file))
        if len(items) != 1:
            raise ConversionError("", f"carries {len(items)} VMIs: give a file with one")
        context, descriptions = needed_context(decode_vmi(items[0].vmi)[0])
    except (OSError, ConversionError) as err:
        print(f"{args.file}: {err}", file=sys.stderr)
        return 1
    print(json.dumps({"context": context, "descriptions": descriptions}, indent=2))
    return 0
