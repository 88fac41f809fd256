//! Ephemeral (preview) environments in a plan: the live state a plan sees holds only the
//! permanent environments and the preview `preview up` is applying, so `plan` and `apply`
//! never report, rewrite or otherwise touch anybody's preview.

use std::borrow::Cow;

use crate::config::model::Environment;
use crate::state::{LiveEnvironment, LiveProject};

/// `live` as a plan of `environments` sees it: without the ephemeral environments that no
/// preview among `environments` names. Borrowed when nothing is hidden. Also returns what makes
/// the plan impossible: a file naming an ephemeral environment, or a preview naming a permanent one.
pub fn visible<'l>(live: &'l LiveProject, environments: &[&Environment]) -> (Cow<'l, LiveProject>, Vec<String>) {
    let mut errors = Vec::new();
    for desired in environments {
        let names = std::iter::once(&desired.name).chain(&desired.renamed_from);
        for live_environment in names.filter_map(|name| live.environment_by_name(name)) {
            match (&desired.preview, &live_environment.ephemeral) {
                (None, Some(_)) => errors.push(format!(
                    "{}: environment `{}` is an ephemeral (preview) environment in Railway; plan and apply never \
                     touch previews: manage it with `railform preview`, or name this file's environment otherwise",
                    desired.file, live_environment.name
                )),
                (Some(_), None) => errors.push(format!(
                    "environment `{}` is a permanent environment, not a preview: `railform preview` only changes \
                     ephemeral environments",
                    live_environment.name
                )),
                _ => {}
            }
        }
    }
    let shown = |name: &str| environments.iter().any(|desired| desired.preview.is_some() && desired.name == name);
    let hidden = |environment: &LiveEnvironment| environment.ephemeral.is_some() && !shown(&environment.name);
    if !live.environments.iter().any(hidden) {
        return (Cow::Borrowed(live), errors);
    }
    let filtered = LiveProject {
        id: live.id.clone(),
        name: live.name.clone(),
        services: live.services.clone(),
        environments: live.environments.iter().filter(|environment| !hidden(environment)).cloned().collect(),
    };
    (Cow::Owned(filtered), errors)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{model, seeded_project};
    use super::super::{diff, DiffOptions};
    use crate::config::model::Preview;
    use crate::config::secrets::Secrets;
    use crate::state::{Ephemeral, LiveValue};

    const DEV: &str = "project = \"platform\"\nenvironment = \"dev\"\n[services.platform-db]\n\
                       variables = { DATABASE_URL = { preserve = true } }\n\
                       [services.platform-api.variables]\nDATABASE_URL = \"$<<platform-db.DATABASE_URL>>\"\n";
    const PREVIEW: &str = "extends = \"dev.toml\"\nenvironment = { preview = true }\n";

    /// The seeded project with `dev` converged to DEV, and an ephemeral `pr-1` full of drift.
    fn live_with_a_preview() -> crate::state::LiveProject {
        let mut live = seeded_project("platform-db");
        live.environments.truncate(1);
        live.environments[0]
            .instances
            .get_mut("s-db")
            .unwrap()
            .variables
            .insert("DATABASE_URL".into(), LiveValue::Value("postgres://x".into()));
        let mut preview = live.environments[0].clone();
        preview.id = "e-pr-1".into();
        preview.name = "pr-1".into();
        preview.ephemeral = Some(Ephemeral { created_at: "2026-01-01T00:00:00Z".into(), source: Some("dev".into()) });
        preview.instances.get_mut("s-api").unwrap().variables.insert("HAND_MADE".into(), LiveValue::Value("1".into()));
        live.environments.push(preview);
        live
    }

    #[test]
    fn a_preview_file_is_not_planned_and_ephemeral_environments_are_not_drift() {
        let model = model(&[("dev.toml", DEV), ("preview.toml", PREVIEW)]);
        assert_eq!(model.environments.len(), 1);
        assert_eq!(model.previews.len(), 1);
        assert_eq!(model.previews[0].preview, Some(Preview { base: Some("dev".into()) }));
        let plan = diff(&model, &[Some(live_with_a_preview())], &Secrets::default(), &DiffOptions::default());
        assert!(plan.errors.is_empty(), "{:?}", plan.errors);
        assert!(plan.is_empty(), "{:?} {:?}", super::super::tests::actions(&plan), plan.unmanaged);
        assert!(plan.fingerprint.projects[0].environments.iter().all(|e| e.name != "pr-1"));
    }

    #[test]
    fn a_preview_sees_its_own_environment_and_files_cannot_claim_an_ephemeral_one() {
        let mut model = model(&[("dev.toml", DEV), ("preview.toml", PREVIEW)]);
        let mut preview = model.previews.pop().unwrap();
        preview.name = "pr-1".into();
        model.environments = vec![preview];
        let plan = diff(&model, &[Some(live_with_a_preview())], &Secrets::default(), &DiffOptions::default());
        let drift: Vec<&str> = plan.unmanaged.iter().map(|u| u.address.as_str()).collect();
        assert_eq!(drift, ["pr-1/platform-api/HAND_MADE"]);

        let named = model_named("pr-1");
        let plan = diff(&named, &[Some(live_with_a_preview())], &Secrets::default(), &DiffOptions::default());
        assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
        assert!(plan.errors[0].contains("ephemeral"), "{:?}", plan.errors);
    }

    #[test]
    fn a_rename_rewrites_every_permanent_environment_and_no_preview() {
        let renaming =
            DEV.replace("[services.platform-db]\n", "[services.platform-db]\nrenamed_from = [\"Postgres-OG9n\"]\n");
        let model = model(&[("dev.toml", &renaming), ("preview.toml", PREVIEW)]);
        let mut live = seeded_project("Postgres-OG9n");
        let mut preview = live.environments[1].clone();
        preview.id = "e-pr-1".into();
        preview.name = "pr-1".into();
        preview.ephemeral = Some(Ephemeral { created_at: "2026-01-01T00:00:00Z".into(), source: None });
        live.environments.push(preview);
        let plan = diff(&model, &[Some(live)], &Secrets::default(), &DiffOptions::default());
        let rewrites: Vec<&str> =
            plan.changes.iter().filter(|c| c.address.ends_with("DATABASE_URL")).map(|c| c.address.as_str()).collect();
        assert_eq!(rewrites, ["dev/platform-api/DATABASE_URL", "staging/platform-api/DATABASE_URL"]);
    }

    fn model_named(name: &str) -> crate::config::model::Model {
        model(&[("dev.toml", &DEV.replace("environment = \"dev\"", &format!("environment = \"{name}\"")))])
    }
}
