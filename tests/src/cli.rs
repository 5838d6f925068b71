//! Running the `credwatch` binary as an operator would, against moto: the AWS environment of
//! [`crate::aws::child_env`], simulator endpoints allowed, and no table or topic inherited from
//! the test's own environment.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::aws::child_env;

/// The workspace's binary `name` (`credwatch`, `credwatch-probe`, ...), next to the running
/// test's own executable (`target/<profile>/`). Panics, saying how to build it, when it is
/// not there.
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo test --workspace` (or `cargo build --workspace --bins`)",
        path.display()
    );
    path
}

/// `credwatch args...` (the binary at `binary`), ready to run.
pub fn command(binary: &Path, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(binary);
    command
        .args(args)
        .env("CREDWATCH_ALLOW_ANY_ENDPOINT", "1")
        .env_remove("CREDWATCH_TABLE")
        .env_remove("CREDWATCH_TOPIC_ARN")
        .kill_on_drop(true);
    for (name, value) in child_env() {
        command.env(name, value);
    }
    command
}

/// Runs `command` to its end: (exit code, stdout, stderr).
pub async fn run(mut command: tokio::process::Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().await.expect("run credwatch");
    (
        status.code().expect("an exit code"),
        String::from_utf8(stdout).expect("UTF-8 stdout"),
        String::from_utf8(stderr).expect("UTF-8 stderr"),
    )
}

/// The workspace's release binary `name` (`target/release/NAME`, as Lambda runs it), next to
/// this test profile's directory. Panics, saying how to build it, when it is not there:
/// `./scripts/test.sh` builds every release binary before the tests.
pub fn release_binary(name: &str) -> PathBuf {
    let path = release_dir().join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --release --workspace --bins --locked` (./scripts/test.sh does)",
        path.display()
    );
    path
}

/// `target/release`, found from the running test's own path (`target/<profile>/deps/<test>`),
/// so a custom `CARGO_TARGET_DIR` is followed.
pub fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    exe.parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>")
        .join("release")
}
