# syntax=docker/dockerfile:1
#
# One image for every process of the platform: the seven services, the gateway and the
# migration job. The command is chosen per container (docker-compose.yml, deploy/k8s/):
#
#   python -m platform_kit.run <name>_svc.service     # a service
#   python -m platform_kit.run gateway.service        # the gateway (port 8000)
#   python -m platform_kit.migrate --all               # the one-shot migration job
#   python -m peers <mail|messaging|payment|supplier>  # a local peer (libs/peers; compose only)
#   python -m deploy.demo                              # the demo data (compose's one-shot job)
#
# Build:  docker build -t aftersales-platform:dev .
#   or, with no registry to pull python:3.11-slim from: deploy/containers/build-images.sh (podman)
#
# No secret is baked in: database URLs, JWT_SECRET etc. come from the environment at run time.

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Unprivileged user; fixed uid/gid so Kubernetes can check runAsNonRoot / runAsUser.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app

WORKDIR /app

# 1) Third-party dependencies: their own layer, rebuilt only when requirements.txt changes.
#    Lines that point at the repository's own packages (-e/paths), if any, are skipped
#    here: those packages are installed from the source below.
COPY requirements.txt /tmp/requirements.txt
RUN grep -vE '^[[:space:]]*(-e[[:space:]]|--editable|\./|libs/|services/|gateway)' \
        /tmp/requirements.txt > /tmp/requirements.third-party.txt \
 && pip install -r /tmp/requirements.third-party.txt \
 && pip install "setuptools>=68" wheel \
 && rm /tmp/requirements.txt /tmp/requirements.third-party.txt

# 2) The platform's own packages, built with the setuptools of layer 1 (no isolated build
#    environment downloaded per package: a code change rebuilds in seconds). Editable
#    installs keep each package in place under /app, so config.yml, alembic.ini and
#    migrations/ stay next to their package, where platform_kit.run and
#    platform_kit.migrate look for them.
COPY libs/ libs/
COPY services/ services/
COPY gateway/ gateway/
COPY deploy/services.toml deploy/__init__.py deploy/demo.py deploy/
# hadolint ignore=DL3013,SC2086
RUN set -eux; \
    args="-e gateway"; \
    for d in libs/*; do args="$args -e $d"; done; \
    for d in services/*_svc; do args="$args -e $d"; done; \
    pip install --no-deps --no-build-isolation $args; \
    pip check; \
    python -c "import platform_kit"; \
    mkdir -p /app/var && chown app:app /app/var

# Numeric, so that Kubernetes runAsNonRoot can verify it.
USER 10001:10001

EXPOSE 8000 8101 8102 8103 8104 8105 8106 8107

# platform_kit.run handles SIGTERM (graceful stop); compose and Kubernetes send it first.
STOPSIGNAL SIGTERM
