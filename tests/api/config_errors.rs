//! Configuration mistakes stop the binary with a message that says where they are: a `.env`
//! line that does not parse, every missing or invalid setting at once, a folder that was
//! set but does not exist, an agent file's unreadable prompt; files that are not read are
//! named in a warning.

use crate::helpers::binary::{run_blocking, run_in};
use crate::helpers::unique::{folder_with, temp_folder};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_dotenv_line_that_does_not_parse_stops_start_up_naming_the_file_and_line() {
    let dir = folder_with(
        "dotenv-bad",
        &[(
            ".env",
            "# local keys\nLAYERCODE_WEBHOOK_SECRET=whsec_x\nLLM_API_KEY sk-secret-123\n",
        )],
    );
    let output = run_in(&dir, &["check"], &[], "");
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let env_file = dir.join(".env");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "voicebridge: configuration error: {}: line 3, column 13: cannot parse this \
             line: each line is NAME=value or a # comment, and a value with spaces needs \
             quotes",
            env_file.display()
        )
    );
    assert!(!stderr.contains("sk-secret-123"), "the line is not quoted");
}

#[test]
fn the_environment_wins_over_dotenv_and_a_missing_dotenv_is_fine() {
    let dir = folder_with("dotenv-good", &[(".env", "PORT=eighty\nLOG_FORMAT=xml\n")]);
    // PORT from the environment wins; LOG_FORMAT from the file is read (and refused).
    let output = run_in(&dir, &["check"], &[("PORT", "8080")], "");
    let text = stderr(&output);
    assert!(!text.contains("PORT"), "{text}");
    assert!(text.contains("LOG_FORMAT: `xml` is not one of"), "{text}");
    // No .env at all: the usual errors, nothing about the file.
    let text = stderr(&run_blocking(&["check"], &[], ""));
    assert!(!text.contains(".env"), "{text}");
}

#[test]
fn every_missing_setting_is_listed_in_one_run() {
    let output = run_blocking(&["check"], &[("PORT", "eighty"), ("HOST", "local")], "");
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines[0], "voicebridge: 4 configuration errors:", "{stderr}");
    assert_eq!(lines[1], "  HOST: `local` is not an IP address", "{stderr}");
    assert_eq!(
        lines[2], "  PORT: `eighty` is not a valid value",
        "{stderr}"
    );
    assert!(
        lines[3].starts_with("  LLM_API_KEY: is required"),
        "{stderr}"
    );
    assert!(
        lines[4].starts_with("  LAYERCODE_WEBHOOK_SECRET: is required"),
        "{stderr}"
    );
    assert_eq!(lines.len(), 5, "{stderr}");
}

#[test]
fn a_folder_that_was_set_must_exist() {
    let dir = temp_folder("missing-dirs");
    for variable in ["TOOLS_DIR", "MCP_DIR", "AGENTS_DIR"] {
        let env = [
            ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
            ("LLM_API_KEY", "k"),
            (variable, "mytools"),
        ];
        let output = run_in(&dir, &["check"], &env, "");
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(
            stderr.trim_end(),
            format!(
                "voicebridge: configuration error: {variable}: mytools: no such folder (a \
                 folder set in {variable} must exist; leave it unset for the default)"
            )
        );
    }
}

#[test]
fn an_agent_files_unreadable_prompt_names_the_agent_file_and_field() {
    let dir = temp_folder("agent-prompt");
    std::fs::create_dir_all(dir.join("agents")).expect("agents");
    std::fs::write(
        dir.join("agents/broken.toml"),
        "prompt_file = \"nowhere.md\"\n",
    )
    .expect("agent file");
    std::fs::write(dir.join("agents/notes.json"), "{}").expect("other file");
    let env = [
        ("LAYERCODE_WEBHOOK_SECRET", "whsec_x"),
        ("LLM_BASE_URL", "http://127.0.0.1:9/v1"),
        ("CALL_STORE_URL", "off"),
    ];
    let output = run_in(&dir, &["check"], &env, "");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "  warning            AGENTS_DIR: agents/notes.json is not read: only *.toml files are"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "AGENTS_DIR: agents/broken.toml: prompt_file: cannot read nowhere.md (relative \
             to the working directory): No such file or directory"
        ),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_server_warns_of_files_it_does_not_read() {
    let upstream = crate::helpers::fake_upstream::FakeUpstream::start().await;
    let tools = folder_with("tools-other", &[("get_order.json", "{}")]);
    let server = crate::helpers::binary::start_binary(
        &upstream,
        &[("TOOLS_DIR", tools.to_str().expect("utf-8"))],
    )
    .await;
    let log = server.stop_and_read_log();
    let expected = format!(
        "TOOLS_DIR: {} is not read: only *.toml files are",
        tools.join("get_order.json").display()
    );
    assert!(log.contains(&expected), "{log}");
}
