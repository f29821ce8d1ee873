# Builds the release binary, then ships it alone on a slim base.
FROM rust:1-slim-bookworm AS build
WORKDIR /app
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin voicebridge

FROM debian:bookworm-slim
# TLS roots are compiled in (webpki-roots); no system packages are needed.
RUN useradd --system --uid 10001 --no-create-home voicebridge
WORKDIR /app
COPY --from=build /app/target/release/voicebridge /app/voicebridge
COPY prompts ./prompts
ENV HOST=0.0.0.0 \
    PORT=8080 \
    SYSTEM_PROMPT_FILE=/app/prompts/system.md \
    LOG_FORMAT=json
USER voicebridge
EXPOSE 8080
CMD ["/app/voicebridge"]
