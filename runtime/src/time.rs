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
