# Herd as a container image: one compiled binary on a slim Debian base.
#
#   docker build -t herd:0.1.0 .                       # the tag deploy/kubernetes.yaml uses
#   docker run --rm -p 8080:8080 herd:0.1.0            # the embedded default app
#   docker run --rm -p 8080:8080 -e HERD_WORKERS=4 herd:0.1.0
#
# A compiled binary imports only what was embedded when it was built, so this
# image serves the embedded default app and cannot load an app.ts from disk.
# To ship your own app, compile a program that passes it to Herd's serve()
# (README, "One binary"): examples/biorempp/Dockerfile is such an image. The
# health check below asks /healthz, which the default app answers: your app
# must answer it too, or the check must name a path it does answer.

# ---- build: compile main.ts into one binary --------------------------------
# Unlike the development machines, this stage has network access, so
# `deno compile` can download its denort runtime (no DENORT_BIN needed).
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
# Dependencies first, so editing the source does not refetch them.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY . .
RUN deno task compile

# ---- runtime ---------------------------------------------------------------
# Not distroless: the entrypoint needs a POSIX sh (and the health check bash).
FROM debian:bookworm-slim
# tini is pid 1: it reaps orphaned processes (anything the app starts and abandons
# would otherwise pile up as zombies under the Herd master, which cannot reap what
# it did not start) and passes every signal on to the master. A container ends
# with its master, so Herd ignores USR2 here (with a line): roll out a new
# container to upgrade.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin herd \
    && install -d -o herd -g herd /app/logs
WORKDIR /app
# /app, the binary and the entrypoint stay owned by root: the server cannot rewrite
# or replace them (in a directory of its own it could rename a new file over them).
# It owns only logs/.
COPY --from=build /src/dist/herd /app/herd
COPY --chmod=0755 scripts/entrypoint.sh /app/entrypoint.sh
# HOST=0.0.0.0: a server bound to 127.0.0.1 in a container is unreachable
# through the published port. The production profile logs to /app/logs.
ENV HOST=0.0.0.0 PORT=8080 HERD_ENV=production
EXPOSE 8080
USER 10001
# The master drains on SIGTERM: workers finish in-flight requests first. Give
# `docker stop` more than graceful_timeout (30 s): `docker stop -t 45`.
STOPSIGNAL SIGTERM
# The image has no curl; bash's /dev/tcp makes the request instead, on the port
# Herd takes (HERD_PORT outranks PORT). Kubernetes ignores this and uses its own
# probes (deploy/kubernetes.yaml).
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${HERD_PORT:-${PORT:-8080}} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/entrypoint.sh"]
CMD ["serve"]
