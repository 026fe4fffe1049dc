# syntax=docker/dockerfile:1
# One image per service, from this one file (decision 105):
#   docker build --build-arg SERVICE=registry --build-arg PORT=8000 -t partia-registry .
# A new service (finance on 8001, notifications on 8002) needs only its own build args.
# The image holds code only: no key, token or password is baked in; they come at run time
# from the environment or from files in PARTIA_SECRETS_DIR (docker-compose.yml, deploy/).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: wheels of the shared packages, the service and every dependency, at the versions
# pinned in constraints.txt (the same pins `make test` runs against).
FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE=registry
WORKDIR /src
COPY constraints.txt ./
COPY contracts/ contracts/
COPY services/ services/
RUN pip wheel --no-cache-dir --wheel-dir /wheels --constraint constraints.txt \
        ./contracts ./services/kit "./services/${SERVICE}"

# --- runtime: the wheels installed into a slim Python, run by an unprivileged user.
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE=registry
ARG PORT=8000
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HEALTHCHECK_URL=http://127.0.0.1:${PORT}/ready
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels "partia-${SERVICE}" \
    && ln -s "/usr/local/bin/partia-${SERVICE}" /usr/local/bin/partia-service \
    && groupadd --system --gid 10001 partia \
    && useradd --system --uid 10001 --gid partia --create-home --home-dir /home/partia partia
WORKDIR /home/partia
USER 10001:10001
EXPOSE ${PORT}
# Slim images have no curl: Python's urllib asks /ready (a 503 raises, so the check fails).
# The projection runner and the relay answer on PARTIA_METRICS_PORT: set HEALTHCHECK_URL for them.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['HEALTHCHECK_URL'], timeout=4)"]
CMD ["partia-service", "serve", "--host", "0.0.0.0"]
