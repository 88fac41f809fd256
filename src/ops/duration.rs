//! Durations as people write them on a command line (`--timeout 15m`, `--older-than 7d`).

use std::time::Duration;

/// `90s`, `15m`, `1h`, `1h30m`, or a number of seconds.
pub fn parse(text: &str) -> Result<Duration, String> {
    let error = || format!("`{text}` is not a duration: write it as 90s, 15m, 1h or 7d");
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let (mut total, mut number) = (0u64, String::new());
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(error()),
        };
        let value: u64 = number.parse().map_err(|_| error())?;
        total = total.checked_add(value.checked_mul(unit).ok_or_else(error)?).ok_or_else(error)?;
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(error());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse("120"), Ok(Duration::from_secs(120)));
        assert!(parse("soon").is_err());
        assert!(parse("15").is_ok() && parse("m").is_err() && parse("0s").is_err());
        assert!(parse("99999999999999999999d").is_err() && parse("").is_err() && parse("-1d").is_err());
    }
}
