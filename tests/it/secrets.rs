//! No secret in any output: distinctive values of every kind (a `from_env` value, a sensitive
//! literal, a password Railway already holds, a generated secret read back after apply, the API
//! token) are scanned for in everything railform writes: plan text, json and markdown (with
//! `--show-values`), `-v` logs, apply output, error messages (wrong token, both tokens, a stale
//! saved plan, a missing `from_env`), saved plans, and the `Debug` of the client and its settings.
//!
//! `--emulator` keeps `.railform/emulator.json`: that file is the emulator's database, standing
//! for Railway's own, and holds variable values by nature (as Railway does); railform must not
//! put the token there, and the test checks exactly that.

use serde_json::json;

use crate::harness::{record_figures, Emulator, Run, Workspace};
use crate::seed::{
    config, realistic_project, realistic_workspace, text, upsert_variables, JWT_VALUE, SEEDED_PASSWORD,
    SENSITIVE_LITERAL,
};

const TOKEN: &str = "rf-api-token-Zq81xVbN";
const WRONG_TOKEN: &str = "rf-wrong-token-Hh55Kc";

/// Every output collected, by what produced it.
#[derive(Default)]
struct Outputs(Vec<(String, String)>);

impl Outputs {
    fn run(&mut self, label: &str, run: Run) -> Run {
        self.0.push((label.to_string(), format!("{}\n{}", run.stdout, run.stderr)));
        run
    }

    fn add(&mut self, label: &str, text: String) {
        self.0.push((label.to_string(), text));
    }

    fn assert_none_holds(&self, secrets: &[(&str, &str)]) {
        for (label, output) in &self.0 {
            for (kind, secret) in secrets {
                assert!(!output.contains(secret), "{label} shows the {kind}:\n{output}");
            }
        }
    }
}

#[test]
fn no_secret_and_no_token_appears_in_any_output() {
    let emulator = Emulator::builder().token(TOKEN).start();
    let seeded = realistic_project(&emulator);
    let mut workspace = realistic_workspace(&emulator);
    workspace.env("RAILWAY_API_TOKEN", TOKEN);
    let mut outputs = Outputs::default();

    outputs.run("apply -v", workspace.run(&["-v", "apply", "--yes", "--prune"])).expect(0);
    let (dev, _) = config(&emulator, &seeded.dev, true);
    let generated = text(&dev["services"][seeded.api.as_str()]["variables"]["SESSION_KEY"]["value"]);
    assert_eq!(generated.len(), 40, "the generated secret was read back");

    // Drift, so that plans have something to show.
    let drift = |port: &str| {
        upsert_variables(
            &emulator,
            json!({"projectId": seeded.project.id, "environmentId": seeded.dev, "serviceId": seeded.api,
                   "skipDeploys": true, "variables": {"PORT": port, "JWT_SECRET": "rotated-by-hand"}}),
        )
    };
    drift("9000");
    for format in ["text", "json", "markdown"] {
        let args = ["-v", "plan", "--prune", "--show-values", "--format", format];
        outputs.run(&format!("plan --format {format} -v --show-values"), workspace.run(&args)).expect(0);
    }
    outputs.run("plan --out", workspace.run(&["plan", "--prune", "--out", "saved.json"])).expect(0);
    outputs.add("saved plan", std::fs::read_to_string(workspace.path().join("saved.json")).expect("saved plan"));
    drift("9001");
    let stale = outputs.run("stale apply --plan", workspace.run(&["-v", "apply", "--plan", "saved.json", "--yes"]));
    assert!(stale.expect(1).stderr.contains("stale"));

    let mut wrong = realistic_workspace(&emulator);
    wrong.env("RAILWAY_API_TOKEN", WRONG_TOKEN);
    let refused = outputs.run("wrong token", wrong.run(&["-v", "plan"])).expect(1);
    assert!(refused.stderr.contains("Not Authorized"), "{}", refused.stderr);
    wrong.env("RAILWAY_TOKEN", TOKEN);
    outputs.run("both tokens", wrong.run(&["plan"])).expect(1);
    let mut unset = Workspace::new(&emulator);
    unset.file("environments/dev.toml", &crate::seed::realistic_toml("dev"));
    unset.env("RAILWAY_API_TOKEN", TOKEN);
    outputs.run("missing from_env", unset.run(&["plan"])).expect(1);

    // `--emulator`: its database may hold values, never the token.
    let mut local = realistic_workspace(&emulator);
    local.env("RAILWAY_API_TOKEN", TOKEN);
    // (It starts empty, so the preserved POSTGRES_PASSWORD is missing and verification fails.)
    outputs.run("--emulator apply", local.run(&["--emulator", "-v", "apply", "--yes"]));
    let database = std::fs::read_to_string(local.path().join(".railform/emulator.json")).expect("emulator state");
    assert!(!database.contains(TOKEN), "the emulator's state holds the token");

    // Debug output of what carries the token.
    let token = railform::railway::Token::Api(railform::secret::Secret::new(TOKEN));
    let settings =
        railform::railway::Settings { token: Some(token), ..railform::railway::Settings::new(emulator.url()) };
    outputs.add("Debug of Settings", format!("{settings:?} {settings:#?}"));
    let client = railform::railway::Client::new(settings).expect("client");
    outputs.add("Debug of Client", format!("{client:?} {client:#?}"));

    let secrets = [
        ("from_env value", JWT_VALUE),
        ("sensitive literal", SENSITIVE_LITERAL),
        ("seeded password", SEEDED_PASSWORD),
        ("generated secret", generated.as_str()),
        ("API token", TOKEN),
        ("wrong token", WRONG_TOKEN),
    ];
    outputs.assert_none_holds(&secrets);
    record_figures(
        "secrets",
        json!({"outputs_scanned": outputs.0.len(), "secrets": secrets.len(),
        "outputs": outputs.0.iter().map(|(label, _)| label.clone()).collect::<Vec<_>>()}),
    );
}
