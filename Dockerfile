# Build stage: the release binary (SQLite is bundled; TLS uses rustls, no OpenSSL).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# .cargo/config.toml holds the bundled SQLite's build options.
COPY .cargo ./.cargo
COPY src ./src
COPY migrations ./migrations
COPY schemas ./schemas
RUN cargo build --release --locked --bin scim-connector

# Runtime stage: a small non-root image.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home scim
COPY --from=build /src/target/release/scim-connector /usr/local/bin/scim-connector
USER scim
WORKDIR /data
VOLUME ["/data"]
ENV DATABASE_URL=sqlite:///data/scim-connector.db \
    SCIM_CONNECTOR_BIND=0.0.0.0:8080 \
    SCIM_CONNECTOR_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["scim-connector"]
CMD ["serve"]
