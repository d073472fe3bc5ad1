//! Shared wording: how certificates, dates and durations are named in every sentence.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::finding::FindingCode;
use crate::chain::{CertInfo, days_until};

/// `certificate 1 (CN=Example Intermediate)`.
pub fn label(index: usize, cert: &CertInfo) -> String {
    label_subject(index, &cert.subject)
}

/// As [`label`], from the subject name alone.
pub fn label_subject(index: usize, subject: &str) -> String {
    format!("certificate {index} ({subject})")
}

/// RFC 3339 in UTC, e.g. `2026-10-01T00:00:00Z`.
pub fn date(at: OffsetDateTime) -> String {
    let mut out = String::with_capacity(20);
    // Writing into a String cannot fail.
    let _ = write_date(at, &mut out);
    out
}

/// Writes what [`date`] returns without building a string.
pub fn write_date(at: OffsetDateTime, out: &mut impl std::fmt::Write) -> std::fmt::Result {
    let utc = at.to_offset(time::UtcOffset::UTC);
    // Certificate times are whole seconds in years 0-9999: written digit by digit, as a general
    // formatter is much of the cost of listing a bundle of thousands.
    if utc.nanosecond() != 0 || !(0..=9999).contains(&utc.year()) {
        return match utc.format(&Rfc3339) {
            Ok(text) => out.write_str(&text),
            Err(_) => write!(out, "{at}"),
        };
    }
    let year = utc.year().unsigned_abs();
    let fields = [
        (year / 100, ""),
        (year % 100, ""),
        (u32::from(u8::from(utc.month())), "-"),
        (u32::from(utc.day()), "-"),
        (u32::from(utc.hour()), "T"),
        (u32::from(utc.minute()), ":"),
        (u32::from(utc.second()), ":"),
    ];
    for (value, before) in fields {
        out.write_str(before)?;
        out.write_char(char::from(b'0' + (value / 10) as u8))?;
        out.write_char(char::from(b'0' + (value % 10) as u8))?;
    }
    out.write_char('Z')
}

/// `58 days ago`, `in 3 days`, `in 5 hours` style distance between `at` and `now`.
///
/// Beyond a day the count is [`days_until`], the number the JSON's `days_remaining` and the
/// tables print, so one report never gives one certificate two day counts; where that count is
/// 0 or -1 (within a day either way) it is in hours.
pub fn relative(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let secs = (at - now).whole_seconds();
    if (-86_400..86_400).contains(&secs) {
        let hours = secs / 3_600;
        return match hours {
            1 => "in 1 hour".into(),
            -1 => "1 hour ago".into(),
            h if h > 0 => format!("in {h} hours"),
            h if h < 0 => format!("{} hours ago", -h),
            _ if at < now => "less than an hour ago".into(),
            _ => "in less than an hour".into(),
        };
    }
    match days_until(at, now) {
        1 => "in 1 day".into(),
        d if d > 0 => format!("in {d} days"),
        d => format!("{} days ago", -d),
    }
}

/// A list for sentences: `a, b, c`, or `none` when empty.
pub fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// A hint for a code when no dedicated check produced a more specific one.
pub fn generic_hint(code: FindingCode) -> &'static str {
    code.hint()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_as_english() {
        let now = time::macros::datetime!(2026-11-28 12:00 UTC);
        let cases = [
            (time::Duration::minutes(-90), "1 hour ago"),
            (time::Duration::minutes(90), "in 1 hour"),
            (time::Duration::hours(-5), "5 hours ago"),
            (time::Duration::hours(5), "in 5 hours"),
            (time::Duration::minutes(-10), "less than an hour ago"),
            (time::Duration::minutes(10), "in less than an hour"),
            (time::Duration::hours(30), "in 1 day"),
            (time::Duration::hours(-30), "2 days ago"),
            (time::Duration::hours(-24), "24 hours ago"),
            (time::Duration::hours(-25), "2 days ago"),
            (time::Duration::hours(-23), "23 hours ago"),
            (time::Duration::days(-58), "58 days ago"),
            (time::Duration::days(3), "in 3 days"),
        ];
        for (offset, text) in cases {
            assert_eq!(relative(now + offset, now), text, "{offset}");
        }
    }

    #[test]
    fn dates_match_the_rfc3339_formatter() {
        for (unix, nanos) in [
            (0, 0),
            (1_790_000_000, 0),
            (-62_135_596_800, 0),
            (253_402_300_799, 0),
            (1_790_000_000, 5_000),
        ] {
            let at = OffsetDateTime::from_unix_timestamp(unix).unwrap()
                + time::Duration::nanoseconds(nanos);
            assert_eq!(date(at), at.format(&Rfc3339).unwrap(), "{unix}");
        }
    }
}
