# One image, two entry points: `rentdesk serve` (API) and `rentdesk-worker` (jobs).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin rentdesk --bin rentdesk-worker

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/rentdesk /src/target/release/rentdesk-worker /usr/local/bin/
ENV BIND_ADDR=0.0.0.0:8080 LOG_FORMAT=json
EXPOSE 8080
CMD ["rentdesk", "serve"]
