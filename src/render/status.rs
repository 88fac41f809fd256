//! `railform status` shown: a table for people (one row per service and environment), a JSON
//! document for programs.

use serde_json::json;

use crate::ops::status::StatusReport;

/// Columns ENVIRONMENT SERVICE STATUS AGE URL, grouped by project when there are several;
/// `now_ms` is the moment ages are counted from.
pub fn text(report: &StatusReport, now_ms: u64) -> String {
    if report.services.is_empty() {
        return "No services declared.".to_string();
    }
    let several_projects = report.services.iter().any(|s| s.project != report.services[0].project);
    let mut rows = vec![["ENVIRONMENT", "SERVICE", "STATUS", "AGE", "URL"].map(str::to_string)];
    for service in &report.services {
        let environment = if several_projects {
            format!("{}/{}", service.project, service.environment)
        } else {
            service.environment.clone()
        };
        let age = service.deployed_at.as_deref().and_then(|at| crate::clock::age(at, now_ms));
        rows.push([
            environment,
            service.service.clone(),
            service.status.clone(),
            age.unwrap_or_else(|| "-".to_string()),
            service.url.clone().unwrap_or_else(|| "-".to_string()),
        ]);
    }
    let widths: Vec<usize> = (0..5).map(|c| rows.iter().map(|row| row[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        out.push_str(super::printable(cells.join("  ").trim_end()).as_ref());
        out.push('\n');
    }
    let unhealthy = report.services.iter().filter(|s| s.unhealthy()).count();
    out.push_str(&match unhealthy {
        0 => format!("{} service(s), all deployed.", report.services.len()),
        n => format!("{} service(s), {n} not running what the files say.", report.services.len()),
    });
    for waiting in &report.dns {
        out.push('\n');
        out.push_str(&super::printable(&waiting.line()));
    }
    out
}

/// `{"format_version": 1, "services": [...], "dns": [...]}`: each service as
/// [`crate::ops::status::ServiceStatus`], each custom domain waiting for DNS as
/// [`crate::plan::dns::WaitingDomain`].
pub fn json(report: &StatusReport) -> anyhow::Result<String> {
    let document = json!({ "format_version": 1, "services": report.services, "dns": report.dns });
    Ok(serde_json::to_string_pretty(&document)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::status::ServiceStatus;

    fn service(name: &str, status: &str, deployed_at: Option<&str>) -> ServiceStatus {
        ServiceStatus {
            project: "shop".into(),
            environment: "production".into(),
            service: name.into(),
            status: status.into(),
            deployment_id: deployed_at.map(|_| "d1".into()),
            deployed_at: deployed_at.map(str::to_string),
            url: (name == "api").then(|| "https://api.up.railway.app".into()),
        }
    }

    #[test]
    fn the_table_aligns_and_counts_what_is_not_running() {
        let now = crate::clock::parse_timestamp_ms("2026-12-04T12:00:00Z").unwrap();
        let report = StatusReport {
            dns: Vec::new(),
            services: vec![
                service("api", "SUCCESS", Some("2026-12-04T11:57:00Z")),
                service("worker", "NOT DEPLOYED", None),
            ],
        };
        let shown = text(&report, now);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], "ENVIRONMENT  SERVICE  STATUS        AGE  URL");
        assert_eq!(lines[1], "production   api      SUCCESS       3m   https://api.up.railway.app");
        assert_eq!(lines[2], "production   worker   NOT DEPLOYED  -    -");
        assert_eq!(lines[3], "2 service(s), 1 not running what the files say.");
        let document: serde_json::Value = serde_json::from_str(&json(&report).unwrap()).unwrap();
        assert_eq!(document["services"][0]["deployment_id"], "d1");
        assert_eq!(document["services"][1]["status"], "NOT DEPLOYED");
    }
}
