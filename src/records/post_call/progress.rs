//! [`PostCallProgress`]: what the post-call task has in hand on this machine (calls not yet
//! over, deliveries running, scans begun and finished), for whoever must know when this
//! machine is done with a call.

use tokio::sync::watch;

/// What the post-call task has in hand on this machine, as it changes. Cheap to clone;
/// every clone sees the same numbers. Nothing in the task waits for it.
#[derive(Debug, Clone)]
pub struct PostCallProgress(pub(super) watch::Sender<Progress>);

/// A snapshot of [`PostCallProgress`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Calls with activity stored here that are not over yet (no `session.end`, not idle).
    /// A record stored after a call's `session.end` (a late recording) opens it again
    /// until it has been idle for the idle time.
    pub open: usize,
    /// Deliveries started for a call that ended or went idle here, not finished yet
    /// (the pause before the call is read included); a scan's deliveries are counted as
    /// part of the scan.
    pub delivering: usize,
    /// Scans for calls still owed begun since start-up.
    pub scans_begun: u64,
    /// Scans finished, every delivery they started included.
    pub scans_finished: u64,
}

impl PostCallProgress {
    pub(super) fn new() -> Self {
        Self(watch::Sender::new(Progress::default()))
    }

    /// The numbers now.
    pub fn now(&self) -> Progress {
        *self.0.borrow()
    }

    /// Resolves once nothing is in hand: no call waiting to be over, no delivery and no
    /// scan running (at once if so). A record still on its way from the writer is not
    /// counted yet.
    pub async fn settled(&self) {
        let mut progress = self.0.subscribe();
        // Never closed: `self` holds the sender.
        let _ = progress
            .wait_for(|p| p.open == 0 && p.delivering == 0 && p.scans_begun == p.scans_finished)
            .await;
    }

    /// Resolves once a scan that begins after this call has finished, its deliveries
    /// included.
    pub async fn next_scan(&self) {
        let mut progress = self.0.subscribe();
        let begun = progress.borrow().scans_begun;
        let _ = progress.wait_for(|p| p.scans_finished > begun).await;
    }

    pub(super) fn set_open(&self, open: usize) {
        self.0
            .send_if_modified(|p| std::mem::replace(&mut p.open, open) != open);
    }

    /// Counts a delivery as running until the returned guard is dropped.
    pub(super) fn delivering(&self) -> Delivering {
        self.0.send_modify(|p| p.delivering += 1);
        Delivering(self.0.clone())
    }
}

/// A delivery counted in [`Progress::delivering`] until dropped (however its task ends).
pub(super) struct Delivering(watch::Sender<Progress>);

impl Drop for Delivering {
    fn drop(&mut self) {
        self.0.send_modify(|p| p.delivering -= 1);
    }
}
