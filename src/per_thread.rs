//! Values with a copy per worker thread, for regexes searched from every
//! worker.
//!
//! A [`regex::Regex`] keeps the scratch space of its searches in a pool with
//! a fast path for one thread only, the first that searched with it; every
//! other thread takes a cache from a locked stack and puts it back on each
//! search (`Pool::get_slow` and `put_value`: ~2 % of a 200 MB run on two
//! workers, most of it on the regexes every sentence meets). A clone of a
//! regex shares the compiled program and has a pool of its own, so a worker
//! that searches with its own clone is always on the fast path.
//!
//! [`PerThread`] hands each rayon worker its own clone (made on its first
//! use) and everything else — the main thread, workers beyond
//! [`WORKER_SLOTS`] — the shared original. Two pools' workers with the same
//! index share a clone, which is correct (a `Regex` is `Sync`), only slower.
//!
//! ```
//! use nutripipe::per_thread::PerThread;
//! use regex::Regex;
//!
//! static DIGITS: PerThread<Regex> = PerThread::new(|| Regex::new(r"\d+").unwrap());
//! assert!(DIGITS.is_match("100 µg"));
//! ```

use std::ops::Deref;
use std::sync::{LazyLock, OnceLock};

/// Worker indices with a clone of their own; `--jobs` beyond it share the
/// original.
pub const WORKER_SLOTS: usize = 16;

/// A value (a regex) cloned once per rayon worker; dereferences to the
/// calling worker's clone.
pub struct PerThread<T> {
    original: Original<T>,
    clones: [OnceLock<T>; WORKER_SLOTS],
}

enum Original<T> {
    /// A `static`: built on first use.
    Lazy(LazyLock<T, fn() -> T>),
    /// Built already (a regex made from data at run time).
    Ready(T),
}

impl<T: Clone> PerThread<T> {
    /// For a `static`: `init` runs on first use, once.
    pub const fn new(init: fn() -> T) -> PerThread<T> {
        PerThread {
            original: Original::Lazy(LazyLock::new(init)),
            clones: [const { OnceLock::new() }; WORKER_SLOTS],
        }
    }

    /// Around a value built already.
    pub fn of(value: T) -> PerThread<T> {
        PerThread {
            original: Original::Ready(value),
            clones: [const { OnceLock::new() }; WORKER_SLOTS],
        }
    }

    /// The original, shared by every thread without a clone.
    pub fn original(&self) -> &T {
        match &self.original {
            Original::Lazy(l) => l,
            Original::Ready(v) => v,
        }
    }

    /// The calling worker's clone, or the original outside a worker.
    pub fn get(&self) -> &T {
        match rayon::current_thread_index().and_then(|i| self.clones.get(i)) {
            Some(slot) => slot.get_or_init(|| self.original().clone()),
            None => self.original(),
        }
    }
}

impl<T: Clone> Deref for PerThread<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T: std::fmt::Debug + Clone> std::fmt::Debug for PerThread<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PerThread").field(self.original()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;
    use regex::Regex;

    static WORD: PerThread<Regex> = PerThread::new(|| Regex::new(r"\p{L}+").unwrap());

    #[test]
    fn each_worker_gets_its_own_clone_and_others_the_original() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let seen: Vec<(Option<usize>, usize)> = pool.install(|| {
            (0..64)
                .into_par_iter()
                .map(|_| {
                    let re: &Regex = &WORD;
                    assert_eq!(re.find("  Natto 100").unwrap().as_str(), "Natto");
                    (rayon::current_thread_index(), re as *const Regex as usize)
                })
                .collect()
        });
        for &(worker, at) in &seen {
            let i = worker.unwrap();
            assert_eq!(at, WORD.clones[i].get().unwrap() as *const Regex as usize);
            assert_ne!(at, WORD.original() as *const Regex as usize);
        }
        // outside a pool: the original
        assert_eq!(
            WORD.get() as *const Regex as usize,
            WORD.original() as *const Regex as usize
        );
    }

    #[test]
    fn workers_past_the_slots_share_the_original() {
        let re = PerThread::of(Regex::new("mk-?7").unwrap());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(WORKER_SLOTS + 2)
            .build()
            .unwrap();
        pool.broadcast(|ctx| {
            assert!(re.is_match("MK-7 en mk7".to_lowercase().as_str()));
            let own = !std::ptr::eq(re.get(), re.original());
            assert_eq!(own, ctx.index() < WORKER_SLOTS, "worker {}", ctx.index());
        });
    }
}
