# briefbot in a container: non-root, SQLite on a volume, `briefbot run` by default.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BRIEFBOT_CONFIG=/app/config.yaml

RUN useradd --create-home --uid 10001 briefbot \
 && mkdir -p /data \
 && chown briefbot:briefbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY briefbot ./briefbot
COPY templates ./templates
RUN pip install '.[postgres]'

COPY --chown=briefbot:briefbot samples /app/samples
COPY --chown=briefbot:briefbot config.yaml /app/config.yaml

USER briefbot
VOLUME ["/data"]
# The bundled config stores its SQLite file beside itself; point real deployments at /data.
ENV BRIEFBOT_DATABASE=sqlite:////data/briefbot.db \
    BRIEFBOT_HEARTBEAT=/data/heartbeat

# Healthy while `briefbot run` completes a tick every few minutes.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s \
  CMD ["briefbot", "health", "--max-age", "5m"]

CMD ["briefbot", "run"]
