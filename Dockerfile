# The flowatlas app. It talks to a Neo4j server given by NEO4J_URI (docker-compose.yml
# runs one), so the image needs no Java and no Neo4j of its own.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The project's files only, named one by one: copying the whole folder would put a
# local .env (with its password), .venv and .flowatlas (a local graph) into the image.
COPY pyproject.toml README.md app.py cli.py ./
COPY ingest/ ingest/
COPY graph/ graph/
COPY pages/ pages/
COPY examples/ examples/

RUN pip install . && rm -rf build ./*.egg-info

# Run the source tree under /app (where Streamlit finds pages/ next to app.py), with
# the installed `flowatlas` command importing the same modules.
ENV PYTHONPATH=/app

RUN useradd --create-home --uid 10001 flowatlas
USER flowatlas
# Unused while NEO4J_URI is set; points anything flowatlas keeps locally at a writable place.
ENV FLOWATLAS_HOME=/home/flowatlas/.flowatlas

EXPOSE 8501
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true"]
