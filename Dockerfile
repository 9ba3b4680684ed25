# One image for `opsbot serve` (the default command) and `opsbot worker`.
#
#   docker build -t opsbot .
#   docker run --init --read-only --env-file .env -p 8080:8080 opsbot
#   docker run --init --read-only --env-file .env --no-healthcheck opsbot worker
#
# The HEALTHCHECK asks the web process for /healthz on port 8080. A worker
# serves no HTTP, so it would always be unhealthy: run workers with
# --no-healthcheck (deploy/compose.yaml sets `healthcheck: disable: true`).
# A worker that dies ends its container and the restart policy replaces it.
# If you run serve on another --port, override the health check too.
#
# --init puts a small init as PID 1: it forwards SIGTERM to opsbot even during
# start-up, before opsbot has installed its own handlers (the kernel drops
# signals that PID 1 doesn't handle), and reaps any child processes.

# The base is pinned to an exact Python patch release and Debian release, and
# both stages use the same one, so the virtualenv's interpreter path
# (/usr/local/bin/python3.11) is valid in the final stage.
FROM python:3.11.17-slim-bookworm AS build

# Same pip behaviour whatever pip.conf or defaults the base brings.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_NO_INPUT=1 \
    PIP_ROOT_USER_ACTION=ignore

# The runtime environment gets no pip or setuptools of its own: the base's pip
# installs into it from outside (`pip --python`).
RUN python -m venv --without-pip /opt/opsbot

WORKDIR /src

# Dependencies first, from pyproject.toml alone, so editing the code doesn't
# reinstall them. Every dependency ships manylinux wheels for CPython 3.11 on
# x86_64 and aarch64; --only-binary makes a missing wheel fail here instead of
# needing a compiler, which neither stage has.
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/requirements.txt \
    && python -m pip --python /opt/opsbot/bin/python install --no-cache-dir --only-binary=:all: \
        --requirement /tmp/requirements.txt

COPY README.md ./
COPY bot ./bot
COPY handlers ./handlers
# The root filesystem is read-only at run time and PYTHONDONTWRITEBYTECODE is
# set, so bytecode is compiled here or on every start. unchecked-hash: the
# files never change inside the image, so Python needn't stat the sources.
RUN python -m pip --python /opt/opsbot/bin/python install --no-cache-dir --no-compile --only-binary=:all: \
        --no-deps . \
    && /opt/opsbot/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/opsbot/lib


FROM python:3.11.17-slim-bookworm

LABEL org.opencontainers.image.title="opsbot" \
      org.opencontainers.image.description="ChatOps bot for operations teams: Slack, GitHub and GitLab, with a Claude-powered Ops agent." \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.17-slim-bookworm"

# The official Python images ship the standard library without bytecode;
# compile the parts a server can import (not the GUI, packaging or 2to3
# tools), for the same read-only reason as above. Then the user opsbot runs
# as: no login, no home of its own, owning nothing in the image.
RUN python -m compileall -q -j 0 --invalidation-mode unchecked-hash \
        -x '/(idlelib|tkinter|turtledemo|lib2to3|ensurepip|pydoc_data|site-packages|test|tests)/' /usr/local/lib/python3.11 \
    && groupadd --system --gid 10001 opsbot \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /srv/opsbot \
        --shell /usr/sbin/nologin opsbot

COPY --from=build /opt/opsbot /opt/opsbot

ENV PATH=/opt/opsbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /srv/opsbot
USER 10001:10001
EXPOSE 8080
# What Docker, compose and Kubernetes send anyway, said out loud: opsbot
# drains on SIGTERM (uvicorn's graceful shutdown, the worker's stop grace).
STOPSIGNAL SIGTERM
# Python's urllib, because the slim base has no curl. Connection refused, a
# timeout or any status but 200 exits 1 (unhealthy).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["opsbot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
