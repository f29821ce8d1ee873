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
