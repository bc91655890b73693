//! Bounded parallelism for the nodes of one wave: at most `limit` at once, on scoped
//! threads (no async runtime; every node's work is blocking SSH and child processes).
//! Results come back in the order of the input, whatever order the threads finish in, so
//! the report stays deterministic. Nothing here knows about nodes or SSH.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Runs `f` over `items`, at most `limit` at a time (at least one). Once a result makes
/// `stop` true, no further item is started (those already running finish); the items
/// never started are `None`. The result has one entry per item, in input order.
pub fn bounded<T, R, F, S>(items: &[T], limit: usize, stop: S, f: F) -> Vec<Option<R>>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
    S: Fn(&R) -> bool + Sync,
{
    let next = AtomicUsize::new(0);
    let halt = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let workers = limit.max(1).min(items.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let (Some(item), Some(slot)) = (items.get(i), slots.get(i)) else { break };
                let r = f(item);
                if stop(&r) {
                    halt.store(true, Ordering::SeqCst);
                }
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(r);
            });
        }
    });
    slots.into_iter().map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner)).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    #[test]
    fn never_more_than_the_limit_at_once_and_results_in_input_order() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let items: Vec<u64> = (0..9).collect();
        let out = bounded(
            &items,
            3,
            |_| false,
            |i| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Later items finish first: the order of the result must not follow.
                std::thread::sleep(Duration::from_millis(60 - 5 * i));
                running.fetch_sub(1, Ordering::SeqCst);
                i * 10
            },
        );
        assert_eq!(out, (0..9).map(|i| Some(i * 10)).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_stopping_result_starts_nothing_more() {
        let items: Vec<u32> = (0..6).collect();
        let out = bounded(
            &items,
            2,
            |r: &u32| *r == 1,
            |i| {
                std::thread::sleep(Duration::from_millis(20 * u64::from(*i)));
                *i
            },
        );
        // 1 stops the rest: 2 may have started while 1 ran (0 ends at once), 3.. never.
        assert_eq!((out[0], out[1]), (Some(0), Some(1)));
        assert_eq!(out[3..], [None, None, None]);
    }

    #[test]
    fn empty_and_zero_limit() {
        assert!(bounded(&[] as &[u8], 4, |_| false, |x| *x).is_empty());
        assert_eq!(bounded(&[7u8], 0, |_| false, |x| *x), [Some(7)]);
    }
}
