//! The timer that wakes an idle storage worker to look for new jobs.
//!
//! apalis' own `poll_with_interval` (`IntervalStrategy`, apalis-core 1.0
//! `backend/ext/poll_strategy/strategies/interval.rs`) replaces its timer with a fresh one when a
//! tick fires but does not poll the fresh one, so no wake-up is registered for the next tick. The
//! storages' fetch loop (`Persisted::poll_next`, `backend/persistence/mod.rs`) answers `Pending`
//! after an empty fetch and counts on that timer to be woken again. So when the tick comes due
//! while a fetch is still in flight, and the poll that sees the tick is also the one in which the
//! fetch completes empty (a slow COMMIT, a busy database, a loaded machine), nothing is left to
//! wake the worker: it sleeps until its next storage heartbeat (30 s) or until one of its own jobs
//! finishes, and jobs pushed meanwhile wait. [`PollEvery`] always leaves its timer armed.

use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{PollSnapshot, PollStrategy};
use tokio::time::{Instant, Interval, MissedTickBehavior};

/// Wake the worker every `period`; after every poll the next tick has a registered waker.
#[derive(Debug)]
pub(crate) struct PollEvery {
    period: Duration,
    /// Created on first use, inside the worker's runtime.
    interval: Option<Interval>,
}

impl PollEvery {
    pub(crate) fn new(period: Duration) -> PollEvery {
        PollEvery {
            // tokio's interval rejects a zero period.
            period: period.max(Duration::from_millis(1)),
            interval: None,
        }
    }
}

/// A restarted worker gets a fresh timer (the monitor clones the backend per run).
impl Clone for PollEvery {
    fn clone(&self) -> PollEvery {
        PollEvery::new(self.period)
    }
}

impl PollStrategy for PollEvery {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let period = self.period;
        let interval = self.interval.get_or_insert_with(|| {
            let mut interval = tokio::time::interval_at(Instant::now() + period, period);
            // After a stall, wait a whole period again rather than firing a burst of ticks.
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            interval
        });
        // Only a poll that returns `Pending` registers the waker for the next tick, so never stop
        // at a tick that has fired.
        let mut ticked = false;
        while interval.poll_tick(cx).is_ready() {
            ticked = true;
        }
        if ticked {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use apalis::prelude::IntervalStrategy;

    use super::*;

    struct CountWakes(AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Poll a strategy the way apalis does when the fetch completes in the same poll as the
    /// tick: once to arm it, once after its tick has woken us, then never again unless it wakes
    /// us. Returns whether it did, within `within`.
    async fn wakes_again_after_a_tick(mut strategy: impl PollStrategy, within: Duration) -> bool {
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let snapshot = PollSnapshot::new();
        let woken = |n: usize| {
            let wakes = wakes.clone();
            async move {
                while wakes.0.load(Ordering::SeqCst) < n {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        };
        assert!(strategy.poll_drive(&mut cx, &snapshot).is_pending());
        tokio::time::timeout(Duration::from_secs(10), woken(1))
            .await
            .expect("the first tick never woke us");
        assert!(strategy.poll_drive(&mut cx, &snapshot).is_ready());
        tokio::time::timeout(within, woken(2)).await.is_ok()
    }

    #[tokio::test]
    async fn next_tick_is_armed_after_a_tick() {
        let period = Duration::from_millis(20);
        let again = wakes_again_after_a_tick(PollEvery::new(period), Duration::from_secs(10));
        assert!(again.await, "no wake-up after the tick");
    }

    /// The apalis strategy this replaces: pins down its bug, so that this test fails (and the
    /// workaround can go) once an apalis release arms the next tick.
    #[tokio::test]
    async fn apalis_interval_strategy_loses_the_next_tick() {
        let period = Duration::from_millis(20);
        let again = wakes_again_after_a_tick(IntervalStrategy::new(period), period * 10);
        assert!(
            !again.await,
            "apalis' IntervalStrategy now re-arms; PollEvery may go"
        );
    }
}
