//! Reading a webhook's body, which is untrusted until its signature is checked: at most
//! `WEBHOOK_MAX_INFLIGHT_BODIES` are read at once, each must arrive in full within
//! `WEBHOOK_BODY_TIMEOUT_MS`, and none is read for a request whose signature header is
//! already missing, malformed or stale.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{web, HttpRequest};
use bytes::Bytes;
use tokio::sync::Semaphore;

use super::read_body;
use crate::config::WebhookLimits;
use crate::routes::error::ApiError;
use crate::webhook::{signature, SignatureError};

/// What a webhook refused for lack of room is told to wait before trying again.
const BUSY_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The name of Layercode's signature header.
pub(super) const SIGNATURE_HEADER: &str = "layercode-signature";

/// The room for webhook bodies being read, shared by every worker of the server.
#[derive(Clone)]
pub struct WebhookBodies {
    permits: Arc<Semaphore>,
    deadline: Duration,
}

impl WebhookBodies {
    /// Room for `limits.max_inflight_bodies` bodies, each read within `limits.body_timeout`.
    pub fn new(limits: WebhookLimits) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limits.max_inflight_bodies)),
            deadline: limits.body_timeout,
        }
    }

    /// Reads the body of `request` up to `limit` bytes, within the deadline, if there is
    /// room; the room is given back as soon as the body is in hand (or the read failed).
    pub(super) async fn read(
        &self,
        request: &HttpRequest,
        payload: web::Payload,
        limit: usize,
    ) -> Result<Bytes, ApiError> {
        let _room = self
            .permits
            .try_acquire()
            .map_err(|_| ApiError::WebhooksBusy {
                retry_after: BUSY_RETRY_AFTER,
            })?;
        tokio::time::timeout(self.deadline, read_body(request, payload, limit))
            .await
            .map_err(|_| ApiError::BodyTimeout {
                after: self.deadline,
            })?
    }
}

/// The signature header as text: `Malformed` when it is not visible ASCII.
pub(super) fn signature_header(request: &HttpRequest) -> Result<Option<&str>, SignatureError> {
    request
        .headers()
        .get(SIGNATURE_HEADER)
        .map(|value| value.to_str().map_err(|_| SignatureError::Malformed))
        .transpose()
}

/// Refuses, before its body is read, a request whose signature cannot be right whatever
/// the body: no header, a malformed one, or a stale timestamp.
pub(super) fn precheck_signature(request: &HttpRequest) -> Result<(), ApiError> {
    signature::precheck(signature_header(request)?, unix_now())?;
    Ok(())
}

/// Seconds since the Unix epoch, as signatures count them.
pub(super) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;

    use actix_web::error::PayloadError;
    use actix_web::{dev, test::TestRequest, FromRequest};
    use futures_util::{Stream, StreamExt};

    use super::*;

    /// A request declaring a 100-byte body of which only the first byte ever arrives.
    async fn stalled() -> (HttpRequest, web::Payload) {
        let (request, _) = TestRequest::post()
            .insert_header(("content-length", "100"))
            .to_http_parts();
        let first: Result<Bytes, PayloadError> = Ok(Bytes::from_static(b"{"));
        let bytes =
            futures_util::stream::once(async { first }).chain(futures_util::stream::pending());
        let bytes: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(bytes);
        let mut payload = dev::Payload::Stream { payload: bytes };
        let payload = web::Payload::from_request(&request, &mut payload)
            .await
            .expect("a payload");
        (request, payload)
    }

    fn bodies(max_inflight_bodies: usize) -> WebhookBodies {
        WebhookBodies::new(WebhookLimits {
            body_timeout: Duration::from_secs(10),
            max_inflight_bodies,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_still_arriving_at_the_deadline_is_refused() {
        let (request, payload) = stalled().await;
        let started = tokio::time::Instant::now();
        let read = bodies(1).read(&request, payload, 1024).await;
        assert!(matches!(read, Err(ApiError::BodyTimeout { after }) if after.as_secs() == 10));
        assert_eq!(started.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_room_a_body_is_refused_at_once_and_the_room_comes_back() {
        let bodies = bodies(1);
        let (request, payload) = stalled().await;
        let holder = bodies.clone();
        let mut held = Box::pin(async move { holder.read(&request, payload, 1024).await });
        assert!(futures_util::poll!(held.as_mut()).is_pending(), "reading");
        let (request, payload) = stalled().await;
        let refused = bodies.read(&request, payload, 1024).await;
        assert!(matches!(refused, Err(ApiError::WebhooksBusy { .. })));
        drop(held);
        let (request, payload) = stalled().await;
        let read = bodies.read(&request, payload, 1024).await;
        assert!(
            matches!(read, Err(ApiError::BodyTimeout { .. })),
            "had room"
        );
    }
}
