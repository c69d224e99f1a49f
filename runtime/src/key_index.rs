//! A compact hash index from string keys to row numbers, built once when a
//! policy loads: one open-addressing array of 32-byte slots (hash
//! fingerprint, row, and the key itself when it has at most
//! [`INLINE`] bytes, else where it sits in one shared arena). A lookup of a
//! short key (most domains and postal codes) reads one cache line, hit or
//! miss; a longer key one more for its text. The index of 100,000 accounts
//! is a few MB, not a map of boxed strings scattered over the heap.

use std::hash::Hasher;

use rustc_hash::FxHasher;

/// Keys of at most this many bytes are kept in their slot.
const INLINE: usize = 20;

/// A slot: empty when `row` is [`EMPTY`]. Two share a cache line.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    /// The high half of the key's hash.
    fingerprint: u32,
    /// The row the key names.
    row: u32,
    /// The key's length in bytes.
    len: u32,
    /// The key when it is at most [`INLINE`] bytes, else its first byte's
    /// offset in the arena (little-endian, in the first four bytes).
    text: [u8; INLINE],
}

const VACANT: Slot = Slot { fingerprint: 0, row: EMPTY, len: 0, text: [0; INLINE] };

const EMPTY: u32 = u32::MAX;

/// String keys to rows (the first row given for a key wins).
#[derive(Debug, Clone)]
pub(crate) struct KeyIndex {
    slots: Box<[Slot]>,
    /// The text of keys longer than [`INLINE`] bytes.
    arena: Vec<u8>,
    len: usize,
}

fn hash(key: &str) -> u64 {
    hash_bytes(key.as_bytes())
}

fn hash_bytes(key: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(key);
    // Fx mixes weakly in the low bits of short inputs: fold the high half in.
    let x = h.finish();
    x ^ (x >> 29).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl KeyIndex {
    /// An index with room for `keys` keys (it does not grow past a load of
    /// two thirds before rebuilding).
    pub(crate) fn with_capacity(keys: usize) -> KeyIndex {
        let slots = (keys.saturating_mul(3) / 2).max(8).next_power_of_two();
        KeyIndex { slots: vec![VACANT; slots].into_boxed_slice(), arena: Vec::new(), len: 0 }
    }

    /// The number of keys.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    /// Adds `key` for `row` unless the key is there already (the first row
    /// keeps it). Keys whose bytes would not fit a 4 GB arena are left out.
    pub(crate) fn insert(&mut self, key: &str, row: u32) {
        if row == EMPTY {
            return;
        }
        // One hash per key: the probe that finds it absent gives the slot,
        // found again only when the slots grew.
        let h = hash(key);
        let Err(mut at) = self.find_slot_hashed(key.as_bytes(), h) else { return };
        if (self.len + 1) * 3 > self.slots.len() * 2 {
            self.grow();
            let Err(again) = self.find_slot_hashed(key.as_bytes(), h) else { return };
            at = again;
        }
        let Ok(len) = u32::try_from(key.len()) else { return };
        let mut text = [0u8; INLINE];
        if key.len() <= INLINE {
            text[..key.len()].copy_from_slice(key.as_bytes());
        } else {
            let Ok(start) = u32::try_from(self.arena.len()) else { return };
            if start.checked_add(len).is_none() {
                return;
            }
            self.arena.extend_from_slice(key.as_bytes());
            text[..4].copy_from_slice(&start.to_le_bytes());
        }
        self.slots[at] = Slot { fingerprint: (h >> 32) as u32, row, len, text };
        self.len += 1;
    }

    fn grow(&mut self) {
        let mut bigger = KeyIndex::with_capacity(self.slots.len() * 2);
        let old = std::mem::take(&mut self.slots);
        for s in old.iter().filter(|s| s.row != EMPTY) {
            let key = self.key(s);
            let h = hash_bytes(key);
            if let Err(i) = bigger.find_slot_hashed(key, h) {
                bigger.slots[i] = *s;
            }
        }
        self.slots = bigger.slots;
    }

    /// The key a slot holds.
    #[inline]
    fn key<'a>(&'a self, s: &'a Slot) -> &'a [u8] {
        let len = s.len as usize;
        if len <= INLINE {
            return &s.text[..len];
        }
        let start = u32::from_le_bytes([s.text[0], s.text[1], s.text[2], s.text[3]]) as usize;
        self.arena.get(start..start + len).unwrap_or(&[])
    }

    /// `Ok(slot)` holding `key`, or `Err(slot)` where it would go.
    fn find_slot(&self, key: &str) -> Result<usize, usize> {
        self.find_slot_hashed(key.as_bytes(), hash(key))
    }

    fn find_slot_hashed(&self, key: &[u8], h: u64) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let fingerprint = (h >> 32) as u32;
        let mut i = h as usize & mask;
        // The table is never full (load at most 2/3), so the probe ends.
        loop {
            let s = &self.slots[i];
            if s.row == EMPTY {
                return Err(i);
            }
            if s.fingerprint == fingerprint && s.len as usize == key.len() && self.key(s) == key {
                return Ok(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The row of `key`.
    #[inline]
    pub(crate) fn get(&self, key: &str) -> Option<u32> {
        self.find_slot(key).ok().map(|i| self.slots[i].row)
    }

    /// Bytes held (slots and keys).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>() + self.arena.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A tiny deterministic generator (no dependency).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    #[test]
    fn agrees_with_a_reference_map_on_random_keys() {
        for seed in 0..8u64 {
            let mut g = Lcg(seed);
            let n = (g.next() % 5_000) as usize;
            // Few small keys (many collisions of short strings), keys kept in
            // their slot, keys around the inline limit, and arena keys.
            let key = |g: &mut Lcg| {
                let v = g.next() % (n as u64 * 2 + 10);
                match v % 5 {
                    0 => format!("acct{v}.example"),
                    1 => format!("{v:0>width$}", width = INLINE + (v as usize / 5) % 2),
                    2 => format!("a-much-longer-account-{v}.example"),
                    _ => format!("{v}"),
                }
            };
            let mut reference: BTreeMap<String, u32> = BTreeMap::new();
            let mut index = KeyIndex::with_capacity(if seed % 2 == 0 { n } else { 1 });
            for row in 0..n as u32 {
                let k = key(&mut g);
                reference.entry(k.clone()).or_insert(row);
                index.insert(&k, row);
            }
            assert_eq!(index.len(), reference.len());
            for _ in 0..2 * n + 10 {
                let k = key(&mut g);
                assert_eq!(index.get(&k), reference.get(&k).copied(), "seed {seed}, key {k}");
            }
            for (k, row) in &reference {
                assert_eq!(index.get(k), Some(*row));
            }
            assert_eq!(index.get(""), None);
            assert_eq!(index.get("not a key at all"), None);
        }
    }

    #[test]
    fn the_first_row_keeps_a_key_and_the_empty_key_is_a_key() {
        let mut index = KeyIndex::with_capacity(2);
        index.insert("a", 1);
        index.insert("a", 2);
        index.insert("", 3);
        assert_eq!((index.get("a"), index.get(""), index.get("b"), index.len()), (Some(1), Some(3), None, 2));
        assert!(index.heap_bytes() >= 8 * 16);
    }
}

