//! `client_secret`: where the secret is kept (`env`, `file` or `aws_secret` + `key`), never the
//! secret itself.

use std::path::PathBuf;

use serde_yaml_ng::{Mapping, Value};

use super::bounds::SECRET_REF_MAX;
use super::report::{At, join};
use crate::secrets::SecretSource;

const SECRET_KEYS: [&str; 4] = ["env", "file", "aws_secret", "key"];

/// Why a secret written into the inventory is refused. The value itself is never repeated.
const INLINE_SECRET: &str = "looks like the secret itself; never put a client secret in the \
     inventory (it is configuration, kept in git and shown in reviews). Store it elsewhere and \
     say where: { env: VARIABLE }, { file: path } or { aws_secret: name-or-arn }. If this file \
     was committed or shared, rotate the secret";

/// `{ env: NAME }`, `{ file: PATH }` or `{ aws_secret: ID, key: FIELD }`. Nothing read here is
/// ever echoed: `At` drops values under `client_secret`.
pub(super) fn parse_client_secret(at: &mut At, value: &Value) -> Option<SecretSource> {
    let map = match value {
        Value::Mapping(map) => map,
        Value::Sequence(_) => {
            at.wrong_type(
                "client_secret",
                value,
                "a mapping like { env: CRM_SYNC_SECRET }",
            );
            return None;
        }
        _ => {
            at.error("client_secret", None, INLINE_SECRET);
            return None;
        }
    };
    let mut sources = Vec::new();
    let (mut env, mut file, mut aws_secret, mut key) = (None, None, None, None);
    for (name, value) in map {
        // `client_secret: {s3cr3t}` is YAML for a mapping whose only key is the secret.
        if value.is_null()
            && !name
                .as_str()
                .is_some_and(|name| SECRET_KEYS.contains(&name))
        {
            at.error("client_secret", None, INLINE_SECRET);
            continue;
        }
        let Some(name) = at.key("client_secret", name) else {
            continue;
        };
        let field = join("client_secret", name);
        if SECRET_KEYS.contains(&name) && name != "key" {
            sources.push(name);
        }
        match name {
            "env" => env = parse_env_name(at, &field, value),
            "file" => {
                file = at
                    .bounded_text(&field, value, SECRET_REF_MAX)
                    .map(PathBuf::from)
            }
            "aws_secret" => {
                aws_secret = at
                    .bounded_text(&field, value, SECRET_REF_MAX)
                    .map(str::to_string)
            }
            // Some(None): given but invalid (already reported).
            "key" => {
                key = Some(
                    at.bounded_text(&field, value, SECRET_REF_MAX)
                        .map(str::to_string),
                )
            }
            _ => at.unknown_key("client_secret", name, &SECRET_KEYS),
        }
    }
    check_one_source(at, map, &sources, key.is_some())?;
    match sources[0] {
        "env" => env.map(SecretSource::Env),
        "file" => file.map(SecretSource::File),
        _ => Some(SecretSource::AwsSecret {
            id: aws_secret?,
            key: match key {
                Some(key) => Some(key?),
                None => None,
            },
        }),
    }
}

/// Exactly one of env, file and aws_secret; `key` only with aws_secret.
fn check_one_source(at: &mut At, map: &Mapping, sources: &[&str], has_key: bool) -> Option<()> {
    match sources {
        [] => {
            // Any key other than `key` is unknown and was reported already: don't pile on.
            if !map.keys().any(|k| k.as_str() != Some("key")) {
                at.error(
                    "client_secret",
                    None,
                    "needs one of env, file or aws_secret, e.g. client_secret: { env: CRM_SYNC_SECRET }",
                );
            }
            return None;
        }
        [_] => {}
        [..] => {
            at.error(
                "client_secret",
                None,
                format!(
                    "give only one of env, file or aws_secret (found {})",
                    sources.join(" and ")
                ),
            );
            return None;
        }
    }
    if has_key && sources != ["aws_secret"] {
        at.error(
            "client_secret.key",
            None,
            "is only used with aws_secret (it names the JSON field that holds the secret); remove it",
        );
        return None;
    }
    Some(())
}

fn parse_env_name(at: &mut At, field: &str, value: &Value) -> Option<String> {
    let name = at.bounded_text(field, value, SECRET_REF_MAX)?;
    let valid = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        at.error(
            field,
            None,
            "must be the name of an environment variable (letters, digits and _, not starting \
             with a digit), e.g. CRM_SYNC_SECRET",
        );
        return None;
    }
    Some(name.to_string())
}
