# syntax=docker/dockerfile:1
# vmi-converter image: the gRPC server in a virtualenv on python:3.11-slim, running as an unprivileged user.
#   docker build -t vmi-converter .
#   docker run -p 50051:50051 -p 9090:9090 vmi-converter
# Ports: 50051 gRPC (kubevirt.converter.v1.Converter, health, reflection), 50052 plaintext gRPC health only
# (for probes and the HEALTHCHECK below), 9090 Prometheus /metrics.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY converter converter
COPY server server
COPY protos/python protos/python
# Runtime dependencies only (no [test] extra); wheels for every dependency exist, so no compiler is needed.
RUN pip install . \
 && pip uninstall --yes pip setuptools \
 && python -m compileall -q /opt/venv

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 converter \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin converter
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 50051 50052 9090
# Asks the health-only port; keep --health-listen on 50052 when overriding the command.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["vmi-converter", "health", "--target", "127.0.0.1:50052", "--timeout", "3"]
ENTRYPOINT ["vmi-converter", "serve"]
# Plaintext on all interfaces is for trying the image out (hence --insecure); deploy/ shows TLS.
CMD ["--listen", "0.0.0.0:50051", "--insecure", "--health-listen", "0.0.0.0:50052", "--metrics-listen", "0.0.0.0:9090"]
