//! The layout rules as plain functions over source text: which modules import each other back
//! (a cycle), and which non-test files are too long.
//!
//! Sources are read as text, not compiled: comments, string and character literals are blanked
//! first; `#[cfg(test)]` items (a `mod tests { ... }` block, a `mod tests;` declaration) are left
//! out. A crate's modules are found by following `mod x;` from its root (`lib.rs`, `main.rs`).
//! Every `use` path and every `crate::` / `super::` / `self::` path (or one through a child
//! module or a module imported by `use`) is resolved to the module FILE that defines the item
//! it names, following `use` and `pub use` re-exports and glob re-exports, so a folder's
//! `mod.rs` that declares and re-exports its children is never in a cycle with them; one that
//! defines an item a child uses, and imports that child, is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Most lines a non-test source file may have (test blocks not counted).
pub const MAX_LINES: usize = 600;

/// Source files by path (as the crate's tree has them on disk).
pub type Sources = BTreeMap<PathBuf, String>;

/// A file over [`MAX_LINES`]: its path and its non-test line count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongFile {
    pub path: PathBuf,
    pub lines: usize,
}

/// Modules that import each other, directly or round a loop: the files of one strongly connected
/// component of the import graph, and each import inside it (`from -> to (path as written)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub files: Vec<PathBuf>,
    pub imports: Vec<String>,
}

/// Whether `path` is a test file: `tests.rs`, or a file under a `tests` folder of `src`.
pub fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == "tests.rs")
        || path
            .parent()
            .is_some_and(|dir| dir.components().any(|c| c.as_os_str() == "tests"))
}

/// The non-test files of `sources` over [`MAX_LINES`] lines, test blocks not counted. Paths are
/// taken relative to a crate's `src` folder for the test-file rule, so pass them that way or
/// with a prefix free of `tests` folders.
pub fn long_files(sources: &Sources) -> Vec<LongFile> {
    sources
        .iter()
        .filter(|(path, _)| !is_test_file(path))
        .filter_map(|(path, text)| {
            let lines = non_test_lines(text);
            (lines > MAX_LINES).then(|| LongFile {
                path: path.clone(),
                lines,
            })
        })
        .collect()
}

/// Lines of `text` outside `#[cfg(test)]` items.
pub fn non_test_lines(text: &str) -> usize {
    let code = blank_literals(text);
    let total = text.lines().count();
    let in_tests: usize = test_spans(&code)
        .iter()
        .map(|span| code[span.0..span.1].matches('\n').count() + 1)
        .sum();
    total.saturating_sub(in_tests)
}

/// Comments, string and character literals replaced by spaces (newlines kept, so offsets and
/// line numbers stay those of the source).
pub fn blank_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // r"..", r#".."#, br#".."#: up to the quote followed by as many #.
            let open = chars[i..]
                .iter()
                .position(|&c| c == '"')
                .map_or(0, |p| p + 1);
            for _ in 0..open {
                out.push(' ');
            }
            i += open;
            while i < chars.len() {
                let closes =
                    chars[i] == '"' && (0..hashes).all(|k| chars.get(i + 1 + k) == Some(&'#'));
                if closes {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += hashes + 1;
                    break;
                }
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && next == Some('\\') {
            // An escaped character literal: '\n', '\'', '\u{1F600}'.
            out.push_str("  ");
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                blank(&mut out, chars[i]);
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            // A one-character literal such as '"' or '{' (a lifetime has no closing quote).
            out.push_str("   ");
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `Some(number of #)` when a raw (byte) string starts at `i`, not inside an identifier.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    let before = i.checked_sub(1).map(|b| chars[b]);
    if before.is_some_and(|b| b.is_alphanumeric() || b == '_') {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some(hashes)
}

/// Byte spans (start, end inclusive) of `#[cfg(test)]` items in blanked code: up to the `;` of
/// a declaration or the `}` closing the item's first `{`.
fn test_spans(code: &str) -> Vec<(usize, usize)> {
    let bytes = code.as_bytes();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("#[cfg(test)]") {
        let start = from + found;
        let mut i = start + "#[cfg(test)]".len();
        let mut depth = 0usize;
        let mut end = bytes.len().saturating_sub(1);
        while i < bytes.len() {
            match bytes[i] {
                b';' if depth == 0 => {
                    end = i;
                    break;
                }
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        spans.push((start, end));
        from = end + 1;
    }
    spans
}

/// Blanked code without its `#[cfg(test)]` items.
fn without_tests(code: &str) -> String {
    let mut out = code.to_string();
    for (start, end) in test_spans(code) {
        let blanked: String = code[start..=end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(start..=end, &blanked);
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

fn tokenize(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push(Token::PathSep);
            i += 2;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    tokens
}

/// One name a `use` brings in: the full path as written and the local name (`None` for `*`).
#[derive(Debug, Clone, PartialEq)]
struct UseLeaf {
    path: Vec<String>,
    name: Option<String>,
    public: bool,
}

/// What one file says: its items, child module declarations, uses and code paths.
#[derive(Debug, Default)]
struct FileFacts {
    defs: BTreeSet<String>,
    mods: Vec<String>,
    uses: Vec<UseLeaf>,
    paths: Vec<Vec<String>>,
}

const ITEM_KEYWORDS: [&str; 8] = [
    "fn", "struct", "enum", "trait", "type", "const", "static", "union",
];

fn facts(text: &str) -> FileFacts {
    let code = without_tests(&blank_literals(text));
    let tokens = tokenize(&code);
    let mut facts = FileFacts::default();
    let mut depth = 0usize;
    let mut i = 0;
    let ident = |k: usize| match tokens.get(k) {
        Some(Token::Ident(name)) => Some(name.as_str()),
        _ => None,
    };
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => depth = depth.saturating_sub(1),
            Token::Ident(word) if word == "use" => {
                let public = visibility_before(&tokens, i);
                let end = (i..tokens.len())
                    .find(|&k| tokens[k] == Token::Punct(';'))
                    .unwrap_or(tokens.len());
                let mut leaves = Vec::new();
                use_tree(&tokens[i + 1..end], &[], &mut leaves);
                for (path, name) in leaves {
                    facts.uses.push(UseLeaf { path, name, public });
                }
                i = end;
                continue;
            }
            Token::Ident(word) if depth == 0 && word == "mod" => {
                if let Some(name) = ident(i + 1) {
                    match tokens.get(i + 2) {
                        Some(Token::Punct(';')) => facts.mods.push(name.to_string()),
                        _ => {
                            facts.defs.insert(name.to_string());
                        }
                    }
                }
            }
            Token::Ident(word) if depth == 0 && word == "macro_rules" => {
                if let Some(name) = ident(i + 2) {
                    facts.defs.insert(name.to_string());
                }
            }
            Token::Ident(word) if depth == 0 && ITEM_KEYWORDS.contains(&word.as_str()) => {
                // `const fn f`: the name follows `fn`.
                if let Some(name) = ident(i + 1).filter(|n| !ITEM_KEYWORDS.contains(n)) {
                    facts.defs.insert(name.to_string());
                }
            }
            Token::Ident(word) => {
                let follows_sep = i > 0 && tokens[i - 1] == Token::PathSep;
                if !follows_sep && tokens.get(i + 1) == Some(&Token::PathSep) {
                    let mut path = vec![word.clone()];
                    let mut k = i + 1;
                    while tokens.get(k) == Some(&Token::PathSep) {
                        match tokens.get(k + 1) {
                            Some(Token::Ident(next)) => path.push(next.clone()),
                            _ => break,
                        }
                        k += 2;
                    }
                    facts.paths.push(path);
                    i = k;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    facts
}

/// Whether the `use` at `i` is `pub` (any `pub(...)`).
fn visibility_before(tokens: &[Token], i: usize) -> bool {
    let mut k = i;
    // Skip `pub(crate)` / `pub(super)` / `pub(in path)`.
    if k > 0 && tokens[k - 1] == Token::Punct(')') {
        while k > 0 && tokens[k - 1] != Token::Punct('(') {
            k -= 1;
        }
        k = k.saturating_sub(1);
    }
    k > 0 && tokens[k - 1] == Token::Ident("pub".to_string())
}

/// The leaves of a use tree (`a::b::{self, c as d, e::*}`), each with its full path.
fn use_tree(tokens: &[Token], prefix: &[String], leaves: &mut Vec<(Vec<String>, Option<String>)>) {
    let mut path = prefix.to_vec();
    let mut i = 0;
    if tokens.first() == Some(&Token::PathSep) {
        // `::name`: an external crate.
        return;
    }
    while i < tokens.len() {
        match &tokens[i] {
            Token::Ident(word) if word == "as" => {
                let alias = match tokens.get(i + 1) {
                    Some(Token::Ident(alias)) if alias != "_" => Some(alias.clone()),
                    _ => None,
                };
                leaves.push((path, alias));
                return;
            }
            Token::Ident(word) if word == "self" && !path.is_empty() && i == 0 => {
                let name = match (tokens.get(1), tokens.get(2)) {
                    (Some(Token::Ident(r#as)), Some(Token::Ident(alias))) if r#as == "as" => {
                        Some(alias.clone())
                    }
                    _ => path.last().cloned(),
                };
                leaves.push((path, name));
                return;
            }
            Token::Ident(word) => path.push(word.clone()),
            Token::PathSep => {}
            Token::Punct('*') => {
                leaves.push((path, None));
                return;
            }
            Token::Punct('{') => {
                let inner = &tokens[i + 1..];
                let mut depth = 0usize;
                let mut start = 0;
                for (k, token) in inner.iter().enumerate() {
                    match token {
                        Token::Punct('{') => depth += 1,
                        Token::Punct('}') if depth == 0 => {
                            if start < k {
                                use_tree(&inner[start..k], &path, leaves);
                            }
                            return;
                        }
                        Token::Punct('}') => depth -= 1,
                        Token::Punct(',') if depth == 0 => {
                            if start < k {
                                use_tree(&inner[start..k], &path, leaves);
                            }
                            start = k + 1;
                        }
                        _ => {}
                    }
                }
                return;
            }
            _ => return,
        }
        i += 1;
    }
    let name = path.last().cloned();
    if !path.is_empty() {
        leaves.push((path, name));
    }
}

struct Module {
    file: PathBuf,
    parent: Option<usize>,
    children: BTreeMap<String, usize>,
    facts: FileFacts,
}

/// The modules of one crate, found by following `mod x;` from `root` (a path in `sources`).
fn crate_modules(sources: &Sources, root: &Path) -> Vec<Module> {
    let mut modules = Vec::new();
    let mut pending = vec![(root.to_path_buf(), None::<(usize, String)>)];
    while let Some((file, parent)) = pending.pop() {
        let Some(text) = sources.get(&file) else {
            continue;
        };
        let index = modules.len();
        if let Some((parent, name)) = &parent {
            let parent: &mut Module = &mut modules[*parent];
            parent.children.insert(name.clone(), index);
        }
        let facts = facts(text);
        let is_dir_owner = file
            .file_name()
            .is_some_and(|n| n == "mod.rs" || n == "lib.rs" || n == "main.rs");
        let dir = if is_dir_owner {
            file.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            file.with_extension("")
        };
        for name in &facts.mods {
            let flat = dir.join(format!("{name}.rs"));
            let nested = dir.join(name).join("mod.rs");
            let child = if sources.contains_key(&flat) {
                flat
            } else {
                nested
            };
            pending.push((child, Some((index, name.clone()))));
        }
        modules.push(Module {
            file,
            parent: parent.map(|(p, _)| p),
            children: BTreeMap::new(),
            facts,
        });
    }
    modules
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Module(usize),
    Item(usize),
}

/// Resolves paths to the module that defines what they name.
struct Resolver<'a> {
    modules: &'a [Module],
    /// Per module, the local names `use` binds to a module (`use super::bounds::{self}`).
    aliases: Vec<BTreeMap<String, usize>>,
}

const MAX_HOPS: usize = 16;

impl Resolver<'_> {
    fn resolve(&self, from: usize, path: &[String], hops: usize) -> Option<Target> {
        if hops > MAX_HOPS || path.is_empty() {
            return None;
        }
        let mut current = from;
        let mut rest = path;
        match path[0].as_str() {
            "crate" => {
                current = 0;
                rest = &path[1..];
            }
            "self" => rest = &path[1..],
            "super" => {
                while rest.first().is_some_and(|s| s == "super") {
                    current = self.modules[current].parent?;
                    rest = &rest[1..];
                }
            }
            first => {
                if let Some(&child) = self.modules[from].children.get(first) {
                    current = child;
                } else if let Some(&aliased) = self.aliases[from].get(first) {
                    current = aliased;
                } else {
                    return None;
                }
                rest = &path[1..];
            }
        }
        for segment in rest {
            if let Some(&child) = self.modules[current].children.get(segment) {
                current = child;
            } else {
                return self.item(current, segment, hops + 1);
            }
        }
        Some(Target::Module(current))
    }

    /// The module defining `name` as seen from module `at`: its own item, else where its
    /// (public or private) import of that name leads, else one of its glob imports that has it.
    fn item(&self, at: usize, name: &str, hops: usize) -> Option<Target> {
        if hops > MAX_HOPS {
            return None;
        }
        let facts = &self.modules[at].facts;
        if facts.defs.contains(name) {
            return Some(Target::Item(at));
        }
        if let Some(leaf) = facts
            .uses
            .iter()
            .find(|leaf| leaf.name.as_deref() == Some(name))
        {
            // An import of something outside the crate is nobody's module here.
            return self.resolve(at, &leaf.path, hops + 1);
        }
        for leaf in facts.uses.iter().filter(|leaf| leaf.name.is_none()) {
            if let Some(Target::Module(glob)) = self.resolve(at, &leaf.path, hops + 1)
                && self.has(glob, name)
            {
                return self.item(glob, name, hops + 1);
            }
        }
        // Unknown here (a variant, a macro's item): attribute it to this module.
        Some(Target::Item(at))
    }

    fn has(&self, at: usize, name: &str) -> bool {
        let facts = &self.modules[at].facts;
        facts.defs.contains(name)
            || facts
                .uses
                .iter()
                .any(|leaf| leaf.public && leaf.name.as_deref() == Some(name))
    }
}

/// The import graph of one crate: for each module file, the files it takes items from, each
/// with the first path that made the edge.
pub fn import_graph(
    sources: &Sources,
    root: &Path,
) -> BTreeMap<PathBuf, BTreeMap<PathBuf, String>> {
    let modules = crate_modules(sources, root);
    let mut resolver = Resolver {
        modules: &modules,
        aliases: vec![BTreeMap::new(); modules.len()],
    };
    // Module aliases first (a `use` may name a module that later paths go through); twice, so
    // an alias used by another alias's path is known.
    for _ in 0..2 {
        for (index, module) in modules.iter().enumerate() {
            for leaf in &module.facts.uses {
                if let (Some(name), Some(Target::Module(target))) =
                    (&leaf.name, resolver.resolve(index, &leaf.path, 0))
                {
                    resolver.aliases[index].insert(name.clone(), target);
                }
            }
        }
    }
    let mut graph: BTreeMap<PathBuf, BTreeMap<PathBuf, String>> = BTreeMap::new();
    for (index, module) in modules.iter().enumerate() {
        let edges = graph.entry(module.file.clone()).or_default();
        let mut add = |target: Option<Target>, path: &[String], glob: bool| {
            let to = match target {
                Some(Target::Item(to)) => to,
                Some(Target::Module(to)) if glob => to,
                _ => return,
            };
            if to != index {
                edges
                    .entry(modules[to].file.clone())
                    .or_insert_with(|| path.join("::") + if glob { "::*" } else { "" });
            }
        };
        for leaf in &module.facts.uses {
            add(
                resolver.resolve(index, &leaf.path, 0),
                &leaf.path,
                leaf.name.is_none(),
            );
        }
        for path in &module.facts.paths {
            add(resolver.resolve(index, path, 0), path, false);
        }
    }
    graph
}

/// The cycles of an import graph: each strongly connected component of more than one file
/// (Tarjan's algorithm), files sorted, with the imports inside it.
pub fn cycles(graph: &BTreeMap<PathBuf, BTreeMap<PathBuf, String>>) -> Vec<Cycle> {
    let nodes: Vec<&PathBuf> = graph.keys().collect();
    let index_of: BTreeMap<&PathBuf, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            graph[*n]
                .keys()
                .filter_map(|t| index_of.get(t).copied())
                .collect()
        })
        .collect();
    let mut state = Tarjan {
        edges: &edges,
        index: vec![None; nodes.len()],
        low: vec![0; nodes.len()],
        on_stack: vec![false; nodes.len()],
        stack: Vec::new(),
        next: 0,
        components: Vec::new(),
    };
    for node in 0..nodes.len() {
        if state.index[node].is_none() {
            state.visit(node);
        }
    }
    let mut found: Vec<Cycle> = state
        .components
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| {
            let mut files: Vec<PathBuf> = component.iter().map(|&i| nodes[i].clone()).collect();
            files.sort();
            let mut imports = Vec::new();
            for from in &files {
                for (to, path) in &graph[from] {
                    if files.contains(to) {
                        imports.push(format!("{} -> {} ({path})", from.display(), to.display()));
                    }
                }
            }
            Cycle { files, imports }
        })
        .collect();
    found.sort_by(|a, b| a.files.cmp(&b.files));
    found
}

struct Tarjan<'a> {
    edges: &'a [Vec<usize>],
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    next: usize,
    components: Vec<Vec<usize>>,
}

impl Tarjan<'_> {
    fn visit(&mut self, node: usize) {
        self.index[node] = Some(self.next);
        self.low[node] = self.next;
        self.next += 1;
        self.stack.push(node);
        self.on_stack[node] = true;
        for &to in &self.edges[node] {
            match self.index[to] {
                None => {
                    self.visit(to);
                    self.low[node] = self.low[node].min(self.low[to]);
                }
                Some(index) if self.on_stack[to] => self.low[node] = self.low[node].min(index),
                Some(_) => {}
            }
        }
        if Some(self.low[node]) == self.index[node] {
            let mut component = Vec::new();
            while let Some(top) = self.stack.pop() {
                self.on_stack[top] = false;
                component.push(top);
                if top == node {
                    break;
                }
            }
            self.components.push(component);
        }
    }
}
