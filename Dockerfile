# A slim image that migrates and serves. Build: docker build -t salesagent .
# The base is pinned to a Python release on Debian bookworm (the tests' Debian); bump it on purpose.
FROM python:3.11.14-slim-bookworm

# HF_HOME: the speech model's cache (`salesagent voice fetch-model` fills it once), a volume.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HOST=0.0.0.0 PORT=8000 HF_HOME=/app/models
WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY agent ./agent
COPY channels ./channels
COPY rag_domains ./rag_domains
COPY storage ./storage
COPY exports ./exports
COPY console ./console
COPY shop_api ./shop_api
COPY metrics ./metrics
COPY salesagent ./salesagent
COPY migrations ./migrations
# data/ (report files, the links' signing key), media/ (customers' photos and voice notes) and
# models/ (the speech model) are volumes in docker-compose.yml: made here so that they belong to
# the service's user.
RUN pip install -e . && useradd --uid 10001 --create-home salesagent \
    && mkdir -p /app/data /app/media /app/models && chown -R 10001 /app
USER 10001

EXPOSE 8000
# The port the service listens on is PORT's, whatever it is set to.
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import os, sys, urllib.request; url = f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health\"; sys.exit(urllib.request.urlopen(url, timeout=4).status != 200)"]
# `serve` runs the migrations (alembic upgrade head) before it listens.
CMD ["salesagent", "serve"]
