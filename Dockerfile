# Tremplin in a container: slim, non-root. NOT BUILT on the project's machines (no container engine
# there): keep it in step with deploy/systemd/ and docs/deploiement.md, which are what the rehearsal runs.
#   docker build -t tremplin .
#   docker run --env-file .env -p 127.0.0.1:8443:8443 tremplin
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system tremplin && useradd --system --gid tremplin --home-dir /app --shell /usr/sbin/nologin tremplin

WORKDIR /app
# The code, config.yml and data/ (.dockerignore leaves out .venv, var, keys, tests...). An editable install:
# Tremplin reads config.yml and data/ next to its packages, here in /app.
COPY . .
# Pango: WeasyPrint's text layout, for the Département's report as PDF (docs/rapport.md).
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
RUN pip install -e .

# var/ holds the embedded NLU's trained model (made at the first start) and nothing else with PostgreSQL.
RUN mkdir -p var /run/tremplin/prometheus && chown -R tremplin:tremplin var /run/tremplin
USER tremplin

ENV TREMPLIN_TELEGRAM__MODE=webhook \
    TREMPLIN_TELEGRAM__WEBHOOK_LISTEN=0.0.0.0 \
    TREMPLIN_TELEGRAM__WEBHOOK_PORT=8443
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8443/healthz').status != 200)"
ENTRYPOINT ["tremplin"]
CMD ["run"]
