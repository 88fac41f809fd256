//! Five-field cron schedules (minute, hour, day of month, month, day of week; UTC), as Railway's
//! cron services take them: checking one (`deploy.cronSchedule` in a patch) and computing its
//! next run (`ServiceInstance.nextCronRunAt`).
//!
//! Each field is `*`, a number, a range `a-b`, either with a step `/n`, or a comma list of
//! those. Day of week runs 0–7 with both 0 and 7 Sunday. As in Vixie cron, when both day fields
//! are restricted a day matching either one runs.

use super::store::{civil_from_days, timestamp};

/// A parsed schedule: for each field, which values run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    days_restricted: bool,
    weekdays_restricted: bool,
}

const FIELDS: [(&str, u32, u32); 5] =
    [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7)];

impl Schedule {
    /// Parses `text`, or says which field is wrong.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!("a cron schedule has 5 fields (minute hour day month weekday), not {}", fields.len()));
        }
        let mut sets = Vec::with_capacity(5);
        for (field, (name, low, high)) in fields.iter().zip(FIELDS) {
            sets.push(parse_field(field, low, high).map_err(|problem| format!("{name} field `{field}`: {problem}"))?);
        }
        let mut weekdays = sets.pop().unwrap_or_default();
        if weekdays.get(7).copied().unwrap_or(false) {
            weekdays[0] = true;
        }
        weekdays.truncate(7);
        let months = sets.pop().unwrap_or_default();
        let days = sets.pop().unwrap_or_default();
        let hours = sets.pop().unwrap_or_default();
        let minutes = sets.pop().unwrap_or_default();
        Ok(Schedule {
            minutes,
            hours,
            days,
            months,
            weekdays,
            days_restricted: !fields[2].starts_with('*'),
            weekdays_restricted: !fields[4].starts_with('*'),
        })
    }

    /// The first minute strictly after `after` (seconds since 1970, UTC) when the schedule
    /// runs, as an RFC 3339 timestamp; `None` when it never runs in the next eight years
    /// (`0 0 30 2 *`).
    pub fn next_after(&self, after: u64) -> Option<String> {
        let start = after / 60 + 1;
        let (first_day, first_minute) = (start / 1440, start % 1440);
        for day in first_day..first_day + 366 * 8 {
            if !self.runs_on(day) {
                continue;
            }
            let from = if day == first_day { first_minute } else { 0 };
            for minute_of_day in from..1440 {
                let (hour, minute) = (minute_of_day / 60, minute_of_day % 60);
                if self.hours[hour as usize] && self.minutes[minute as usize] {
                    return Some(timestamp((day * 1440 + minute_of_day) * 60));
                }
            }
        }
        None
    }

    fn runs_on(&self, day: u64) -> bool {
        let (_, month, day_of_month) = civil_from_days(day);
        if !self.months[month as usize] {
            return false;
        }
        // 1970-01-01 was a Thursday (4, with Sunday 0).
        let weekday = ((day + 4) % 7) as usize;
        let by_day = self.days[day_of_month as usize];
        let by_weekday = self.weekdays[weekday];
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => by_day || by_weekday,
            (true, false) => by_day,
            (false, true) => by_weekday,
            (false, false) => true,
        }
    }
}

/// The values `field` selects, as a table indexed by value (0..=high).
fn parse_field(field: &str, low: u32, high: u32) -> Result<Vec<bool>, String> {
    let mut selected = vec![false; high as usize + 1];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| format!("`{step}` is not a step"))?;
                if step == 0 {
                    return Err("a step cannot be 0".into());
                }
                (range, step)
            }
            None => (part, 1),
        };
        let number = |text: &str| -> Result<u32, String> {
            let value: u32 = text.parse().map_err(|_| format!("`{text}` is not a number"))?;
            if value < low || value > high {
                return Err(format!("{value} is outside {low}-{high}"));
            }
            Ok(value)
        };
        let (from, to) = match range {
            "*" => (low, high),
            _ => match range.split_once('-') {
                Some((from, to)) => (number(from)?, number(to)?),
                None if step > 1 => (number(range)?, high),
                None => {
                    let value = number(range)?;
                    (value, value)
                }
            },
        };
        if from > to {
            return Err(format!("the range {from}-{to} runs backwards"));
        }
        for value in (from..=to).step_by(step as usize) {
            selected[value as usize] = true;
        }
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-03T15:46:19Z, a Thursday.
    const NOW: u64 = 1_796_312_779;

    fn next(schedule: &str) -> String {
        Schedule::parse(schedule).unwrap().next_after(NOW).unwrap()
    }

    #[test]
    fn next_runs_follow_cron_semantics() {
        assert_eq!(timestamp(NOW), "2026-12-03T15:46:19.000Z");
        assert_eq!(next("* * * * *"), "2026-12-03T15:47:00.000Z");
        assert_eq!(next("*/15 * * * *"), "2026-12-03T16:00:00.000Z");
        assert_eq!(next("0 3 * * *"), "2026-12-04T03:00:00.000Z");
        assert_eq!(next("30 9 * * 1"), "2026-12-07T09:30:00.000Z", "next Monday");
        assert_eq!(next("0 0 1 1 *"), "2027-01-01T00:00:00.000Z");
        assert_eq!(next("0 12 25 12 0"), "2026-12-06T12:00:00.000Z", "the 25th or a Sunday");
        assert_eq!(next("0 0 * * 7"), "2026-12-06T00:00:00.000Z", "7 is Sunday too");
        assert_eq!(next("5-10/5 1,2 * * *"), "2026-12-04T01:05:00.000Z");
        assert_eq!(Schedule::parse("0 0 30 2 *").unwrap().next_after(NOW), None);
    }

    #[test]
    fn bad_schedules_name_the_field() {
        for (schedule, expected) in [
            ("* * * *", "5 fields"),
            ("60 * * * *", "minute field `60`: 60 is outside 0-59"),
            ("* 5-2 * * *", "hour field `5-2`: the range 5-2 runs backwards"),
            ("* * * * mon", "day of week field `mon`"),
            ("*/0 * * * *", "a step cannot be 0"),
        ] {
            let error = Schedule::parse(schedule).unwrap_err();
            assert!(error.contains(expected), "{schedule}: {error}");
        }
    }
}
