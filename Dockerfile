# One image for `opsbot serve` and `opsbot worker`.
FROM python:3.11.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
RUN python -m venv /opt/opsbot && /opt/opsbot/bin/pip install --no-compile .

FROM python:3.11.11-slim-bookworm
ENV PATH=/opt/opsbot/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --system --uid 10001 --home-dir /srv/opsbot --create-home opsbot
COPY --from=build /opt/opsbot /opt/opsbot
WORKDIR /srv/opsbot
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["opsbot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
