//! The leaves of compiled conditions: field tests over the flat record
//! (presence, set membership, numbers), function results computed with the
//! record, and `since` comparisons.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, BlockArg, InstBuilder, MemFlagsData, Value};

use super::super::{derived, RAISE};
use super::Fx;
use crate::compiled::Miss;
use crate::ir::{CmpOp, Expr};

impl Fx<'_> {
    /// `since(field) OP duration` natively: now (from the call's `Env`) minus
    /// the stored time, saturating as the interpreter's does; false (nothing
    /// emitted) when `e` is not one, or the field's missing handler assumes a value.
    pub(super) fn since_leaf(&mut self, e: &Expr, t: Block, f: Block) -> bool {
        let Some((slot, op, k)) = derived::since(e) else { return false };
        let Some(off) = self.layout.value_offset(slot) else { return false };
        let absent = match self.tables.missing.get(slot as usize) {
            Some(None) => f,
            // Filled below: no value at all raises, a value of another type is false.
            Some(Some(crate::ir::MissingHandling::Action(_))) => self.b.create_block(),
            _ => return false,
        };
        let here = self.present(slot);
        let yes = self.b.create_block();
        self.branch(here, yes, absent);
        self.b.switch_to_block(yes);
        let time = self.b.ins().load(types::I64, record_flags(), self.rec, off);
        let now = self.b.ins().load(types::I64, record_flags(), self.env, std::mem::offset_of!(super::super::Env, now) as i32);
        let (d, overflow) = self.b.ins().ssub_overflow(now, time);
        // On overflow the true difference is past i64: MAX when time < 0, else MIN.
        let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, time, 0);
        let (max, min) = (self.b.ins().iconst(types::I64, i64::MAX), self.b.ins().iconst(types::I64, i64::MIN));
        let sat = self.b.ins().select(neg, max, min);
        let d = self.b.ins().select(overflow, sat, d);
        let cc = match op {
            CmpOp::Eq => IntCC::Equal,
            CmpOp::Ne => IntCC::NotEqual,
            CmpOp::Lt => IntCC::SignedLessThan,
            CmpOp::Le => IntCC::SignedLessThanOrEqual,
            CmpOp::Gt => IntCC::SignedGreaterThan,
            CmpOp::Ge => IntCC::SignedGreaterThanOrEqual,
        };
        let hit = self.b.ins().icmp_imm_s(cc, d, k);
        self.branch(hit, t, f);
        if absent != f {
            self.b.switch_to_block(absent);
            let (w, bit) = self.layout.tested_presence(slot);
            let word = self.b.ins().load(types::I64, record_flags(), self.rec, w);
            let any = self.mask_test(word, bit);
            let raise = self.raise_block(slot);
            self.branch(any, f, raise);
        }
        true
    }

    /// A condition over a function result computed with the record
    /// ([`derived`]); false (nothing emitted) when `e` is not one.
    pub(super) fn derived_leaf(&mut self, e: &Expr, t: Block, f: Block) -> bool {
        let Some((call, test)) = derived::shape(e) else { return false };
        let Some(&k) = self.tables.derived_index.get(&super::candidates::derived_key(call)) else { return false };
        let off = ((self.tables.derived_base + 2 * k) * 8) as i32;
        let state = self.b.ins().load(types::I64, record_flags(), self.rec, off);
        let value = self.b.ins().load(types::I64, record_flags(), self.rec, off + 8);
        let (is_str, not_str, is_bool, rest, raised, plain) =
            (self.b.create_block(), self.b.create_block(), self.b.create_block(), self.b.create_block(), self.b.create_block(), self.b.create_block());
        let c = self.b.ins().icmp_imm_u(IntCC::Equal, state, derived::STR as i64);
        self.branch(c, is_str, not_str);
        self.b.switch_to_block(not_str);
        let c = self.b.ins().icmp_imm_u(IntCC::Equal, state, derived::BOOL as i64);
        self.branch(c, is_bool, rest);
        self.b.switch_to_block(rest);
        let low = self.b.ins().band_imm_u(state, 0xFF);
        let c = self.b.ins().icmp_imm_u(IntCC::Equal, low, derived::RAISED as i64);
        self.branch(c, raised, plain);
        // A missing field whose handler stops routing: raise, as reading it would.
        self.b.switch_to_block(raised);
        let slot = self.b.ins().ushr_imm_u(state, 8);
        let slot = self.b.ins().ireduce(types::I32, slot);
        let code = self.b.ins().bor_imm_u(slot, RAISE as i64);
        self.b.ins().jump(self.ret, &[BlockArg::Value(code)]);
        let is_other = |fx: &mut Self| fx.b.ins().icmp_imm_u(IntCC::Equal, state, derived::OTHER as i64);
        match test {
            derived::Test::StrIn { set, neg, other } => {
                self.b.switch_to_block(is_str);
                let ids: Vec<u64> = set.iter().filter_map(|s| self.layout.id(s)).map(u64::from).collect();
                let hit = self.member(value, ids);
                self.branch(hit, if neg { f } else { t }, if neg { t } else { f });
                self.b.switch_to_block(is_bool);
                self.jump(if other { t } else { f });
                self.b.switch_to_block(plain);
                let o = is_other(self);
                self.branch(o, if other { t } else { f }, f);
            }
            derived::Test::True => {
                self.b.switch_to_block(is_str);
                self.jump(f);
                self.b.switch_to_block(is_bool);
                self.branch(value, t, f);
                self.b.switch_to_block(plain);
                self.jump(f);
            }
        }
        true
    }

    pub(super) fn mask_test(&mut self, bit: Value, mask: u64) -> Value {
        let m = self.b.ins().band_imm_u(bit, mask as i64);
        self.b.ins().icmp_imm_u(IntCC::NotEqual, m, 0)
    }

    pub(super) fn present(&mut self, slot: u32) -> Value {
        let (off, bit) = self.layout.presence(slot);
        let w = self.b.ins().load(types::I64, record_flags(), self.rec, off);
        self.mask_test(w, bit)
    }

    /// A test on a field's value: a missing field goes where its handler says.
    pub(super) fn leaf(&mut self, slot: u32, miss: Miss, neg: bool, t: Block, f: Block, test: impl FnOnce(&mut Self, Value) -> Value) {
        let absent = match miss {
            Miss::Const(b) => {
                if b {
                    t
                } else {
                    f
                }
            }
            Miss::Raise => self.raise_block(slot),
        };
        let Some(off) = self.layout.value_offset(slot) else {
            // Not stored: only fields of other types, which the record holds as absent.
            return self.jump(absent);
        };
        let here = self.present(slot);
        let yes = self.b.create_block();
        self.branch(here, yes, absent);
        self.b.switch_to_block(yes);
        let v = self.b.ins().load(types::I64, record_flags(), self.rec, off);
        let hit = test(self, v);
        self.branch(hit, if neg { f } else { t }, if neg { t } else { f });
    }

    /// Set membership of an id: compares for a few ids, a mask when they
    /// span under 64, else a bitmap lookup.
    pub(super) fn member(&mut self, v: Value, mut ids: Vec<u64>) -> Value {
        ids.sort_unstable();
        ids.dedup();
        let (Some(&min), Some(&max)) = (ids.first(), ids.last()) else {
            return self.b.ins().iconst(types::I8, 0);
        };
        if ids.len() <= 4 {
            let mut acc = self.b.ins().icmp_imm_u(IntCC::Equal, v, ids[0] as i64);
            for id in &ids[1..] {
                let e = self.b.ins().icmp_imm_u(IntCC::Equal, v, *id as i64);
                acc = self.b.ins().bor(acc, e);
            }
            return acc;
        }
        if max - min < 64 {
            let mask = ids.iter().fold(0u64, |m, id| m | 1 << (id - min));
            let d = self.b.ins().iadd_imm_s(v, -(min as i64));
            let inside = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThan, d, (max - min + 1) as i64);
            let one = self.b.ins().iconst(types::I64, 1);
            let bit = self.b.ins().ishl(one, d);
            let hit = self.mask_test(bit, mask);
            return self.b.ins().band(inside, hit);
        }
        let nbits = max + 1;
        let mut bitmap = vec![0u64; nbits.div_ceil(64) as usize].into_boxed_slice();
        for id in &ids {
            bitmap[(*id / 64) as usize] |= 1 << (id % 64);
        }
        let base = bitmap.as_ptr() as usize as i64;
        self.tables.bitmaps.push(bitmap);
        let inside = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThan, v, nbits as i64);
        let zero = self.b.ins().iconst(types::I64, 0);
        let idx = self.b.ins().select(inside, v, zero);
        let word = self.b.ins().ushr_imm_u(idx, 6);
        let off = self.b.ins().ishl_imm_u(word, 3);
        let base = self.b.ins().iconst(self.ptr, base);
        let addr = self.b.ins().iadd(base, off);
        let w = self.b.ins().load(types::I64, record_flags(), addr, 0);
        let sh = self.b.ins().band_imm_u(idx, 63);
        let w = self.b.ins().ushr(w, sh);
        let hit = self.mask_test(w, 1);
        self.b.ins().band(inside, hit)
    }
}

/// Loads from memory that does not change while the code runs.
pub(super) fn record_flags() -> MemFlagsData {
    let mut f = MemFlagsData::trusted();
    f.set_readonly();
    f
}
