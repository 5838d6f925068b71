//! Reading the YAML document within bounds: size, nesting, values and expanded text are checked
//! before (or while) parsing, so a hostile file is refused in bounded time and memory.

use serde_yaml_ng::Value;

use super::problem::Problem;

/// Largest inventory accepted: thousands of integrations fit in far less.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Deepest nesting accepted (a real inventory nests 5 levels).
pub const MAX_DEPTH: usize = 32;

/// Most YAML values (scalars, lists and mappings, counted with every alias expanded) an
/// inventory may hold: a thousand integrations need about 25,000.
pub const MAX_VALUES: usize = 250_000;

/// Most bytes of text (scalars and keys, counted with every alias expanded) an inventory may
/// hold: 8 MiB, eight times the largest file, so only aliases of large anchors reach it (one
/// 700,000-character anchor referenced 68,000 times would otherwise need about 47 GB).
pub const MAX_EXPANDED_BYTES: usize = 8 * 1024 * 1024;

pub(super) fn read_yaml(yaml: &str) -> Result<Value, Problem> {
    check_shape(yaml)?;
    check_expanded_size(yaml)?;
    let mut root: Value = serde_yaml_ng::from_str(yaml).map_err(not_yaml)?;
    // `<<: *anchor` merge keys let a file share settings between entries.
    root.apply_merge().map_err(not_yaml)?;
    Ok(root)
}

/// Refuses, before any YAML parsing and in one pass over the bytes, a file larger than
/// [`MAX_FILE_BYTES`] or nested deeper than [`MAX_DEPTH`] (flow `[` / `{` outside quotes and
/// comments, plus block indentation levels and `- ` on one line), so a hostile file (200 KB of
/// `[`) is refused at once instead of keeping the parser busy. An approximation of YAML's
/// nesting that never undercounts a real one by more than a block scalar's own indentation.
pub(super) fn check_shape(yaml: &str) -> Result<(), Problem> {
    let refuse = |message: String| Problem {
        location: "inventory".into(),
        field: String::new(),
        value: None,
        message,
    };
    if yaml.len() > MAX_FILE_BYTES {
        return Err(refuse(format!(
            "the file is {} bytes; an inventory may be at most {} bytes (1 MiB)",
            yaml.len(),
            MAX_FILE_BYTES
        )));
    }
    let too_deep = |line: usize| {
        refuse(format!(
            "the file nests lists and mappings more than {MAX_DEPTH} levels deep (line {line}); \
             an inventory needs about 5"
        ))
    };
    let mut flow = 0usize;
    let mut quote: Option<u8> = None;
    let mut indents: Vec<usize> = Vec::new();
    for (number, line) in yaml.lines().enumerate() {
        let bytes = line.as_bytes();
        if quote.is_none() && flow == 0 {
            let indent = bytes.iter().take_while(|&&b| b == b' ').count();
            let rest = &bytes[indent..];
            if !rest.is_empty() && rest[0] != b'#' {
                while indents.last().is_some_and(|&top| top >= indent) {
                    indents.pop();
                }
                indents.push(indent);
                let dashes = rest.chunks(2).take_while(|pair| *pair == b"- ").count();
                if indents.len() + dashes > MAX_DEPTH {
                    return Err(too_deep(number + 1));
                }
            }
        }
        let mut previous = b' ';
        for &byte in bytes {
            match (quote, byte) {
                (Some(open), b) if b == open => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') if matches!(previous, b' ' | b'[' | b'{' | b',' | b':') => {
                    quote = Some(byte)
                }
                (None, b'#') if previous == b' ' => break,
                (None, b'[' | b'{') => {
                    flow += 1;
                    if flow + indents.len() > MAX_DEPTH {
                        return Err(too_deep(number + 1));
                    }
                }
                (None, b']' | b'}') => flow = flow.saturating_sub(1),
                _ => {}
            }
            previous = byte;
        }
    }
    Ok(())
}

/// Refuses a file whose aliases expand to more than [`MAX_VALUES`] values or more than
/// [`MAX_EXPANDED_BYTES`] bytes of text, by counting both in a first pass that builds no values
/// (a small file with many aliases of a large anchor would otherwise expand to gigabytes).
fn check_expanded_size(yaml: &str) -> Result<(), Problem> {
    use serde::de::DeserializeSeed as _;
    let budget = Budget::default();
    let result = ValueCounter(&budget).deserialize(serde_yaml_ng::Deserializer::from_str(yaml));
    let refuse = |message: String| {
        Err(Problem {
            location: "inventory".into(),
            field: String::new(),
            value: None,
            message,
        })
    };
    match result {
        _ if budget.values.get() > MAX_VALUES => refuse(format!(
            "the file holds more than {MAX_VALUES} values (lists, mappings and scalars, each \
             YAML alias `*name` counted as what it repeats); an inventory needs far fewer"
        )),
        _ if budget.bytes.get() > MAX_EXPANDED_BYTES => refuse(format!(
            "the file expands to more than {MAX_EXPANDED_BYTES} bytes (8 MiB) of text through \
             YAML aliases (`*name` repeating a long `&name` value); write each value out once \
             or shorten the anchored one"
        )),
        // Any other error is reported by the real parse, with its position.
        _ => Ok(()),
    }
}

/// What the first pass has counted so far.
#[derive(Default)]
struct Budget {
    values: std::cell::Cell<usize>,
    bytes: std::cell::Cell<usize>,
}

/// Counts values and text bytes while visiting a document, failing once past [`MAX_VALUES`] or
/// [`MAX_EXPANDED_BYTES`].
#[derive(Clone, Copy)]
struct ValueCounter<'a>(&'a Budget);

impl ValueCounter<'_> {
    fn bump<E: serde::de::Error>(self) -> Result<(), E> {
        self.bump_text(0)
    }

    /// One value of `len` bytes of text (0 for numbers, lists and mappings).
    fn bump_text<E: serde::de::Error>(self, len: usize) -> Result<(), E> {
        let (values, bytes) = (&self.0.values, &self.0.bytes);
        values.set(values.get().saturating_add(1));
        bytes.set(bytes.get().saturating_add(len));
        if values.get() > MAX_VALUES || bytes.get() > MAX_EXPANDED_BYTES {
            return Err(E::custom("too large once expanded"));
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for ValueCounter<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ValueCounter<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.bump()
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.bump()
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.bump()
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.bump()
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
        self.bump_text(text.len())
    }
    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<(), E> {
        self.bump_text(bytes.len())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.bump()
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.bump()
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        use serde::de::DeserializeSeed as _;
        self.bump()?;
        self.deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.bump()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.bump()?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess as _;
        // A tagged value (`!tag value`).
        self.bump()?;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

fn not_yaml(err: serde_yaml_ng::Error) -> Problem {
    let mut message = format!("the file is not valid YAML: {err}");
    // Some errors carry their position only out of band.
    if let Some(at) = err.location().filter(|_| !message.contains(" at line ")) {
        message.push_str(&format!(" (line {}, column {})", at.line(), at.column()));
    }
    Problem {
        location: "inventory".into(),
        field: String::new(),
        value: None,
        message,
    }
}
