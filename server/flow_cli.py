"""CLI subcommands for the flows around a conversion: migratable-xml, hotplug-disk, explain.

Each takes its RPC's request as a YAML or JSON file (protobuf's JSON names,
`-` for stdin) and prints the response, so a request captured from a
launcher can be replayed by hand. The flows and the explainer are imported by the subcommand that
runs them, so `vmi-converter convert` does not pay for them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.server.requests import check_context, check_vmi, load_document, split_request


def add_flow_commands(commands: Any) -> None:
    mig = commands.add_parser(
        "migratable-xml",
        help="rewrite a domain for live migration (MigratableXML)",
        epilog="example:\n  vmi-converter migratable-xml examples/migratable-xml.yaml | jq -r .domainXml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mig.add_argument("file", metavar="FILE", help="a MigratableXMLRequest as YAML/JSON; - for stdin")
    mig.set_defaults(run=lambda args: _flow(args.file, "migratable_xml"))

    hot = commands.add_parser(
        "hotplug-disk",
        help="disks to detach, attach and update (HotplugDisk)",
        epilog="example:\n  vmi-converter hotplug-disk examples/hotplug-disk.yaml | jq '.attach[].volume'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hot.add_argument("file", metavar="FILE", help="a HotplugDiskRequest as YAML/JSON; - for stdin")
    hot.set_defaults(run=lambda args: _flow(args.file, "hotplug_disk"))

    why = commands.add_parser(
        "explain",
        help="convert and say where every element of the domain came from",
        epilog="examples:\n  vmi-converter explain --context examples/context-amd64-kvm.json vmi.yaml\n"
        "  vmi-converter explain --json request.json | jq '.explanations[] | select(.facts != [])'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    why.add_argument("file", metavar="FILE", help="a VMI or a ConvertRequest as YAML/JSON; - for stdin")
    why.add_argument("--context", metavar="FILE", help="ConverterContext when FILE carries none")
    why.add_argument("--json", action="store_true", help='{"domainXml", "explanations": [...]} instead of XML')
    why.set_defaults(run=_explain)


def _read(name: str) -> bytes:
    return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()


def _document(name: str) -> dict[str, Any]:
    document = load_document(_read(name), "")
    if not isinstance(document, dict):
        raise ConversionError("", "expected a JSON/YAML object")
    if "vmiJson" in document and "vmi" not in document:
        document["vmi"] = load_document(document.pop("vmiJson"), "vmiJson")
    document["vmi"] = check_vmi(document.get("vmi"), "vmi")
    return document


def _flow(name: str, flow: str) -> int:
    """Run the function called `flow` of server/flows.py on the request in file `name`."""
    from vmi_converter.server import flows

    try:
        response = getattr(flows, flow)(_document(name))
    except (OSError, ConversionError) as err:
        print(f"{name}: {err}", file=sys.stderr)
        return 1
    print(json.dumps(response, indent=2))
    return 0


def _explain(args: argparse.Namespace) -> int:
    from vmi_converter.converter.explain import explain, render_commented

    try:
        vmi, context = split_request(load_document(_read(args.file), ""), "")
        if not context and args.context:
            context = check_context(load_document(_read(args.context), "context"), "context")
    except (OSError, ConversionError) as err:
        print(f"{args.file}: {err}", file=sys.stderr)
        return 1
    try:
        explained = explain(vmi, context)
    except ConversionError as err:  # the context itself was refused
        print(f"{args.file}: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(explained.as_json(), indent=2))
    elif explained.error is not None:
        print(f"{args.file}: rejected by {explained.error_rule}: {explained.error}", file=sys.stderr)
        print(f"fields read: {', '.join(explained.error_fields)}", file=sys.stderr)
    else:
        sys.stdout.write(render_commented(explained))
    return 1 if explained.error is not None else 0
