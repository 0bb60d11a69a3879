# A slim image that migrates and serves. Build: docker build -t salesagent .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HOST=0.0.0.0 PORT=8000
WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY agent ./agent
COPY channels ./channels
COPY rag_domains ./rag_domains
COPY storage ./storage
COPY exports ./exports
COPY migrations ./migrations
# data/ (report files, the links' signing key) and media/ (customers' photos and voice notes)
# are volumes in docker-compose.yml: made here so that they belong to the service's user.
RUN pip install -e . && useradd --create-home salesagent \
    && mkdir -p /app/data /app/media && chown -R salesagent /app
USER salesagent

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
# `serve` runs the migrations (alembic upgrade head) before it listens.
CMD ["salesagent", "serve"]
