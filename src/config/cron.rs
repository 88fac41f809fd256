//! Cron schedules as Railway's cron services take them (`deploy.cron_schedule`): five fields,
//! minute hour day-of-month month day-of-week, in UTC. Each field is `*`, a number, a range
//! `a-b`, either with a step `/n`, or a comma list of those; day of week runs 0–7, both 0 and 7
//! Sunday (docs.railway.com/cron-jobs). Railway also documents that "the shortest time between
//! successive executions of a cron job cannot be less than 5 minutes": [`check`] refuses a
//! schedule that can run twice within 5 minutes.

/// The shortest interval Railway allows between two runs, in minutes.
pub const MIN_INTERVAL_MINUTES: u32 = 5;

/// The fields: name, lowest and highest value.
const FIELDS: [(&str, u32, u32); 5] =
    [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7)];

/// Why a schedule is refused: a message and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronProblem {
    pub message: String,
    pub hint: String,
}

/// Checks `text`: five well-formed fields, and no two runs less than
/// [`MIN_INTERVAL_MINUTES`] apart.
pub fn check(text: &str) -> Result<(), CronProblem> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let example = "write five fields, minute hour day month weekday, as in \"*/15 * * * *\" (UTC)";
    if fields.len() != 5 {
        let hint = if fields.len() == 6 {
            format!("Railway's schedules have no seconds field: {example}")
        } else {
            example.to_string()
        };
        return Err(CronProblem {
            message: format!("a cron schedule has 5 fields (minute hour day month weekday), not {}", fields.len()),
            hint,
        });
    }
    let mut sets = Vec::with_capacity(5);
    for (field, (name, low, high)) in fields.iter().zip(FIELDS) {
        match parse_field(field, low, high) {
            Ok(set) => sets.push(set),
            Err(problem) => {
                return Err(CronProblem {
                    message: format!("the {name} field `{field}` {problem}"),
                    hint: format!(
                        "{name} values run from {low} to {high}; a field is *, N, A-B, */S, A-B/S or a comma list"
                    ),
                })
            }
        }
    }
    if let Some(gap) = shortest_gap(&sets[0], &sets[1], fields[2] == "*" && fields[3] == "*" && fields[4] == "*") {
        if gap < MIN_INTERVAL_MINUTES {
            return Err(CronProblem {
                message: format!(
                    "`{text}` runs {gap} minute{} apart; Railway runs a cron at most every {MIN_INTERVAL_MINUTES} minutes",
                    if gap == 1 { "" } else { "s" }
                ),
                hint: "space the runs at least 5 minutes apart, as in \"*/5 * * * *\"; for more frequent work, run a \
                       long-lived worker instead of a cron"
                    .to_string(),
            });
        }
    }
    Ok(())
}

/// The shortest gap in minutes between two runs on one day (and across midnight when every
/// day runs), or `None` when the schedule runs once a day at most.
fn shortest_gap(minutes: &[bool], hours: &[bool], every_day: bool) -> Option<u32> {
    let runs: Vec<u32> = (0..24u32)
        .filter(|&hour| hours[hour as usize])
        .flat_map(|hour| (0..60u32).filter(|&minute| minutes[minute as usize]).map(move |minute| hour * 60 + minute))
        .collect();
    let mut gaps: Vec<u32> = runs.windows(2).map(|pair| pair[1] - pair[0]).collect();
    if every_day {
        if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
            gaps.push(first + 1440 - last);
        }
    }
    gaps.into_iter().min()
}

/// The values one field allows, as flags indexed by value.
fn parse_field(field: &str, low: u32, high: u32) -> Result<Vec<bool>, String> {
    let mut set = vec![false; high as usize + 1];
    for part in field.split(',') {
        if part.is_empty() {
            return Err("has an empty list item".to_string());
        }
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| format!("has a step `{step}` that is not a number"))?;
                if step == 0 {
                    return Err("has a step of 0".to_string());
                }
                (range, step)
            }
            None => (part, 1),
        };
        let (start, end) = if range == "*" {
            (low, high)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (number(a, low, high)?, number(b, low, high)?);
            if a > b {
                return Err(format!("has a range {a}-{b} that runs backwards"));
            }
            (a, b)
        } else {
            let a = number(range, low, high)?;
            // `5/15` means from 5 to the end, every 15 (as Vixie cron reads it).
            (a, if step > 1 { high } else { a })
        };
        let mut value = start;
        while value <= end {
            set[value as usize] = true;
            value += step;
        }
    }
    Ok(set)
}

fn number(text: &str, low: u32, high: u32) -> Result<u32, String> {
    let value: u32 = text.parse().map_err(|_| format!("has `{text}`, which is not a number"))?;
    if value < low || value > high {
        return Err(format!("has {value}, outside {low}–{high}"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn railways_documented_examples_are_accepted() {
        for good in [
            "30 * * * *",
            "15 15 * * *",
            "0 8 * * 1",
            "0 0 1 * *",
            "30 14 * 1 0",
            "30 9 * * 1-5",
            "*/15 * * * *",
            "0 */2 * * *",
            "0 6 2 * *",
            "*/5 * * * *",
            "0,30 * * * 7",
            "55 23 * * *",
        ] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn malformed_or_too_frequent_schedules_are_refused() {
        for bad in [
            "* * * *",
            "0 * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "0 0 0 * *",
            "0 0 * 13 *",
            "0 0 * * 8",
            "a * * * *",
            "5-1 * * * *",
            "*/0 * * * *",
            ",1 * * * *",
            "* * * * *",
            "*/2 * * * *",
            "0,3 * * * *",
            "0,58 0,23 * * *",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        let frequent = check("*/2 * * * *").unwrap_err();
        assert!(frequent.message.contains("2 minutes apart"), "{}", frequent.message);
        // Across midnight only when every day runs.
        assert!(check("58 23 * * *").is_ok());
        assert!(check("2 0 * * *").is_ok());
    }
}
