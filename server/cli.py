"""`vmi-converter`: run the server, or convert VMI files locally."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from converter.errors import ConversionError
from server.app import DEFAULT_LISTEN


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return int(args.run(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vmi-converter", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the gRPC server")
    serve.add_argument(
        "--listen",
        action="append",
        metavar="ADDR",
        help=f"host:port or unix:/path; repeatable (default {DEFAULT_LISTEN})",
    )
    serve.add_argument("--grace", type=float, default=10.0, help="seconds to drain calls on SIGTERM")
    serve.add_argument("--threads", type=int, default=8, help="RPC worker threads")
    serve.add_argument("--log-level", default="INFO")
    serve.set_defaults(run=_serve)

    conv = commands.add_parser("convert", help="convert VMI files (YAML or JSON) to domain XML")
    conv.add_argument("files", nargs="+", metavar="FILE", help="a VMI or a ConvertRequest; - for stdin")
    conv.add_argument("--context", metavar="FILE", help="ConverterContext for files that carry none")
    conv.add_argument("--out-dir", metavar="DIR", help="write DIR/STEM.xml or DIR/STEM.err per file")
    conv.set_defaults(run=_convert)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from server.app import serve

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return serve(args.listen or [DEFAULT_LISTEN], grace=args.grace, max_workers=args.threads)


def _read(name: str) -> bytes:
    return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()


def _convert_one(name: str, data: bytes, default_context: dict[str, Any]) -> str:
    from converter.pipeline import convert
    from server.requests import load_document, split_request, unknown_field_warnings

    vmi, context = split_request(load_document(data, ""), "")
    result = convert(vmi, context or default_context)
    for warning in unknown_field_warnings(vmi) + result.warnings:
        print(f"{name}: warning: {warning}", file=sys.stderr)
    return result.xml


def _convert(args: argparse.Namespace) -> int:
    from server.requests import check_context, load_document

    default_context: dict[str, Any] = {}
    if args.context:
        try:
            default_context = check_context(load_document(_read(args.context), "context"), "context")
        except (OSError, ConversionError) as err:
            print(f"{args.context}: {err}", file=sys.stderr)
            return 2
    if not args.out_dir and len(args.files) > 1:
        print("several files need --out-dir", file=sys.stderr)
        return 2
    failed = False
    for name in args.files:
        try:
            xml, error = _convert_one(name, _read(name), default_context), None
        except (OSError, ConversionError) as err:
            xml, error = None, str(err)
        failed = failed or error is not None
        if args.out_dir:
            _write_result(Path(args.out_dir), name, xml, error)
        elif error is not None:
            print(f"{name}: {error}", file=sys.stderr)
        else:
            sys.stdout.write(xml or "")
    return 1 if failed else 0


def _write_result(out_dir: Path, name: str, xml: str | None, error: str | None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "stdin" if name == "-" else Path(name).stem
    (out_dir / f"{stem}.xml").unlink(missing_ok=True)
    (out_dir / f"{stem}.err").unlink(missing_ok=True)
    if error is not None:
        (out_dir / f"{stem}.err").write_text(error + "\n")
    else:
        (out_dir / f"{stem}.xml").write_text(xml or "")


if __name__ == "__main__":
    sys.exit(main())
