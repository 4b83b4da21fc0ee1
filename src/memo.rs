//! Per-thread memories of pure functions of short texts.
//!
//! Some answers cost far more than looking them up, and a corpus asks the
//! same question again and again: the spellings of the vitamin K forms
//! ("MK-7", "menaquinone-7"), the titles of the works many pages cite. Each
//! worker thread keeps what it has answered in a [`Memory`] (no lock: the
//! threads never share one) and empties it when it holds [`KEEP`] texts, so
//! memory stays bounded whatever the corpus.

use std::cell::RefCell;
use std::thread::LocalKey;

use rustc_hash::FxHashMap;

/// What one thread has answered, by the text asked.
pub type Memory<V> = RefCell<FxHashMap<Box<str>, V>>;

/// Texts a memory holds before it is emptied.
pub const KEEP: usize = 4096;

/// `answer(text)`, taken from `memory` when this thread has asked it before.
pub fn recall<V: Clone>(
    memory: &'static LocalKey<Memory<V>>,
    text: &str,
    answer: impl FnOnce(&str) -> V,
) -> V {
    if let Some(v) = memory.with(|m| m.borrow().get(text).cloned()) {
        return v;
    }
    let v = answer(text);
    memory.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= KEEP {
            m.clear();
        }
        m.insert(text.into(), v.clone());
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static LENGTHS: Memory<usize> = RefCell::default();
    }

    #[test]
    fn answers_once_per_text_and_stays_bounded() {
        let mut asked = 0;
        for _ in 0..3 {
            let n = recall(&LENGTHS, "menaquinone-7", |t| {
                asked += 1;
                t.len()
            });
            assert_eq!(n, 13);
        }
        assert_eq!(asked, 1);
        for i in 0..KEEP + 10 {
            recall(&LENGTHS, &i.to_string(), str::len);
        }
        assert!(LENGTHS.with(|m| m.borrow().len()) <= KEEP);
    }
}
