//! The architecture test: reads every `crate::…`, `super::…` and `self::…` path in `src/`
//! (outside comments), resolves each to the module it names, and checks the module graph at
//! every level — no circle between the top-level modules, none between the children of any one
//! module (`state::file` ↔ `state::journal` is as much a circle as `manifest` ↔ `validate`), and
//! none of the arrows the design forbids (issue 18): the diff never reaches the client or a
//! renderer, renderers never reach the client, the emulator and the client never reach each
//! other, manifests and validation never reach the client, diagnostics reach neither the
//! manifest reader nor the validator, and the reader never reaches the validator. Test-only; it reads the sources, not
//! the compiled crate. A path to a module's own parent (`super::Item` from a child) is not an
//! arrow between siblings: a parent owns its children.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Arrows that must not exist between top-level modules: (from, to).
const FORBIDDEN: &[(&str, &str)] = &[
    ("plan", "api"),
    ("plan", "render"),
    ("render", "api"),
    ("emulator", "api"),
    ("api", "emulator"),
    ("manifest", "api"),
    ("validate", "api"),
    // Diagnostics sit below both the reader and the validator; the reader never needs the
    // validator.
    ("diagnostic", "manifest"),
    ("diagnostic", "validate"),
    ("manifest", "validate"),
];

/// Circles that still exist, each to be broken (then removed from here: the test fails on a
/// listed circle that is gone or has changed, so the list stays true). Written
/// `parent: a <-> b <-> …` (the modules that all reach one another, sorted), `crate` for the top
/// level.
const KNOWN_CIRCLES: &[&str] = &[
    // The store, its handlers and the server state name one another; the fix is the store as
    // plain data with the handlers above it.
    "emulator: api_keys <-> auth <-> faults <-> persist <-> policy <-> state <-> stats <-> store",
];

/// A module path below the crate root, e.g. `["state", "file"]`.
type ModulePath = Vec<String>;

/// Every module of `src/` with the file that holds it.
fn modules() -> BTreeMap<ModulePath, PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    files
        .into_iter()
        .filter_map(|file| {
            let rel = file.strip_prefix(&src).expect("under src/").to_owned();
            let mut path: ModulePath = rel
                .components()
                .map(|c| c.as_os_str().to_str().expect("a UTF-8 path").to_owned())
                .collect();
            let last = path.pop().expect("a file name");
            let stem = last.trim_end_matches(".rs");
            if !(path.is_empty() && (stem == "lib" || stem == "main")) && stem != "mod" {
                path.push(stem.to_owned());
            }
            (!path.is_empty()).then_some((path, file))
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The paths written from byte `at` of `code`: one, or one per leaf of a `{…}` group
/// (`super::{journal::Journal, lock}` is `super::journal::Journal` and `super::lock`).
fn paths_at(code: &str, at: usize) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    tree(code.as_bytes(), &mut { at }, Vec::new(), &mut out);
    out
}

/// Reads one use-tree at `*pos` with `prefix` before it, pushing each full path to `out`.
fn tree(code: &[u8], pos: &mut usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let skip_space = |pos: &mut usize| {
        while *pos < code.len() && code[*pos].is_ascii_whitespace() {
            *pos += 1;
        }
    };
    loop {
        skip_space(pos);
        if code.get(*pos) == Some(&b'{') {
            *pos += 1;
            loop {
                skip_space(pos);
                match code.get(*pos) {
                    None => return,
                    Some(b'}') => {
                        *pos += 1;
                        return;
                    }
                    Some(b',') => *pos += 1,
                    Some(_) => {
                        let before = *pos;
                        tree(code, pos, prefix.clone(), out);
                        if *pos == before {
                            *pos += 1;
                        }
                    }
                }
            }
        }
        let start = *pos;
        while *pos < code.len() && (code[*pos].is_ascii_alphanumeric() || code[*pos] == b'_') {
            *pos += 1;
        }
        if *pos == start {
            if !prefix.is_empty() {
                out.push(prefix);
            }
            return;
        }
        prefix.push(String::from_utf8_lossy(&code[start..*pos]).into_owned());
        skip_space(pos);
        if code[*pos..].starts_with(b"::") {
            *pos += 2;
        } else {
            out.push(prefix);
            return;
        }
    }
}

/// `text` with `//` comments blanked (same length, so byte offsets still give line numbers).
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => format!("{}{}", &line[..at], " ".repeat(line.len() - at)),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module a path written in module `from` names: the longest prefix that is a module.
fn resolve(
    from: &ModulePath,
    written: &[String],
    known: &BTreeMap<ModulePath, PathBuf>,
) -> Option<ModulePath> {
    let mut base: ModulePath;
    let mut rest = written;
    match written.first().map(String::as_str) {
        Some("crate") => {
            base = Vec::new();
            rest = &written[1..];
        }
        Some("self") => {
            base = from.clone();
            rest = &written[1..];
        }
        Some("super") => {
            base = from.clone();
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    let mut best = base.clone();
    for segment in rest {
        base.push(segment.clone());
        if known.contains_key(&base) {
            best = base.clone();
        } else {
            break;
        }
    }
    Some(best)
}

/// Parent module → (child → (child it names → one place it does so)).
type Levels = BTreeMap<ModulePath, BTreeMap<String, BTreeMap<String, String>>>;

fn module_graph() -> Levels {
    let known = modules();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut levels = Levels::new();
    for (module, file) in &known {
        let text =
            without_comments(&std::fs::read_to_string(file).expect("a readable source file"));
        let starts = ["crate::", "super::", "self::"].into_iter().flat_map(|s| {
            text.match_indices(s).map(|(at, _)| at).filter(|&at| {
                // The start of a path, not the tail of a longer word or path.
                at == 0 || {
                    let before = text.as_bytes()[at - 1];
                    !(before.is_ascii_alphanumeric() || before == b'_' || before == b':')
                }
            })
        });
        for at in starts.collect::<Vec<_>>() {
            let line = text[..at].matches('\n').count() + 1;
            for written in paths_at(&text, at) {
                let Some(target) = resolve(module, &written, &known) else {
                    continue;
                };
                let common = module
                    .iter()
                    .zip(&target)
                    .take_while(|(a, b)| a == b)
                    .count();
                // An ancestor or the module itself: not an arrow between siblings.
                if common == module.len() || common == target.len() {
                    continue;
                }
                let place = format!(
                    "{}:{line}",
                    file.strip_prefix(&src).unwrap_or(file).display()
                );
                levels
                    .entry(module[..common].to_vec())
                    .or_default()
                    .entry(module[common].clone())
                    .or_default()
                    .entry(target[common].clone())
                    .or_insert(place);
            }
        }
    }
    levels
}

/// The circles among siblings: each set of two or more that all reach one another, directly
/// or through others (a strongly connected component), as sorted names.
fn circles(graph: &BTreeMap<String, BTreeMap<String, String>>) -> BTreeSet<Vec<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(m) = todo.pop() {
            for next in graph.get(&m).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut found = BTreeSet::new();
    for (a, from_a) in &reaches {
        let component: Vec<String> = from_a
            .iter()
            .filter(|b| *b == *a || reaches.get(b).is_some_and(|r| r.contains(*a)))
            .cloned()
            .chain(std::iter::once((*a).clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if component.len() > 1 {
            found.insert(component);
        }
    }
    found
}

fn parent_name(parent: &ModulePath) -> String {
    if parent.is_empty() {
        "crate".to_owned()
    } else {
        parent.join("::")
    }
}

#[test]
fn no_import_circle_at_any_level_but_the_known_ones() {
    let levels = module_graph();
    let mut found = BTreeMap::new();
    for (parent, graph) in &levels {
        for component in circles(graph) {
            // One arrow back and forth inside the circle, to start reading from.
            let example = component
                .iter()
                .flat_map(|a| component.iter().map(move |b| (a, b)))
                .find_map(|(a, b)| {
                    let there = graph.get(a)?.get(b)?;
                    let back = graph.get(b)?.get(a)?;
                    Some(format!(" (e.g. {there} and {back})"))
                })
                .unwrap_or_default();
            found.insert(
                format!("{}: {}", parent_name(parent), component.join(" <-> ")),
                example,
            );
        }
    }
    let known: BTreeSet<String> = KNOWN_CIRCLES.iter().map(|c| (*c).to_owned()).collect();
    let new: Vec<String> = found
        .iter()
        .filter(|(c, _)| !known.contains(*c))
        .map(|(c, e)| format!("{c}{e}"))
        .collect();
    assert!(new.is_empty(), "import circles:\n{}", new.join("\n"));
    let gone: Vec<&String> = known.iter().filter(|c| !found.contains_key(*c)).collect();
    assert!(
        gone.is_empty(),
        "circles broken: remove them from KNOWN_CIRCLES: {gone:?}"
    );
}

#[test]
fn no_forbidden_arrow() {
    let levels = module_graph();
    let top = levels.get(&Vec::new()).cloned().unwrap_or_default();
    let bad: Vec<String> = FORBIDDEN
        .iter()
        .filter_map(|(from, to)| {
            let at = top.get(*from)?.get(*to)?;
            Some(format!("{from} -> {to} ({at})"))
        })
        .collect();
    assert!(bad.is_empty(), "forbidden imports:\n{}", bad.join("\n"));
}

#[test]
fn the_reader_sees_the_arrows_it_should() {
    // A reader that found nothing would pass every check above.
    let levels = module_graph();
    let top = &levels[&Vec::new()];
    assert!(top["plan"].contains_key("state"));
    assert!(top["address"].contains_key("name"));
    assert!(top.len() > 20, "{:?}", top.keys());
    // `super::` paths between siblings are seen too (`state::file` reads the journal).
    let state = &levels[&vec!["state".to_owned()]];
    assert!(state.values().any(|e| !e.is_empty()), "{state:?}");
}

#[test]
fn a_circle_is_found_at_any_depth() {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let arrow = |g: &mut BTreeMap<String, BTreeMap<String, String>>, a: &str, b: &str| {
        g.entry(a.to_owned())
            .or_default()
            .insert(b.to_owned(), String::new());
    };
    arrow(&mut graph, "a", "b");
    arrow(&mut graph, "b", "c");
    assert!(circles(&graph).is_empty());
    arrow(&mut graph, "c", "a");
    assert_eq!(
        circles(&graph),
        BTreeSet::from([vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]])
    );
    let known = modules();
    let from = vec!["state".to_owned(), "file".to_owned()];
    let written = paths_at(
        "use super::{\n    journal::Journal,\n    lock::{Lock, self},\n};",
        4,
    );
    assert_eq!(written.len(), 3, "{written:?}");
    assert_eq!(
        resolve(&from, &written[0], &known),
        Some(vec!["state".to_owned(), "journal".to_owned()])
    );
}
