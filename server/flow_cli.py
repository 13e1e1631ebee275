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
from vmi_converter.server.decoder import decode_context, decode_flow_document, decode_parts
from vmi_converter.server.requests import load_document, split_request


def add_flow_commands(commands: Any) -> None:
    mig = commands.add_parser(
        "migratable-xml",
        help="rewrite a domain for live migration (MigratableXML)",
        epilog="example:\n  vmi-converter migratable-xml examples/migratable-xml.yaml | jq -r .domainXml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mig.add_argument("file", metavar="FILE", help="a MigratableXMLRequest as YAML/JSON; - for stdin")
    mig.set_defaults(run=lambda args: _flow(args.file, "MigratableXMLRequest", "migratable_xml"))

    hot = commands.add_parser(
        "hotplug-disk",
        help="disks to detach, attach and update (HotplugDisk)",
        epilog="example:\n  vmi-converter hotplug-disk examples/hotplug-disk.yaml | jq '.attach[].volume'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hot.add_argument("file", metavar="FILE", help="a HotplugDiskRequest as YAML/JSON; - for stdin")
    hot.set_defaults(run=lambda args: _flow(args.file, "HotplugDiskRequest", "hotplug_disk"))

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


def _flow(name: str, request_type: str, flow: str) -> int:
    """Run the function called `flow` of server/flows.py on the request in file `name`, decoded as the RPC
    decodes a `request_type`; the decoder's warnings also on stderr, as `convert` prints them."""
    from vmi_converter.api import service_pb2
    from vmi_converter.server import flows

    try:
        document, warnings = decode_flow_document(load_document(_read(name), ""), getattr(service_pb2, request_type))
        response = getattr(flows, flow)(document, warnings)
    except (OSError, ConversionError) as err:
        print(f"{name}: {err}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"{name}: warning: {warning}", file=sys.stderr)
    print(json.dumps(response, indent=2))
    return 0


def _explain(args: argparse.Namespace) -> int:
    from vmi_converter.converter.explain import explain, render_commented

    try:
        vmi, context = split_request(load_document(_read(args.file), ""), "")
        if not context and args.context:
            context = decode_context(load_document(_read(args.context), "context"))[0]
        decoded = decode_parts(vmi, context)
    except (OSError, ConversionError) as err:
        print(f"{args.file}: {err}", file=sys.stderr)
        return 1
    for warning in decoded.warnings:
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    try:
        explained = explain(decoded.vmi, decoded.context)
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
