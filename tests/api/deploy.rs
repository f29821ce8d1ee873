//! The deployment files agree with the code: fly.toml's port, health check and kill
//! timeout, and every path the Dockerfile copies.

use voicebridge::config::Settings;

use crate::helpers::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn fly() -> toml::Value {
    let text = std::fs::read_to_string(format!("{ROOT}/fly.toml")).expect("fly.toml");
    text.parse().expect("fly.toml is valid TOML")
}

fn default_settings() -> Settings {
    settings_from(&[("LAYERCODE_WEBHOOK_SECRET", "x"), ("LLM_API_KEY", "k")]).expect("valid")
}

#[tokio::test]
async fn fly_toml_matches_the_port_health_check_and_shutdown_grace() {
    let fly = fly();
    let service = &fly["http_service"];
    let settings = default_settings();
    assert_eq!(
        service["internal_port"].as_integer(),
        Some(i64::from(settings.port))
    );
    assert_eq!(
        fly["env"]["PORT"].as_str(),
        Some(settings.port.to_string().as_str())
    );
    assert_eq!(service["force_https"].as_bool(), Some(true));
    assert!(
        service["min_machines_running"].as_integer() >= Some(1),
        "no cold starts"
    );
    assert_eq!(service["concurrency"]["type"].as_str(), Some("connections"));

    let grace: u64 = fly["env"]["SHUTDOWN_GRACE_SECS"]
        .as_str()
        .expect("grace set")
        .parse()
        .expect("seconds");
    assert_eq!(
        grace,
        settings.shutdown_grace.as_secs(),
        "fly.toml states the default"
    );
    let kill = fly["kill_timeout"].as_integer().expect("kill_timeout") as u64;
    assert!(
        kill >= grace + 5,
        "SIGKILL ({kill} s) must come after the grace ({grace} s) and closing"
    );
    assert_eq!(fly["kill_signal"].as_str(), Some("SIGTERM"));

    let path = service["checks"][0]["path"]
        .as_str()
        .expect("a health check");
    let app = spawn_app().await;
    let health = app
        .http
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200, "the checked path answers");
    assert!(
        app.upstream.requests().is_empty(),
        "the health check never calls the model"
    );
}

#[test]
fn every_path_the_dockerfile_copies_exists() {
    let dockerfile = std::fs::read_to_string(format!("{ROOT}/Dockerfile")).expect("Dockerfile");
    let copied: Vec<&str> = dockerfile
        .lines()
        .filter(|line| line.starts_with("COPY ") && !line.contains("--from"))
        .flat_map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            parts[1..parts.len() - 1].to_vec()
        })
        .collect();
    assert!(copied.contains(&"src") && copied.contains(&"static") && copied.contains(&"prompts"));
    for path in copied {
        assert!(
            std::path::Path::new(ROOT).join(path).exists(),
            "Dockerfile copies missing {path}"
        );
    }
}

#[test]
fn the_call_store_file_lives_on_the_volume_fly_mounts() {
    let dockerfile = std::fs::read_to_string(format!("{ROOT}/Dockerfile")).expect("Dockerfile");
    let url = dockerfile
        .split_whitespace()
        .find_map(|word| word.strip_prefix("CALL_STORE_URL="))
        .expect("the image sets CALL_STORE_URL");
    let file = url.strip_prefix("sqlite://").expect("an SQLite file");
    let folder = std::path::Path::new(file).parent().expect("a folder");
    let fly = fly();
    assert_eq!(
        fly["mounts"]["destination"].as_str(),
        folder.to_str(),
        "the volume holds {file}"
    );
    // The entry point hands that folder to the server's user, then drops root.
    let start = std::fs::read_to_string(format!("{ROOT}/deploy/start.sh")).expect("start.sh");
    assert!(start.contains(&format!(
        "chown -R voicebridge:voicebridge {}",
        folder.display()
    )));
    assert!(start.contains("exec setpriv --reuid=voicebridge"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(format!("{ROOT}/deploy/start.sh"))
        .expect("start.sh")
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "start.sh is executable");
}

#[test]
fn the_build_stage_copies_every_folder_the_code_compiles_in() {
    let dockerfile = std::fs::read_to_string(format!("{ROOT}/Dockerfile")).expect("Dockerfile");
    let build = dockerfile
        .split("FROM debian")
        .next()
        .expect("a build stage");
    // include_str!/include_bytes! reach outside src/ into these folders.
    let mut needed = std::collections::BTreeSet::new();
    let mut files = vec![std::path::PathBuf::from(format!("{ROOT}/src"))];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("readable").flatten() {
                files.push(entry.path());
            }
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for part in text.split("include_str!(\"").skip(1) {
            let target = part.split('"').next().unwrap_or_default();
            let resolved = path.parent().expect("a folder").join(target);
            let resolved = resolved.canonicalize().expect("the included file exists");
            let relative = resolved
                .strip_prefix(std::path::Path::new(ROOT).canonicalize().expect("root"))
                .expect("inside the repository")
                .to_path_buf();
            // Files at the top (.env.example) and the documentation pages (docs/, the
            // configuration table) are read by unit tests only.
            if relative.components().count() > 1 && !relative.starts_with("docs") {
                let top = relative.components().next().expect("a folder");
                needed.insert(top.as_os_str().to_string_lossy().to_string());
            }
        }
    }
    assert!(
        needed.contains("migrations") && needed.contains("static"),
        "{needed:?}"
    );
    for folder in needed {
        assert!(
            build.contains(&format!("COPY {folder} ./{folder}")),
            "the build stage must copy {folder}/"
        );
    }
}

#[test]
fn the_example_env_file_starts_from_the_repository_as_copied() {
    // `cp .env.example .env`, keys filled in: every folder it names loads from the
    // repository root (a folder set there must exist).
    let example = std::fs::read_to_string(format!("{ROOT}/.env.example")).expect("example");
    let mut pairs: Vec<(String, String)> = example
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            // Paths relative to the repository, wherever the test runs.
            let relative = v.starts_with("prompts/") || ["tools", "agents", "mcp"].contains(&v);
            let v = if relative {
                format!("{ROOT}/{v}")
            } else {
                v.to_string()
            };
            (k.trim().to_string(), v)
        })
        .collect();
    pairs.push(("LAYERCODE_WEBHOOK_SECRET".into(), "whsec_x".into()));
    pairs.push(("LLM_API_KEY".into(), "sk-x".into()));
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let settings = settings_from(&pairs).expect("the example is valid");
    if let Err(error) = voicebridge::startup::load_files(&settings) {
        panic!("{error}");
    }
}
