# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY converter converter
COPY server server
COPY clients/python clients/python
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home converter
COPY --from=build /install /usr/local
USER 10001
EXPOSE 50051
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s \
  CMD python -c "import grpc,sys; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g; \
c=grpc.insecure_channel('127.0.0.1:50051'); \
sys.exit(g.HealthStub(c).Check(h.HealthCheckRequest(), timeout=3).status != h.HealthCheckResponse.SERVING)"
ENTRYPOINT ["vmi-converter", "serve"]
CMD ["--listen", "0.0.0.0:50051"]
