# The product's image for docker-compose.yml: web (gunicorn), worker and beat run the same image.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements/prod.lock pyproject.toml ./
RUN pip install --no-cache-dir --require-hashes -r prod.lock

COPY . .
RUN pip install --no-cache-dir --no-deps -e . \
 && DATABASE_URL=postgres://build@localhost/build SECRET_KEY=build-only \
    python manage.py collectstatic --noinput --verbosity 0 \
 && useradd --system --create-home medspa && mkdir -p /app/.data && chown -R medspa /app/.data
USER medspa

EXPOSE 8000
CMD ["gunicorn", "medspa.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
