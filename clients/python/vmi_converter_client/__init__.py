"""Typed Python client of the vmi-converter gRPC service (kubevirt.converter.v1.Converter).

    from vmi_converter_client import Client, ConversionFailed

    with Client("unix:/run/conv.sock") as client:          # or "127.0.0.1:50051"
        result = client.convert(vmi, context={"architecture": "amd64"})
        print(result.domain_xml, result.warnings)
        for answer in client.convert_many([{"id": "a", "vmi": vmi, "context": ctx}, ...]):
            if isinstance(answer, ConversionFailed):
                print(answer.id, answer.code, answer.field, answer.message)

The generated stubs it uses ship inside it, as `vmi_converter_client.api.*_pb2`.
"""

from vmi_converter_client.client import (
    Client,
    ContextLike,
    ConversionFailed,
    ConvertResult,
    FieldViolation,
    ItemLike,
    VmiLike,
)

__all__ = ["Client", "ContextLike", "ConversionFailed", "ConvertResult", "FieldViolation", "ItemLike", "VmiLike"]
