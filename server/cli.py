"""`vmi-converter`: run the server, convert VMI files locally, check a server's health, print the version.

Each subcommand imports what it runs when it runs (the server, grpc, the flows, the explainer), so a
one-file `vmi-converter convert` starts without them.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from typing import Any

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
from vmi_converter.server.convert_cli import add_convert_commands
from vmi_converter.server.flow_cli import add_flow_commands
from vmi_converter.server.logs import LEVELS

# Exit codes: 0 done, 1 an input was refused, 2 a usage or configuration error, 3 a bug.
INTERNAL_ERROR = 3


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except Exception:
        # Not a refused input: say so apart from a rejection, with the traceback a bug report needs.
        traceback.print_exc()
        print("vmi-converter: internal error (a bug, not a problem with the input); "
              "please report it with the traceback above", file=sys.stderr)
        return INTERNAL_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vmi-converter", description=__doc__)
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    _add_serve(commands)

    add_convert_commands(commands)

    ver = commands.add_parser(
        "version",
        help="print the version, the KubeVirt commit and what is supported",
        epilog="example:\n  vmi-converter version --json | jq .architectures",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ver.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    ver.set_defaults(run=_version)

    check = commands.add_parser(
        "health",
        help="ask a server's grpc.health.v1 service; exit 0 when SERVING",
        epilog="example:\n  vmi-converter health --target 127.0.0.1:50052 --service kubevirt.converter.v1.Converter",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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


class _VersionAction(argparse.Action):
    """argparse's "version" action, but reading the installed version (importlib.metadata) only when asked."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from vmi_converter.server.info import version

        sys.stdout.write(f"vmi-converter {version()}\n")
        parser.exit()


def _add_serve(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the gRPC server",
        description="Serve kubevirt.converter.v1.Converter, grpc.health.v1 and reflection. SIGTERM: health turns "
        "NOT_SERVING, new calls are refused after --shutdown-delay, calls in flight get --grace seconds, exit 0.",
        epilog="examples:\n  vmi-converter serve                                   # 127.0.0.1:50051\n"
        "  vmi-converter serve --listen unix:/var/run/vmi-converter/converter.sock   # instead of TCP",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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


if __name__ == "__main__":
    sys.exit(main())
