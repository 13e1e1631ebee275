# syntax=docker/dockerfile:1
# vmi-converter image: the gRPC server in a virtualenv, running as an unprivileged user.
#   scripts/build-image            (prepares wheelhouse/, then docker, podman or buildah build this file)
#   docker run -p 50051:50051 -p 50052:50052 -p 9090:9090 vmi-converter:0.1.0
# Ports: 50051 gRPC (kubevirt.converter.v1.Converter, health, reflection), 50052 plaintext gRPC health only
# (for probes and the HEALTHCHECK below), 9090 Prometheus /metrics.
#
# Nothing is downloaded inside the build: Python packages come from wheelhouse/, which scripts/build-image
# fills on the host (pip wheel/pip download). The bases: python:3.11-slim where an engine can pull, or
# Debian bookworm images made by mmdebstrap (scripts/build-image --debian-base), where the build base
# already carries gcc and the Python headers.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG BUILD_IMAGE=python:3.11-slim-bookworm

FROM ${BUILD_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# A C compiler and the Python headers, for the compiled core (pip install . compiles it when gcc is there).
# python:3.11-slim has the headers but no gcc; the mmdebstrap'd build base has both, so no apt here.
RUN if ! command -v gcc >/dev/null \
       || ! python3 -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))'; then \
      apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*; \
    fi
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY wheelhouse /wheelhouse
COPY pyproject.toml setup.py README.md ./
COPY converter converter
COPY server server
COPY protos/python protos/python
# Runtime dependencies only (no [test] extra), all from the wheelhouse.
RUN pip install --no-index --find-links /wheelhouse . \
 && pip uninstall --yes pip setuptools \
 && python3 -m compileall -q /opt/venv

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
