//! The layout as a test (issue 9): no module imports another that imports it back, and no
//! non-test source file is over 600 lines. The rules are in `layout/checker.rs`; the first
//! tests below pin them on synthetic sources, the last ones apply them to the workspace.

#[path = "layout/checker.rs"]
mod checker;

use std::path::{Path, PathBuf};

use checker::{Cycle, LongFile, MAX_LINES, Sources, cycles, import_graph, long_files};

fn sources(files: &[(&str, &str)]) -> Sources {
    files
        .iter()
        .map(|(path, text)| (PathBuf::from(path), text.to_string()))
        .collect()
}

fn crate_cycles(files: &[(&str, &str)]) -> Vec<Vec<String>> {
    let sources = sources(files);
    cycles(&import_graph(&sources, Path::new("src/lib.rs")))
        .into_iter()
        .map(|cycle| {
            cycle
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn two_modules_that_import_each_other_are_a_cycle() {
    let found = crate_cycles(&[
        ("src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
        ("src/a.rs", "use crate::b::B;\npub struct A;\n"),
        (
            "src/b.rs",
            "pub struct B;\nfn f() { let _ = crate::a::A; }\n",
        ),
        ("src/c.rs", "use crate::a::A;\n"),
    ]);
    assert_eq!(found, vec![vec!["src/a.rs", "src/b.rs"]]);
}

#[test]
fn a_loop_through_three_modules_is_one_cycle() {
    let found = crate_cycles(&[
        ("src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
        ("src/a.rs", "use crate::b::B;\npub struct A;\n"),
        ("src/b.rs", "use super::c::C;\npub struct B;\n"),
        (
            "src/c.rs",
            "pub struct C;\nuse crate::a::{self as first};\nfn f() { first::A; }\n",
        ),
    ]);
    assert_eq!(found, vec![vec!["src/a.rs", "src/b.rs", "src/c.rs"]]);
}

#[test]
fn a_mod_rs_that_only_re_exports_its_children_is_not_a_cycle_with_them() {
    let files = [
        ("src/lib.rs", "pub mod m;\n"),
        (
            "src/m/mod.rs",
            "mod x;\nmod y;\nmod z;\npub use x::X;\npub use y::{Y, Why as Because};\npub use z::*;\n",
        ),
        (
            "src/m/x.rs",
            "use super::{Because, Y, Zed};\npub struct X;\nfn f() { super::Y; }\n",
        ),
        (
            "src/m/y.rs",
            "pub struct Y;\npub struct Why;\nuse crate::m::Zed;\n",
        ),
        ("src/m/z.rs", "pub struct Zed;\n"),
    ];
    assert_eq!(crate_cycles(&files), Vec::<Vec<String>>::new());
    // The re-exports resolve to the defining children.
    let graph = import_graph(&sources(&files), Path::new("src/lib.rs"));
    let x: Vec<_> = graph[Path::new("src/m/x.rs")].keys().cloned().collect();
    assert_eq!(
        x,
        vec![PathBuf::from("src/m/y.rs"), PathBuf::from("src/m/z.rs")]
    );
}

#[test]
fn a_mod_rs_that_defines_what_a_child_uses_back_is_a_cycle() {
    let found = crate_cycles(&[
        ("src/lib.rs", "pub mod m;\n"),
        (
            "src/m/mod.rs",
            "mod x;\npub use x::X;\npub struct Options;\n",
        ),
        ("src/m/x.rs", "use super::Options;\npub struct X;\n"),
    ]);
    assert_eq!(found, vec![vec!["src/m/mod.rs", "src/m/x.rs"]]);
}

#[test]
fn relative_child_paths_and_nested_files_resolve() {
    let found = crate_cycles(&[
        ("src/lib.rs", "pub mod jobs;\npub mod rules;\n"),
        ("src/jobs.rs", "pub mod scan;\n"),
        (
            "src/jobs/scan.rs",
            "pub fn run() { super::super::rules::expiry::decide(); }\n",
        ),
        (
            "src/rules/mod.rs",
            "pub mod expiry;\npub fn helper() { expiry::decide(); }\n",
        ),
        (
            "src/rules/expiry.rs",
            "pub fn decide() { crate::jobs::scan::run(); }\n",
        ),
    ]);
    assert_eq!(found, vec![vec!["src/jobs/scan.rs", "src/rules/expiry.rs"]]);
}

#[test]
fn comments_strings_and_test_modules_are_not_imports() {
    let found = crate_cycles(&[
        ("src/lib.rs", "mod a;\nmod b;\n"),
        ("src/a.rs", "use crate::b::B;\npub struct A;\n"),
        (
            "src/b.rs",
            "pub struct B;\n\
             // crate::a::A in a comment\n\
             /* crate::a::A in /* a nested */ block */\n\
             const S: &str = \"crate::a::A\";\n\
             const R: &str = r#\"crate::a::A \"quoted\"\"#;\n\
             const Q: char = '\"';\n\
             fn f<'a>(x: &'a str) -> &'a str { x }\n\
             #[cfg(test)]\nmod tests {\n    use crate::a::A;\n}\n\
             #[cfg(test)]\nmod more;\n",
        ),
        ("src/b/more.rs", "use crate::a::A;\n"),
    ]);
    assert_eq!(found, Vec::<Vec<String>>::new());
}

#[test]
fn an_import_from_outside_the_crate_is_no_edge() {
    let files = [
        ("src/lib.rs", "mod a;\nmod b;\n"),
        (
            "src/a.rs",
            "pub use serde_json::Value;\nuse std::fmt;\npub struct A;\n",
        ),
        ("src/b.rs", "use crate::a::Value;\nuse ::url::Url;\n"),
    ];
    let graph = import_graph(&sources(&files), Path::new("src/lib.rs"));
    assert!(graph[Path::new("src/b.rs")].is_empty(), "{graph:?}");
}

#[test]
fn only_non_test_lines_count() {
    let code = |n: usize| "let x = 1;\n".repeat(n);
    let tests_block = format!("#[cfg(test)]\nmod tests {{\n{}}}\n", code(200));
    let files = sources(&[
        ("ok.rs", &code(MAX_LINES)),
        ("long.rs", &code(MAX_LINES + 1)),
        (
            "with_tests.rs",
            &format!("{}{tests_block}", code(MAX_LINES - 10)),
        ),
        (
            "long_with_tests.rs",
            &format!("{}{tests_block}", code(MAX_LINES + 5)),
        ),
        ("tests.rs", &code(2 * MAX_LINES)),
        ("m/tests/cases.rs", &code(2 * MAX_LINES)),
    ]);
    assert_eq!(
        long_files(&files),
        vec![
            LongFile {
                path: PathBuf::from("long.rs"),
                lines: MAX_LINES + 1
            },
            LongFile {
                path: PathBuf::from("long_with_tests.rs"),
                lines: MAX_LINES + 5
            },
        ]
    );
}

/// The workspace's crates: (crate folder, roots under `src`).
const CRATES: [&str; 7] = [
    "shared",
    "sim",
    "cli",
    "tests",
    "functions/lambda-kit",
    "functions/probe",
    "functions/expiry-scan",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace folder")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, keyed by its path relative to `base`.
fn read_tree(base: &Path, dir: &Path, into: &mut Sources) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() {
            read_tree(base, &path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let key = path.strip_prefix(base).expect("under base").to_path_buf();
            into.insert(key, text);
        }
    }
}

fn crate_sources(name: &str) -> Sources {
    let src = workspace().join(name).join("src");
    let mut sources = Sources::new();
    read_tree(&src, &src, &mut sources);
    sources
}

fn workspace_cycles() -> Vec<(String, Cycle)> {
    let mut found = Vec::new();
    for name in CRATES {
        let sources = crate_sources(name);
        for root in ["lib.rs", "main.rs"] {
            if sources.contains_key(Path::new(root)) {
                for cycle in cycles(&import_graph(&sources, Path::new(root))) {
                    found.push((format!("{name}/src"), cycle));
                }
            }
        }
    }
    found
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    let found = workspace_cycles();
    let shown: Vec<String> = found
        .iter()
        .map(|(krate, cycle)| {
            format!(
                "{krate}: {}\n    {}",
                cycle
                    .files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                cycle.imports.join("\n    ")
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "modules that import each other:\n{}",
        shown.join("\n")
    );
}

#[test]
fn no_non_test_source_file_is_over_600_lines() {
    let mut long = Vec::new();
    for name in CRATES {
        for file in long_files(&crate_sources(name)) {
            long.push(format!(
                "{name}/src/{}: {} lines",
                file.path.display(),
                file.lines
            ));
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}
