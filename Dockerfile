# Multi-stage build: compile the release binary, then ship it alone on a slim image.
FROM rust:1-slim-bookworm AS build
WORKDIR /app
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY static ./static
COPY migrations ./migrations
COPY benches ./benches
RUN cargo build --release --locked --bin voicebridge

FROM debian:bookworm-slim
# TLS roots are compiled in, but CA certificates are kept for anything that reads the
# system store; nothing else is installed.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home voicebridge
WORKDIR /app
COPY --from=build /app/target/release/voicebridge /app/voicebridge
COPY prompts ./prompts
COPY tools ./tools
COPY agents ./agents
COPY deploy/start.sh /app/start.sh
ENV HOST=0.0.0.0 \
    PORT=8080 \
    SYSTEM_PROMPT_FILE=/app/prompts/system.md \
    TOOLS_DIR=/app/tools \
    AGENTS_DIR=/app/agents \
    CALL_STORE_URL=sqlite:///app/data/calls.db \
    LOG_FORMAT=json
# Starts as root only to hand the data volume to the voicebridge user, then runs the
# server as that user (deploy/start.sh, with util-linux's setpriv).
EXPOSE 8080
CMD ["/app/start.sh"]
