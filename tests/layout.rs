//! The code's shape: no two source files import each other, directly or around a loop, and no
//! file is over 500 lines. A newcomer reads a file knowing what it stands on.
//!
//! Imports are read from the text: `use crate::…`, `use super::…`, and paths written inline
//! (`crate::pgcompat::ast::visit_exprs(..)`), each resolved to the file of the longest module
//! path that exists. `mod` declarations are not imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates' source folders.
const CRATES: [&str; 3] = ["src", "udfs/src", "wire/src"];
const MAX_LINES: usize = 500;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of `file` within its crate (`src/pgcompat/ast.rs` → `pgcompat::ast`).
fn module_of(crate_dir: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(crate_dir).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of `text` without comments and string literals (doc links are not imports).
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut in_string = false;
        let mut previous = ' ';
        for c in code.chars() {
            if c == '"' && previous != '\\' {
                in_string = !in_string;
            } else if !in_string {
                out.push(c);
            }
            previous = c;
        }
        out.push('\n');
    }
    out
}

/// The module paths `code` names: `crate::a::b::c`, `super::a::b` (made absolute from
/// `module`), including each name of a `use crate::a::{b, c::d}` group.
fn referenced(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        let start_ok = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        let (base, skip) = if start_ok && rest.starts_with("crate::") {
            (Vec::new(), 7)
        } else if start_ok && rest.starts_with("super::") {
            let mut base = module.to_vec();
            base.pop();
            (base, 7)
        } else if start_ok && rest.starts_with("self::") {
            (module.to_vec(), 6)
        } else if start_ok && rest.starts_with("use ") {
            // `use child::x`: a path from this module (one that names a crate resolves to
            // this file itself, and is dropped).
            let after = bytes[i + 4..]
                .iter()
                .take_while(|c| c.is_whitespace())
                .count();
            let word: String = bytes[i + 4 + after..]
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            if ["crate", "super", "self"].contains(&word.as_str()) {
                i += 4 + after;
                continue;
            }
            (module.to_vec(), 4 + after)
        } else {
            i += 1;
            continue;
        };
        i += skip;
        let mut base = base;
        while code[byte_index(&bytes, i)..].starts_with("super::") {
            base.pop();
            i += 7;
        }
        let (group, end) = path_group(&bytes, i);
        for tail in group {
            let mut full = base.clone();
            full.extend(tail);
            paths.push(full);
        }
        i = end;
    }
    paths
}

fn byte_index(chars: &[char], i: usize) -> usize {
    chars[..i].iter().map(|c| c.len_utf8()).sum()
}

/// The paths starting at `i`: `a::b::c` or `a::{b, c::d}` (one level of braces).
fn path_group(chars: &[char], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        if i > start {
            prefix.push(chars[start..i].iter().collect::<String>());
        }
        let separator = chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':');
        if separator || (i == start && chars.get(i) == Some(&'{')) {
            if separator {
                i += 2;
            }
            if chars.get(i) == Some(&'{') {
                let close = chars[i..]
                    .iter()
                    .position(|&c| c == '}')
                    .map_or(i, |p| i + p);
                let inner: String = chars[i + 1..close].iter().collect();
                let group = inner
                    .split(',')
                    .map(|item| {
                        let mut p = prefix.clone();
                        p.extend(
                            item.split(" as ")
                                .next()
                                .unwrap_or("")
                                .split("::")
                                .map(|s| s.trim().to_string())
                                .filter(|s| !s.is_empty() && s != "self" && s != "{"),
                        );
                        p
                    })
                    .collect();
                return (group, close + 1);
            }
            continue;
        }
        return (vec![prefix], i);
    }
}

struct Graph {
    files: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

fn graph() -> Graph {
    let mut files = BTreeMap::new();
    for krate in CRATES {
        let crate_dir = root().join(krate);
        let mut sources = Vec::new();
        rust_files(&crate_dir, &mut sources);
        let modules: BTreeMap<Vec<String>, PathBuf> = sources
            .iter()
            .map(|f| (module_of(&crate_dir, f), f.clone()))
            .collect();
        for file in &sources {
            let module = module_of(&crate_dir, file);
            let text = std::fs::read_to_string(file).unwrap();
            // A file's tests (`use super::*`) are not what it stands on.
            let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            let code = code_only(text);
            let mut imports = BTreeSet::new();
            for path in referenced(&code, &module) {
                let target = (0..=path.len())
                    .rev()
                    .find_map(|n| modules.get(&path[..n]).filter(|_| n > 0));
                if let Some(target) = target
                    && target != file
                {
                    imports.insert(target.clone());
                }
            }
            files.insert(file.clone(), imports);
        }
    }
    Graph { files }
}

/// Strongly connected components of more than one file (Tarjan's algorithm).
fn cycles(graph: &Graph) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph.files[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.files.keys() {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.found
}

fn shown(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.strip_prefix(root()).unwrap_or(f).display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn no_two_files_import_each_other() {
    let graph = graph();
    assert!(graph.files.len() > 100, "found {} files", graph.files.len());
    let found = cycles(&graph);
    let listed: Vec<String> = found.iter().map(|c| shown(c)).collect();
    assert!(found.is_empty(), "import circles:\n{}", listed.join("\n"));
}

#[test]
fn the_checker_finds_a_circle() {
    let a = PathBuf::from("a.rs");
    let b = PathBuf::from("b.rs");
    let graph = Graph {
        files: BTreeMap::from([
            (a.clone(), BTreeSet::from([b.clone()])),
            (b.clone(), BTreeSet::from([a.clone()])),
        ]),
    };
    assert_eq!(cycles(&graph), vec![vec![a, b]]);
    let code = code_only("use super::{x, y::z};\nfn f() { crate::p::q::r(); } // crate::no");
    let found = referenced(&code, &["m".into(), "n".into()]);
    assert_eq!(
        found,
        vec![
            vec!["m".to_string(), "x".into()],
            vec!["m".to_string(), "y".into(), "z".into()],
            vec!["p".to_string(), "q".into(), "r".into()],
        ]
    );
}

#[test]
fn no_file_is_over_500_lines() {
    let mut long = Vec::new();
    for krate in CRATES {
        let mut sources = Vec::new();
        rust_files(&root().join(krate), &mut sources);
        for file in sources {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", shown(&[file])));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}
