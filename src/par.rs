//! Order-keeping work on every core, for inputs large enough to be worth a thread (bundles of
//! thousands of certificates). Small inputs stay on the calling thread.

/// Below this many items the work is not split: a thread costs more than cheap items.
pub const MANY_ITEMS: usize = 256;

/// Parts handed out per thread: enough that a thread slowed by the rest of the machine (or by
/// costlier items) leaves its share to the others, few enough that a part's set-up is noise.
const PARTS_PER_THREAD: usize = 3;

/// The number of threads and the part length for `len` items; one thread and one part when
/// fewer than `split_from` items are not worth a thread.
fn plan(len: usize, split_from: usize) -> (usize, usize) {
    if len < split_from.max(2) {
        return (1, len.max(1));
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 {
        return (1, len);
    }
    (threads, len.div_ceil(threads * PARTS_PER_THREAD))
}

/// Runs `work` on consecutive parts of `items` and returns the results in order; `split_from`
/// items or more are spread over every core, each thread taking the next part as it finishes
/// one. `work` is told where its part starts in `items`.
pub fn map_parts<T: Sync, R: Send>(
    items: &[T],
    split_from: usize,
    work: impl Fn(usize, &[T]) -> R + Sync,
) -> Vec<R> {
    let (threads, size) = plan(items.len(), split_from);
    if threads == 1 {
        return vec![work(0, items)];
    }
    let parts: Vec<&[T]> = items.chunks(size).collect();
    run_queue(threads, parts.len(), |i| work(i * size, parts[i]))
}

/// Runs `job(0..count)` on `threads` threads (the calling one included), each taking the next
/// index from a shared counter, and returns the results by index.
fn run_queue<R: Send>(threads: usize, count: usize, job: impl Fn(usize) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let drain = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count {
                return done;
            }
            done.push((i, job(i)));
        }
    };
    let mut done = std::thread::scope(|scope| {
        let spawned: Vec<_> = (1..threads.min(count))
            .map(|_| scope.spawn(drain))
            .collect();
        let mut done = drain();
        for handle in spawned {
            done.extend(join(handle));
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, result)| result).collect()
}

/// A worker's result; a panic in a worker is a bug and carries on in the caller.
fn join<R>(handle: std::thread::ScopedJoinHandle<'_, R>) -> R {
    handle
        .join()
        .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_keep_order_and_offsets() {
        for len in [0, 1, 255, 256, 1001] {
            let items: Vec<usize> = (0..len).collect();
            let borrowed: Vec<usize> = map_parts(&items, MANY_ITEMS, |start, part| {
                part.iter()
                    .enumerate()
                    .map(|(i, v)| {
                        assert_eq!(start + i, *v);
                        *v
                    })
                    .collect::<Vec<_>>()
            })
            .concat();
            assert_eq!(borrowed, items);
        }
    }
}
