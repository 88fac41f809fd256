//! Time as Railway writes it: RFC 3339 UTC timestamps (`2026-12-04T10:00:00.000Z`) to and from
//! milliseconds since 1970, and ages as people read them (`3m`, `2h 5m`, `3d 4h`). No time-zone data:
//! Railway's `DateTime`s are UTC.

/// Milliseconds since 1970 by the wall clock.
pub fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// How long ago `stamp` was, from `now_ms`, in words (see [`age_in_words`]); `None` when
/// `stamp` is not a timestamp. A stamp in the future is `0s` old.
pub fn age(stamp: &str, now_ms: u64) -> Option<String> {
    Some(age_in_words(now_ms.saturating_sub(parse_timestamp_ms(stamp)?) / 1000))
}

/// `40s`, `7m`, `2h 5m`, `3d 4h`: an age in its two largest units.
pub fn age_in_words(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// `ms` since 1970 as an RFC 3339 UTC timestamp with milliseconds.
pub fn timestamp_ms(ms: u64) -> String {
    let seconds = ms / 1000;
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let (hour, minute, second) = (seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:03}Z", ms % 1000)
}

/// The ms since 1970 of an RFC 3339 UTC timestamp as [`timestamp_ms`] writes it (`Z`, optional
/// fraction); `None` for anything else.
pub fn parse_timestamp_ms(stamp: &str) -> Option<u64> {
    let stamp = stamp.strip_suffix('Z')?;
    let (date, time) = stamp.split_once('T')?;
    let mut date = date.splitn(3, '-').map(|part| part.parse::<u64>().ok());
    let (year, month, day) = (date.next()??, date.next()??, date.next()??);
    let (clock, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let mut clock = clock.splitn(3, ':').map(|part| part.parse::<u64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    let millis: u64 = format!("{fraction:0<3}").get(..3)?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm), for dates from 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> Option<u64> {
    let year = if month <= 2 { year.checked_sub(1)? } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).checked_sub(719_468)
}

/// The (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        assert_eq!(timestamp_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(timestamp_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
        for ms in [0, 951_782_400_123, 1_796_000_000_999, 4_102_444_800_000] {
            assert_eq!(parse_timestamp_ms(&timestamp_ms(ms)), Some(ms));
        }
        assert_eq!(parse_timestamp_ms("2026-08-01T00:00:00Z"), Some(1_785_542_400_000));
        assert_eq!(parse_timestamp_ms("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_timestamp_ms("yesterday"), None);
    }

    #[test]
    fn ages_read_at_a_glance() {
        let now = 1_785_542_400_000;
        let ago = |seconds: u64| timestamp_ms(now - seconds * 1000);
        assert_eq!(age(&ago(42), now).as_deref(), Some("42s"));
        assert_eq!(age(&ago(3 * 60 + 5), now).as_deref(), Some("3m"));
        assert_eq!(age(&ago(2 * 3600 + 5 * 60), now).as_deref(), Some("2h 5m"));
        assert_eq!(age(&ago(3 * 86_400 + 4 * 3600 + 59), now).as_deref(), Some("3d 4h"));
        assert_eq!(age(&timestamp_ms(now + 5000), now).as_deref(), Some("0s"));
        assert_eq!(age("soon", now), None);
    }
}
