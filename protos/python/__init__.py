"""Generated gRPC/protobuf stubs of kubevirt.converter.v1 (scripts/gen-protos)."""
