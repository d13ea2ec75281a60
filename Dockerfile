# Beadle: the web endpoint and the review workers in one container (`beadle serve`).
# Settings come from the environment (`docker run --env-file .env`); see README.md, "Docker".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin beadle \
    && mkdir /data && chown beadle:beadle /data

WORKDIR /src
COPY pyproject.toml README.md app.yml ./
COPY bot ./bot
COPY prompts ./prompts
RUN pip install . && rm -rf /src

# The working directory holds the default SQLite queue (DATABASE_URL) and any .env.
WORKDIR /data
VOLUME /data
USER beadle
EXPOSE 3000
CMD ["beadle", "serve"]
