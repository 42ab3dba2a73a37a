//! Runs one blocking core call (an HTTP exchange with retries) on its own thread and awaits it
//! as a future, so Kotlin `suspend` and Swift `async` callers never block their executor and
//! no async runtime is pulled in. A panic on that thread becomes an `INTERNAL` error.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::error::KompliantError;

struct Slot<T> {
    result: Option<Result<T, KompliantError>>,
    waker: Option<Waker>,
}

/// Completes when the worker thread stores its result.
struct Completion<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for Completion<T> {
    type Output = Result<T, KompliantError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Runs `work` on a new thread named `kompliant-api`; the future resolves to its result.
/// Dropping the future (a cancelled coroutine or task) does not stop the call: it runs to
/// its end and its result is discarded.
pub(crate) async fn run_blocking<T, F>(work: F) -> Result<T, KompliantError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, KompliantError> + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
    }));
    let worker_slot = Arc::clone(&slot);
    std::thread::Builder::new()
        .name("kompliant-api".into())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| {
                Err(KompliantError::internal(
                    "the API call panicked (a bug in kompliant-webhooks; please report it)",
                ))
            });
            let waker = {
                let mut slot = worker_slot.lock().unwrap_or_else(PoisonError::into_inner);
                slot.result = Some(result);
                slot.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        })
        .map_err(|e| {
            KompliantError::internal(format!("cannot start a thread for the API call: {e}"))
        })?;
    Completion { slot }.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::Wake;

    struct Flag(AtomicBool);

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// Polls `future` until it is ready, sleeping between polls (a minimal executor).
    fn block_on<F: Future>(future: F) -> F::Output {
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(Arc::clone(&flag));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            while !flag.0.swap(false, Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }

    #[test]
    fn returns_the_result_from_another_thread() {
        let caller = std::thread::current().id();
        let got = block_on(run_blocking(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            Ok(std::thread::current().id() != caller)
        }));
        assert_eq!(got, Ok(true));
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let got: Result<(), _> = block_on(run_blocking(|| -> Result<(), KompliantError> {
            #[allow(clippy::panic)]
            {
                panic!("boom")
            }
        }));
        assert_eq!(got.map_err(|e| e.code()), Err("INTERNAL".to_owned()));
    }
}
