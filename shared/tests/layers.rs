//! Dependency direction (issue 15 item 3): within each crate, the top-level modules form
//! layers, so no module reaches, through `crate::` paths, a module that reaches it back. Read
//! from the sources: a new import that closes a cycle fails here, naming the modules.
//!
//! It checks `shared`, the relay and the app from here because the app is wasm-only (it has
//! no native tests) and one reader keeps the three checks the same. Test code (`#[cfg(test)]`
//! items, `tests.rs`) may reach anywhere and is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

/// The top-level modules of a crate's `src`: each `x.rs` and `x/` but the crate roots.
fn modules(src: &Path) -> BTreeSet<String> {
    fs::read_dir(src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            match name.strip_suffix(".rs") {
                Some("lib" | "main") => None,
                Some(stem) => Some(stem.to_string()),
                None if p.is_dir() => Some(name),
                None => None,
            }
        })
        .collect()
}

/// The non-test source files of module `module`.
fn files(src: &Path, module: &str) -> Vec<PathBuf> {
    let mut out = vec![];
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let mut dirs = vec![src.join(module)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.map(|e| e.unwrap().path()) {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() && name != "tests" {
                dirs.push(path);
            } else if name.ends_with(".rs") && name != "tests.rs" {
                out.push(path);
            }
        }
    }
    out
}

/// `text` without line comments and without `#[cfg(test)]` items.
fn code(text: &str) -> String {
    let mut code: String = text
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    while let Some(at) = code.find("#[cfg(test)]") {
        let rest = &code[at..];
        let end = match (rest.find(';'), rest.find('{')) {
            (Some(semi), Some(brace)) if semi < brace => at + semi + 1,
            (_, Some(brace)) => {
                let mut depth = 0;
                let mut end = code.len();
                for (i, c) in rest[brace..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = at + brace + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (Some(semi), None) => at + semi + 1,
            (None, None) => code.len(),
        };
        code.replace_range(at..end, "");
    }
    code
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules that `code` names through `crate::a` or `crate::{a, b::c}`.
fn named(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = code[at + "crate::".len()..].trim_start();
        let Some(group) = rest.strip_prefix('{') else {
            out.insert(ident(rest).to_string());
            continue;
        };
        // Each path at the group's top level starts with a module.
        let mut depth = 0;
        let mut start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => start = true,
                c if start && !c.is_whitespace() => {
                    out.insert(ident(&group[i..]).to_string());
                    start = false;
                }
                _ => {}
            }
        }
    }
    out
}

/// Which module names which (top-level modules only, itself left out).
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let all = modules(src);
    all.iter()
        .map(|m| {
            let mut uses = BTreeSet::new();
            for file in files(src, m) {
                uses.extend(named(&code(&fs::read_to_string(file).unwrap())));
            }
            uses.retain(|u| u != m && all.contains(u));
            (m.clone(), uses)
        })
        .collect()
}

/// The groups of modules that reach each other (strongly connected, more than one module).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(m) = todo.pop() {
            for next in &graph[&m] {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut groups: Vec<BTreeSet<String>> = vec![];
    for (m, r) in &reaches {
        let group: BTreeSet<String> = r
            .iter()
            .filter(|o| reaches[o].contains(*m))
            .cloned()
            .collect();
        if group.len() > 1 && !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
}

#[test]
fn the_reader_finds_imports_and_cycles() {
    let text = "use crate::{a::{x, y}, b};\n// crate::c\nfn f() { crate::d::g(); }\n\
                #[cfg(test)]\nmod tests { use crate::e; }\n";
    assert_eq!(named(&code(text)), ["a", "b", "d"].map(String::from).into());
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, us)| (m.into(), us.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        cycles(&graph),
        vec![["a", "b", "c"].map(String::from).into()]
    );
}

#[test]
fn shared_modules_form_layers() {
    assert_eq!(
        cycles(&graph(&crate_src("shared"))),
        Vec::<BTreeSet<String>>::new()
    );
}

#[test]
fn the_relay_modules_form_layers() {
    assert_eq!(
        cycles(&graph(&crate_src("server"))),
        Vec::<BTreeSet<String>>::new()
    );
}

#[test]
fn the_app_modules_form_layers() {
    assert_eq!(
        cycles(&graph(&crate_src("app"))),
        Vec::<BTreeSet<String>>::new()
    );
}
