//! Tests of the pronunciation dictionary.

use super::*;

#[test]
fn words_inside_addresses_are_left_alone() {
    let words = Pronunciations::from_pairs(&[("nginx", "engine x")]).expect("valid");
    assert_eq!(
        words.apply("See https://example.com/nginx or nginx@example.com for Nginx."),
        "See https://example.com/nginx or nginx@example.com for engine x."
    );
}

fn dictionary(pairs: &[(&str, &str)]) -> Pronunciations {
    Pronunciations::from_pairs(pairs).expect("valid pairs")
}

#[test]
fn a_lowercase_key_matches_any_case() {
    let d = dictionary(&[("nginx", "engine x")]);
    assert_eq!(
        d.apply("nginx, Nginx and NGINX."),
        "engine x, engine x and engine x."
    );
}

#[test]
fn a_key_with_capitals_matches_only_its_case() {
    let d = dictionary(&[("SQL", "sequel")]);
    assert_eq!(d.apply("SQL and sql and Sql"), "sequel and sql and Sql");
}

#[test]
fn keys_match_whole_words_only() {
    let d = dictionary(&[("SQL", "sequel")]);
    assert_eq!(
        d.apply("SQL, (SQL) \"SQL\"."),
        "sequel, (sequel) \"sequel\"."
    );
    assert_eq!(
        d.apply("MySQL and SQLite and SQL2"),
        "MySQL and SQLite and SQL2"
    );
    let d = dictionary(&[("C++", "C plus plus"), (".NET", "dot net")]);
    assert_eq!(
        d.apply("I like C++ and .NET."),
        "I like C plus plus and dot net."
    );
    assert_eq!(d.apply("ASP.NET and C++x"), "ASP.NET and C++x");
}

#[test]
fn multi_word_keys_and_the_longest_match_win() {
    let d = dictionary(&[
        ("Kubernetes", "koo-ber-net-ees"),
        ("Kubernetes cluster", "the cluster"),
    ]);
    assert_eq!(
        d.apply("A Kubernetes cluster, a Kubernetes\n  cluster and Kubernetes."),
        "A the cluster, a the cluster and koo-ber-net-ees."
    );
    let d = dictionary(&[("nginx", "engine x"), ("NGINX", "N G I N X")]);
    assert_eq!(d.apply("NGINX or Nginx"), "N G I N X or engine x");
}

#[test]
fn replacements_are_not_matched_again_and_non_ascii_works() {
    let d = dictionary(&[("a", "a b"), ("b", "c"), ("straße", "Strasse")]);
    assert_eq!(d.apply("a b STRASSE Straße"), "a b c STRASSE Strasse");
}

#[test]
fn nothing_matched_borrows() {
    let d = dictionary(&[("nginx", "engine x")]);
    assert!(matches!(d.apply("Nothing to see here."), Cow::Borrowed(_)));
    assert!(matches!(d.apply("engines"), Cow::Borrowed(_)));
    assert!(matches!(d.apply("nginx"), Cow::Owned(_)));
    assert!(matches!(
        Pronunciations::default().apply("nginx"),
        Cow::Borrowed(_)
    ));
}

#[test]
fn bad_pairs_are_errors() {
    let e = Pronunciations::from_pairs(&[("  ", "x")]).expect_err("empty key");
    assert!(e.to_string().contains("empty"), "{e}");
    let e = Pronunciations::from_pairs(&[("a", "x"), ("a", "y")]).expect_err("twice");
    assert!(e.to_string().contains("twice"), "{e}");
    let d = dictionary(&[("a", "x"), ("A", "y")]);
    assert_eq!(d.len(), 2);
    assert!(!d.is_empty());
}

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("voicebridge-pronounce-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn a_file_loads_and_a_missing_one_is_empty() {
    let path = write(
        "good.toml",
        "# Comment\n\"nginx\" = \"engine x\"\nSQL = 'sequel'\n",
    );
    let d = Pronunciations::load(&path).expect("loads");
    assert_eq!(d.len(), 2);
    assert_eq!(d.apply("SQL on nginx"), "sequel on engine x");
    let missing = Pronunciations::load(Path::new("/nonexistent/pronunciations.toml"))
        .expect("missing is empty");
    assert!(missing.is_empty());
}

#[test]
fn bad_files_name_the_file_and_line() {
    let path = write("invalid.toml", "a = \"b\"\n\n\"c\" = = \"d\"\n");
    let e = Pronunciations::load(&path).expect_err("invalid");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("{}: line 3: ", path.display())),
        "{text}"
    );

    let path = write("number.toml", "a = \"b\"\nport = 5\n");
    let e = Pronunciations::load(&path).expect_err("number");
    assert_eq!(e.file, path.display().to_string());
    assert!(e.message.starts_with("line 2: "), "{e}");
    assert!(e.message.contains("\"port\""), "{e}");

    let path = write("table.toml", "a = \"b\"\n[section]\nx = \"y\"\n");
    let e = Pronunciations::load(&path).expect_err("table");
    assert!(e.message.contains("\"section\""), "{e}");

    let path = write("empty.toml", "a = \"b\"\n\"\" = \"nothing\"\n");
    let e = Pronunciations::load(&path).expect_err("empty key");
    assert!(e.message.starts_with("line 2: "), "{e}");
    assert!(e.message.contains("empty"), "{e}");
}

#[test]
fn the_shipped_example_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/pronunciations.toml");
    let d = Pronunciations::load(&path).expect("the example is valid");
    assert!(!d.is_empty());
    assert_eq!(d.apply("nginx"), "engine x");
}

proptest::proptest! {
    #[test]
    fn apply_never_panics(text in "\\PC{0,80}", key in "[a-zA-Z+. ]{1,12}") {
        let empty = Pronunciations::default();
        proptest::prop_assert!(matches!(empty.apply(&text), Cow::Borrowed(t) if t == text));
        if let Ok(d) = Pronunciations::from_pairs(&[(&key, "x"), ("é", "e")]) {
            let _ = d.apply(&text);
            let _ = d.apply(&format!("{text} {key} {text}"));
        }
    }
}
