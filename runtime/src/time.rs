//! Times on the embedding API: [`jiff::Timestamp`], read from RFC 3339 text
//! or from milliseconds since the epoch with an error that names the problem.

use jiff::fmt::temporal::Pieces;
use jiff::Timestamp;

use crate::error::TimeError;

/// Reads an RFC 3339 time with an offset (`2026-11-24T15:00:00Z`,
/// `2026-11-24T10:00:00-05:00`). A malformed text, or one without an offset,
/// is [`TimeError::NotRfc3339`]; a well-formed time outside the years -9999
/// to 9999 is [`TimeError::OutOfRange`].
///
/// ```
/// use leadroute_runtime::{parse_timestamp, TimeError};
/// assert_eq!(parse_timestamp("2026-11-24T15:00:00Z").map(|t| t.as_millisecond()), Ok(1_795_532_400_000));
/// assert!(matches!(parse_timestamp("next tuesday"), Err(TimeError::NotRfc3339 { .. })));
/// assert!(matches!(parse_timestamp("9999-12-31T23:00:00Z"), Err(TimeError::OutOfRange { .. })));
/// ```
pub fn parse_timestamp(text: &str) -> Result<Timestamp, TimeError> {
    if let Some(t) = fast_rfc3339(text).and_then(|ms| Timestamp::from_millisecond(ms).ok()) {
        return Ok(t);
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let well_formed = Pieces::parse(text).is_ok_and(|p| p.time().is_some() && p.offset().is_some());
    if well_formed || long_year(text) {
        Err(TimeError::OutOfRange { text: text.to_string() })
    } else {
        Err(TimeError::NotRfc3339 { text: text.to_string() })
    }
}

/// A date-time whose year has more than four digits (`+10000-01-01T00:00:00Z`):
/// well-formed in shape, beyond the range any time can have.
fn long_year(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let year = digits.bytes().take_while(u8::is_ascii_digit).count();
    year > 4 && digits[year..].starts_with('-') && digits.contains('T') && Pieces::parse(&format!("2000{}", &digits[year..])).is_ok()
}

/// The time `ms` milliseconds after the epoch; [`TimeError::MillisecondsOutOfRange`]
/// outside the years -9999 to 9999.
pub fn timestamp_from_ms(ms: i64) -> Result<Timestamp, TimeError> {
    Timestamp::from_millisecond(ms).map_err(|_| TimeError::MillisecondsOutOfRange { ms })
}

/// The usual shape of a lead's time, `YYYY-MM-DDTHH:MM:SS[.f{1,3}](Z|±HH:MM)`
/// for years 1970 to 9998, read without jiff's general parser: the
/// milliseconds since the epoch, or `None` for any other text (which jiff
/// then reads, or refuses). It accepts only what jiff accepts, with the
/// same instant (tested against jiff).
fn fast_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |n, c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1970..=9998).contains(&year) || !(1..=month_days).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    let mut milli = 0;
    if b[at] == b'.' {
        let n = b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=3).contains(&n) {
            return None;
        }
        milli = digits(at + 1..at + 1 + n)? * [100, 10, 1][n - 1];
        at += 1 + n;
    }
    let offset_min = match &b[at..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(at + 1..at + 3)?, digits(at + 4..at + 6)?);
            // `-00:00` is RFC 3339's unknown offset: left to jiff.
            if h > 23 || m > 59 || (*sign == b'-' && h == 0 && m == 0) {
                return None;
            }
            if *sign == b'+' { h * 60 + m } else { -(h * 60 + m) }
        }
        _ => return None,
    };
    // Days from the civil date (H. Hinnant's `days_from_civil`), for years ≥ 1.
    let y = if month <= 2 { year - 1 } else { year };
    let (era, yoe) = (y / 400, y % 400);
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(((days * 24 + hour) * 60 + minute - offset_min) * 60_000 + second * 1_000 + milli)
}

/// Writes `ms` (milliseconds since the epoch) as `format_time` spells it,
/// in double quotes, for times from 1970 to 9998: the bytes jiff's
/// `Timestamp` display writes (`2026-11-24T15:00:00Z`, with the fraction of
/// a second only when there is one, without trailing zeros). `false`, with
/// nothing written, for other times: the caller spells those with jiff.
pub(crate) fn write_quoted_time(out: &mut Vec<u8>, ms: i64) -> bool {
    // 9999-01-01T00:00:00Z (jiff's timestamps end late in 9999, where
    // `format_time` falls back to the number).
    const END: i64 = 253_370_764_800_000;
    if !(0..END).contains(&ms) {
        return false;
    }
    let (days, in_day) = (ms / 86_400_000, ms % 86_400_000);
    // Days to the civil date (H. Hinnant's `civil_from_days`), for days ≥ 0.
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (secs, milli) = (in_day / 1_000, in_day % 1_000);
    let mut buf = [0u8; 26];
    let two = |b: &mut [u8], v: i64| {
        b[0] = b'0' + (v / 10) as u8;
        b[1] = b'0' + (v % 10) as u8;
    };
    buf[0] = b'"';
    two(&mut buf[1..3], year / 100);
    two(&mut buf[3..5], year % 100);
    buf[5] = b'-';
    two(&mut buf[6..8], month);
    buf[8] = b'-';
    two(&mut buf[9..11], day);
    buf[11] = b'T';
    two(&mut buf[12..14], secs / 3_600);
    buf[14] = b':';
    two(&mut buf[15..17], secs / 60 % 60);
    buf[17] = b':';
    two(&mut buf[18..20], secs % 60);
    let mut end = 20;
    if milli != 0 {
        buf[20] = b'.';
        let digits = [milli / 100, milli / 10 % 10, milli % 10];
        let used = if milli % 100 == 0 { 1 } else if milli % 10 == 0 { 2 } else { 3 };
        for (i, d) in digits.iter().take(used).enumerate() {
            buf[21 + i] = b'0' + *d as u8;
        }
        end = 21 + used;
    }
    buf[end] = b'Z';
    buf[end + 1] = b'"';
    out.extend_from_slice(&buf[..end + 2]);
    true
}

#[cfg(test)]
mod quoted_time_tests {
    use super::{fast_rfc3339, write_quoted_time};

    /// jiff's reading of `text`, in milliseconds (what the fast path must agree with).
    fn jiff_ms(text: &str) -> Option<i64> {
        text.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
    }

    #[test]
    fn the_fast_reading_of_times_accepts_only_what_jiff_accepts_with_the_same_instant() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let mut fast = 0;
        let fixed = ["2026-11-24T15:00:00Z", "2024-02-29T23:59:59.999Z", "2023-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-24T15:00:00+05:30", "2026-11-24T15:00:00-00:00", "2026-11-24T15:00:00.1234Z", "2026-11-24T24:00:00Z", "2026-11-24T15:00:60Z", "2026-11-24t15:00:00z", "2026-11-24 15:00:00Z", "1969-12-31T23:59:59Z", "9999-12-31T23:00:00Z", "2026-13-01T00:00:00Z", "2026-11-24T15:00:00+24:00", "2026-11-24T15:00:00.Z", "+2026-11-24T15:00:00Z"];
        let mut cases: Vec<String> = fixed.iter().map(|s| s.to_string()).collect();
        for _ in 0..30_000 {
            let frac = match next(4) {
                0 => String::new(),
                1 => format!(".{}", next(10)),
                2 => format!(".{:02}", next(100)),
                _ => format!(".{:03}", next(1000)),
            };
            let off = match next(3) {
                0 => "Z".to_string(),
                1 => format!("+{:02}:{:02}", next(25), next(61)),
                _ => format!("-{:02}:{:02}", next(25), next(61)),
            };
            cases.push(format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}{off}", 1965 + next(8040), next(14), next(33), next(25), next(61), next(61)));
        }
        for text in &cases {
            if let Some(ms) = fast_rfc3339(text) {
                fast += 1;
                assert_eq!(Some(ms), jiff_ms(text), "{text}");
            }
        }
        assert!(fast > 10_000, "the usual shape takes the fast path ({fast} of {})", cases.len());
        assert_eq!(fast_rfc3339("2026-11-24T15:00:00Z"), Some(1_795_532_400_000));
    }

    /// What the decision's serializer writes for a time: jiff's display, quoted.
    fn jiff_quoted(ms: i64) -> Vec<u8> {
        let t = jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_else(|_| ms.to_string());
        format!("\"{t}\"").into_bytes()
    }

    #[test]
    fn quoted_times_are_jiffs_display_from_1970_to_9998() {
        let mut cases: Vec<i64> = vec![0, 1, 10, 100, 120, 999, 1_000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_800_000, 1_795_532_400_000, 4_107_542_400_000, 253_370_764_799_999];
        // Every day boundary of leap and century years, and a spread of random instants.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cases.push((x % 253_370_764_800_000) as i64);
            cases.push((x % 4_000_000_000_000) as i64 / 86_400_000 * 86_400_000);
        }
        for ms in cases {
            let mut out = Vec::new();
            assert!(write_quoted_time(&mut out, ms), "{ms} is in range");
            assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&jiff_quoted(ms)), "{ms}");
        }
    }

    #[test]
    fn times_outside_1970_to_9998_are_left_to_jiff() {
        for ms in [-1, i64::MIN, 253_370_764_800_000, 253_402_300_799_999, i64::MAX] {
            let mut out = Vec::new();
            assert!(!write_quoted_time(&mut out, ms));
            assert!(out.is_empty());
        }
    }
}
