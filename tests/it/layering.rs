//! The layout as a test: data flows one way through the pipeline, and no module of `src/` imports
//! one that comes later, nor forms an import circle with its siblings. Read from the `crate::`
//! and `super::` paths of every file under `src/` (in `use` lines and inline), so a new import
//! against the pipeline fails here with the file and the path that broke it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module's place in the pipeline; a module may import only modules of a lower rank, or
/// its own top-level module. Submodules that are primitives (they import nothing from the crate,
/// or only other primitives) are ranked on their own, below what uses them.
const RANKS: &[(&str, u32)] = &[
    // Primitives: leaf modules any stage may use.
    ("par", 0),
    ("target", 0),
    ("chain::oid", 0),
    ("chain::signature", 0),
    ("chain::x509", 0),
    ("clients::name", 0),
    ("demo::pki", 0),
    ("demo::server", 0),
    // How a target is reached (proxy, address family), built on the primitives above.
    ("route", 1),
    // The command line, then the resolved configuration (plain data, the only clock reader).
    ("cli", 2),
    ("config", 3),
    // The stages, in pipeline order.
    ("connect", 4),
    ("chain", 4),
    ("trust", 5),
    ("diagnose", 6),
    ("clients", 7),
    ("report", 8),
    ("evaluate", 9),
    ("render", 10),
    ("exit", 11),
    // One function per mode, then the demo that drives the live mode.
    ("run", 12),
    ("demo", 13),
];

/// The rank of the module at `path` (`["chain", "file", "pem"]`): its longest ranked prefix.
fn rank(path: &[String]) -> Option<(String, u32)> {
    (1..=path.len().min(2)).rev().find_map(|len| {
        let key = path[..len].join("::");
        RANKS
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(name, rank)| (name.to_string(), *rank))
    })
}

/// Every `.rs` file under `dir`, with its module path (`src/run/live.rs` → `run::live`).
fn modules(dir: &Path, prefix: &[String], out: &mut Vec<(Vec<String>, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src is readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        if path.is_dir() {
            let mut inner = prefix.to_vec();
            inner.push(stem);
            modules(&path, &inner, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut module = prefix.to_vec();
            if stem != "mod" && !(prefix.is_empty() && (stem == "lib" || stem == "main")) {
                module.push(stem);
            }
            out.push((module, path));
        }
    }
}

/// The module paths a file names after `crate::`, and the sibling modules it names after
/// `super::`, with the line they are on.
/// The `crate::` paths and the `super::` names of a file, each with its line.
type Imports = (Vec<(usize, Vec<String>)>, Vec<(usize, String)>);

fn imports(text: &str) -> Imports {
    let mut crate_paths = Vec::new();
    let mut super_paths = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for (marker, is_crate) in [("crate::", true), ("super::", false)] {
            let mut rest = code;
            while let Some(at) = rest.find(marker) {
                let before = rest[..at].chars().last();
                rest = &rest[at + marker.len()..];
                // `$crate::`, `pub(crate)` and identifiers ending in `crate` are not paths.
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                    continue;
                }
                let segments: Vec<String> = rest
                    .split("::")
                    .map(|s| {
                        s.chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect::<String>()
                    })
                    .take_while(|s| {
                        !s.is_empty()
                            && s.chars()
                                .all(|c| c.is_lowercase() || c == '_' || c.is_ascii_digit())
                    })
                    .collect();
                if segments.is_empty() {
                    continue;
                }
                if is_crate {
                    crate_paths.push((number + 1, segments));
                } else {
                    super_paths.push((number + 1, segments[0].clone()));
                }
            }
        }
    }
    (crate_paths, super_paths)
}

#[test]
fn no_module_imports_a_later_stage_or_forms_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    modules(&src, &[], &mut files);
    assert!(files.len() > 40, "src/ was not found");
    let known: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut violations = Vec::new();
    // Edges between sibling modules of one parent, for the circle check.
    let mut siblings: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, path) in &files {
        if module.is_empty() {
            continue; // lib.rs and main.rs sit above everything
        }
        let text = std::fs::read_to_string(path).expect("readable");
        let own = rank(module);
        let (crate_paths, super_paths) = imports(&text);
        for (line, target) in &crate_paths {
            let Some((target_name, target_rank)) = rank(target) else {
                violations.push(format!(
                    "{}:{line}: crate::{} has no rank",
                    path.display(),
                    target.join("::")
                ));
                continue;
            };
            let Some((own_name, own_rank)) = &own else {
                violations.push(format!(
                    "{}: module {} has no rank",
                    path.display(),
                    module.join("::")
                ));
                break;
            };
            let same_top = target[0] == module[0];
            if !same_top && target_rank >= *own_rank && target_name != *own_name {
                violations.push(format!(
                    "{}:{line}: {own_name} (rank {own_rank}) imports crate::{} (rank {target_rank})",
                    path.display(),
                    target.join("::")
                ));
            }
            // A sibling inside the same top-level module, named through `crate::`.
            if same_top && target.len() >= module.len() && module.len() >= 2 {
                let parent = &module[..module.len() - 1];
                if target[..parent.len()] == *parent {
                    let sibling = target[..module.len()].to_vec();
                    if known.contains(&sibling) && sibling != *module {
                        siblings.entry(module.clone()).or_default().insert(sibling);
                    }
                }
            }
        }
        // `super::x` from a file whose parent has a submodule `x`.
        let is_dir_module = path.file_name().is_some_and(|n| n == "mod.rs");
        let parent: Vec<String> = if is_dir_module {
            module[..module.len().saturating_sub(1)].to_vec()
        } else {
            module[..module.len() - 1].to_vec()
        };
        for (_, name) in &super_paths {
            let mut sibling = parent.clone();
            sibling.push(name.clone());
            if known.contains(&sibling) && sibling != *module && !is_dir_module {
                siblings.entry(module.clone()).or_default().insert(sibling);
            }
        }
    }
    // A circle among siblings: depth-first search from each module.
    fn reaches(
        from: &Vec<String>,
        to: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        seen: &mut BTreeSet<Vec<String>>,
    ) -> bool {
        edges.get(from).is_some_and(|next| {
            next.iter()
                .any(|n| n == to || (seen.insert(n.clone()) && reaches(n, to, edges, seen)))
        })
    }
    for module in siblings.keys() {
        if reaches(module, module, &siblings, &mut BTreeSet::new()) {
            violations.push(format!(
                "{} is part of an import circle with its siblings",
                module.join("::")
            ));
        }
    }
    assert!(
        violations.is_empty(),
        "imports against the pipeline:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_what_it_must_refuse() {
    let (paths, supers) = imports(
        "use crate::report::{Report, Status};\nfn f() { crate::run::runtime(); } // crate::exit\nuse super::oid::x;\npub(crate) fn g() {}",
    );
    let names: Vec<String> = paths.iter().map(|(_, p)| p.join("::")).collect();
    assert_eq!(names, ["report", "run::runtime"]);
    assert_eq!(supers, [(3, "oid".to_string())]);
    assert_eq!(
        rank(&["chain".into(), "signature".into()]).map(|r| r.1),
        Some(0)
    );
    assert_eq!(
        rank(&["chain".into(), "file".into(), "pem".into()]).map(|r| r.1),
        Some(4)
    );
    assert!(rank(&["diagnose".into()]).unwrap().1 < rank(&["clients".into()]).unwrap().1);
}
