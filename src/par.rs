//! Order-keeping work on every core, for inputs large enough to be worth a thread (bundles of
//! thousands of certificates). Small inputs stay on the calling thread.

/// Below this many items the work is not split: a thread costs more than cheap items.
pub const MANY_ITEMS: usize = 256;

/// How long each of the consecutive parts `len` items are cut into, when fewer than `split_from`
/// items are not worth a thread.
fn part_len(len: usize, split_from: usize) -> usize {
    if len < split_from.max(2) {
        return len.max(1);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    len.div_ceil(threads.max(1))
}

/// Runs `work` on consecutive parts of `items`, the first on the calling thread, and returns the
/// results in order; `split_from` items or more are spread over every core. `work` is told where
/// its part starts in `items`.
pub fn map_parts<T: Sync, R: Send>(
    items: &[T],
    split_from: usize,
    work: impl Fn(usize, &[T]) -> R + Sync,
) -> Vec<R> {
    let size = part_len(items.len(), split_from);
    let mut parts = items.chunks(size).enumerate();
    let Some((_, first)) = parts.next() else {
        return vec![work(0, items)];
    };
    std::thread::scope(|scope| {
        let work = &work;
        let spawned: Vec<_> = parts
            .map(|(i, part)| scope.spawn(move || work(i * size, part)))
            .collect();
        let mut out = vec![work(0, first)];
        out.extend(spawned.into_iter().map(join));
        out
    })
}

/// As [`map_parts`], moving the items into `work`.
pub fn map_owned_parts<T: Send, R: Send>(
    mut items: Vec<T>,
    split_from: usize,
    work: impl Fn(usize, Vec<T>) -> R + Sync,
) -> Vec<R> {
    let size = part_len(items.len(), split_from);
    let mut rest = Vec::new();
    while items.len() > size {
        let start = (items.len() - 1) / size * size;
        rest.push((start, items.split_off(start)));
    }
    rest.reverse();
    std::thread::scope(|scope| {
        let work = &work;
        let spawned: Vec<_> = rest
            .into_iter()
            .map(|(start, part)| scope.spawn(move || work(start, part)))
            .collect();
        let mut out = vec![work(0, items)];
        out.extend(spawned.into_iter().map(join));
        out
    })
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
            let owned: Vec<usize> = map_owned_parts(items.clone(), MANY_ITEMS, |start, part| {
                assert!(part.first().is_none_or(|v| *v == start));
                part
            })
            .concat();
            assert_eq!(owned, items);
        }
    }
}
