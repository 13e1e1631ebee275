"""`vmi-converter`: run the server, convert VMI files locally, check a server's health, print the version."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.server.config import (
    DEFAULT_LISTEN,
    DEFAULT_MAX_CONCURRENT_RPCS,
    DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_MAX_STREAM_ITEMS,
    DEFAULT_UNIX_SOCKET_MODE,
    ConfigError,
    ServerConfig,
    default_workers,
    is_unix,
)
from vmi_converter.server.flow_cli import add_flow_commands
from vmi_converter.server.logs import LEVELS


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return int(args.run(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vmi-converter", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    _add_serve(commands)

    conv = commands.add_parser("convert", help="convert VMI files (YAML or JSON) to domain XML")
    conv.add_argument("files", nargs="+", metavar="FILE", help="a VMI or a ConvertRequest; - for stdin")
    conv.add_argument("--context", metavar="FILE", help="ConverterContext for files that carry none")
    conv.add_argument("--out-dir", metavar="DIR", help="write DIR/STEM.xml or DIR/STEM.err per file")
    conv.set_defaults(run=_convert)

    ver = commands.add_parser("version", help="print the version, the KubeVirt commit and what is supported")
    ver.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    ver.set_defaults(run=_version)

    check = commands.add_parser("health", help="ask a server's grpc.health.v1 service; exit 0 when SERVING")
    check.add_argument("--target", default=DEFAULT_LISTEN, help=f"HOST:PORT or unix:PATH (default {DEFAULT_LISTEN})")
    check.add_argument("--service", default="", help='service to ask about (default "": the whole server)')
    check.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    check.add_argument("--tls-ca", metavar="FILE", help="verify the server's certificate with this CA (enables TLS)")
    check.add_argument("--tls-cert", metavar="FILE", help="client certificate for mutual TLS")
    check.add_argument("--tls-key", metavar="FILE", help="client key for mutual TLS")
    check.add_argument("--tls-server-name", metavar="NAME", help="name expected in the server's certificate")
    check.set_defaults(run=_health)

    add_flow_commands(commands)
    return parser


def _add_serve(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the gRPC server",
        description="Serve kubevirt.converter.v1.Converter, grpc.health.v1 and reflection. SIGTERM: health turns "
        "NOT_SERVING, new calls are refused after --shutdown-delay, calls in flight get --grace seconds, exit 0.",
    )
    listen = serve.add_argument_group("listening")
    listen.add_argument(
        "--listen",
        action="append",
        metavar="ADDR",
        help=f"HOST:PORT or unix:PATH; repeatable (default {DEFAULT_LISTEN}). Plaintext on a non-loopback "
        "address needs --insecure",
    )
    listen.add_argument(
        "--health-listen",
        action="append",
        default=[],
        metavar="ADDR",
        help="extra plaintext listener serving only grpc.health.v1 (kubelet gRPC probes speak no TLS); repeatable",
    )
    listen.add_argument("--metrics-listen", metavar="HOST:PORT", help="serve Prometheus /metrics here (default: off)")
    listen.add_argument(
        "--unix-socket-mode",
        type=_octal,
        default=DEFAULT_UNIX_SOCKET_MODE,
        metavar="OCTAL",
        help="file mode of unix sockets (default 0600: only this user may connect)",
    )
    listen.add_argument("--tls-cert", metavar="FILE", help="server certificate (PEM) for TCP listeners")
    listen.add_argument("--tls-key", metavar="FILE", help="server private key (PEM)")
    listen.add_argument("--tls-client-ca", metavar="FILE", help="require client certificates signed by this CA (mTLS)")
    listen.add_argument("--insecure", action="store_true", help="allow plaintext TCP on non-loopback addresses")

    limits = serve.add_argument_group("limits")
    limits.add_argument(
        "--max-message-bytes",
        type=int,
        default=DEFAULT_MAX_MESSAGE_BYTES,
        metavar="N",
        help="largest request or answer; larger ones get RESOURCE_EXHAUSTED (default 16 MiB)",
    )
    limits.add_argument(
        "--max-concurrent-rpcs",
        type=int,
        default=DEFAULT_MAX_CONCURRENT_RPCS,
        metavar="N",
        help="calls served at once per worker (an open stream counts); more get RESOURCE_EXHAUSTED "
        f"(default {DEFAULT_MAX_CONCURRENT_RPCS})",
    )
    limits.add_argument(
        "--max-stream-items",
        type=int,
        default=DEFAULT_MAX_STREAM_ITEMS,
        metavar="N",
        help="items per ConvertStream call; the next one ends the stream with RESOURCE_EXHAUSTED "
        f"(default {DEFAULT_MAX_STREAM_ITEMS})",
    )

    process = serve.add_argument_group("processes")
    process.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="server processes sharing the TCP ports (SO_REUSEPORT) under a supervisor; unix sockets are served "
        "by worker 0 only, and a server with no TCP address runs one process (default: usable CPUs)",
    )
    process.add_argument(
        "--grace",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="time in-flight calls get after SIGTERM (default 10)",
    )
    process.add_argument(
        "--shutdown-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="time between turning NOT_SERVING and refusing new calls on SIGTERM (default 0)",
    )
    process.add_argument(
        "--log-level", default="INFO", type=str.upper, choices=LEVELS, help="JSON-lines log on stderr (default INFO)"
    )
    serve.set_defaults(run=_serve)


def _octal(text: str) -> int:
    try:
        return int(text, 8)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an octal file mode such as 0600") from None


def serve_config(args: argparse.Namespace) -> ServerConfig:
    """The server settings the parsed `serve` arguments ask for (not yet validated)."""
    listen = args.listen or [DEFAULT_LISTEN]
    workers = args.workers if args.workers is not None else default_workers()
    if all(is_unix(a) for a in listen):
        workers = 1
    return ServerConfig(
        listen=listen,
        health_listen=args.health_listen,
        metrics_listen=args.metrics_listen,
        grace=args.grace,
        shutdown_delay=args.shutdown_delay,
        max_message_bytes=args.max_message_bytes,
        max_concurrent_rpcs=args.max_concurrent_rpcs,
        max_stream_items=args.max_stream_items,
        unix_socket_mode=args.unix_socket_mode,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        tls_client_ca=args.tls_client_ca,
        insecure=args.insecure,
        workers=workers,
        log_level=args.log_level,
    )


def _serve(args: argparse.Namespace) -> int:
    from vmi_converter.server.logs import configure

    configure(args.log_level)
    try:
        config = serve_config(args).validate()
        if config.workers > 1:
            from vmi_converter.server.workers import supervise

            return supervise(config)
        from vmi_converter.server.app import serve

        return serve(config)
    except ConfigError as err:
        print(f"vmi-converter serve: error: {err}", file=sys.stderr)
        return 2


def _version(args: argparse.Namespace) -> int:
    from vmi_converter.server.info import describe, server_info

    sys.stdout.write(json.dumps(server_info()) + "\n" if args.json else describe())
    return 0


def _health(args: argparse.Namespace) -> int:
    from vmi_converter.server.probe import check_health

    status, error = check_health(
        args.target,
        service=args.service,
        timeout=args.timeout,
        ca=args.tls_ca,
        cert=args.tls_cert,
        key=args.tls_key,
        server_name=args.tls_server_name,
    )
    print(status if error is None else f"{status}: {error}")
    return 0 if status == "SERVING" else 1


def _read(name: str) -> bytes:
    return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()


def _convert_one(name: str, data: bytes, default_context: dict[str, Any]) -> str:
    from vmi_converter.converter.pipeline import convert
    from vmi_converter.server.requests import json_vmi_warnings, load_document, split_request

    vmi, context = split_request(load_document(data, ""), "")
    warnings = json_vmi_warnings(vmi)
    result = convert(vmi, context or default_context)
    for warning in warnings + result.warnings:
        print(f"{name}: warning: {warning}", file=sys.stderr)
    return result.xml


def _convert(args: argparse.Namespace) -> int:
    from vmi_converter.server.requests import check_context, load_document

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
