//! The values compiled code and the runtime exchange (kept outside the `jit`
//! module so that builds without the feature share the decoding).

/// Result: nothing fired.
pub(crate) const NONE: u32 = 0x7FFF_FFFF;
/// Result bit: a missing field's handler stops routing; the low bits are its slot.
#[cfg_attr(not(feature = "jit"), allow(dead_code))]
pub(crate) const RAISE: u32 = 0x8000_0000;
/// Tier / territory: none.
pub(crate) const ABSENT: u32 = u32::MAX;
