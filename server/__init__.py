"""gRPC front end of the converter: decode, convert, map errors to status codes."""
