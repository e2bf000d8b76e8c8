//! Retries with exponential backoff that give way to a graceful shutdown.
//!
//! apalis' own `BackoffRetryPolicy` (over tower's `Retry`) has two problems at shutdown:
//! * it sleeps the whole backoff even when the worker is stopping, so shutdown waits for it;
//! * after the sleep, `Retry` calls the inner service's `poll_ready`, and apalis' lifecycle
//!   layer (innermost) answers `Pending` forever once shutdown has begun, without a waker.
//!
//! [`JobRetry`] cuts the backoff short when the worker is stopping, and [`ShutdownGateLayer`]
//! (placed just inside the retry layer) answers that `poll_ready` with [`WorkerStopping`]. The
//! job is then recorded as failed after fewer than `MAX_ATTEMPTS` attempts, so the storage
//! hands it out again after the restart.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::layers::retry::Policy;
use apalis::layers::retry::backoff::{Backoff, ExponentialBackoff};
use apalis::prelude::{AbortError, BoxDynError, Layer, Service, Task, WorkerContext};
use futures::TryFutureExt as _;
use futures::future::MapErr;

/// How often a job waiting for its retry checks whether the worker is stopping.
const SHUTDOWN_CHECK: Duration = Duration::from_millis(100);

/// Retry failed attempts up to `max_attempts` in total, waiting an exponential backoff between
/// them. Never retries an [`AbortError`] (a panic, or the last attempt) or once the worker is
/// stopping.
#[derive(Debug, Clone)]
pub(crate) struct JobRetry {
    pub max_attempts: usize,
    pub backoff: ExponentialBackoff,
}

impl<Args: Clone, Res> Policy<Task<Args>, Res, BoxDynError> for JobRetry {
    type Future = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn retry(
        &mut self,
        task: &mut Task<Args>,
        result: &mut Result<Res, BoxDynError>,
    ) -> Option<Self::Future> {
        let Err(error) = result else { return None };
        if error.downcast_ref::<AbortError>().is_some() || task.attempt() >= self.max_attempts {
            return None;
        }
        let worker = task.data().get::<WorkerContext>()?.clone();
        if worker.is_shutting_down() {
            return None;
        }
        let sleep = self.backoff.next_backoff();
        Some(Box::pin(async move {
            tokio::pin!(sleep);
            let mut check = tokio::time::interval(SHUTDOWN_CHECK);
            loop {
                tokio::select! {
                    () = &mut sleep => return,
                    _ = check.tick() => if worker.is_shutting_down() { return },
                }
            }
        }))
    }

    fn clone_request(&mut self, task: &Task<Args>) -> Option<Task<Args>> {
        Some(task.clone())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the worker is shutting down; the job will run again after it restarts")]
pub(crate) struct WorkerStopping;

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ShutdownGateLayer;

impl<S> Layer<S> for ShutdownGateLayer {
    type Service = ShutdownGate<S>;

    fn layer(&self, inner: S) -> ShutdownGate<S> {
        ShutdownGate {
            inner,
            worker: None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ShutdownGate<S> {
    inner: S,
    /// Learnt from the first task; `Retry` clones this service after `call`, so the copy that
    /// drives a retry knows its worker.
    worker: Option<WorkerContext>,
}

impl<S> ShutdownGate<S> {
    fn stopping(&self) -> bool {
        self.worker.as_ref().is_some_and(|w| w.is_shutting_down())
    }
}

impl<S, Args> Service<Task<Args>> for ShutdownGate<S>
where
    S: Service<Task<Args>>,
    S::Error: Into<BoxDynError>,
{
    type Response = S::Response;
    type Error = BoxDynError;
    type Future = MapErr<S::Future, fn(S::Error) -> BoxDynError>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.stopping() {
            return Poll::Ready(Err(WorkerStopping.into()));
        }
        match self.inner.poll_ready(cx) {
            // Re-check: shutdown may have begun while the inner layers were polled.
            Poll::Pending if self.stopping() => Poll::Ready(Err(WorkerStopping.into())),
            other => other.map_err(Into::into),
        }
    }

    fn call(&mut self, task: Task<Args>) -> Self::Future {
        if self.worker.is_none() {
            self.worker = task.data().get::<WorkerContext>().cloned();
        }
        self.inner
            .call(task)
            .map_err(Into::into as fn(S::Error) -> BoxDynError)
    }
}
