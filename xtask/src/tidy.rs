//! Repository tidy checks, run by `cargo xtask tidy`, by `cargo xtask ci`, and by the
//! `workspace_is_tidy` unit test so that plain `cargo test --workspace` enforces them too.
//!
//! 1. Pure crates must not (transitively, through normal dependencies) depend on async
//!    runtimes, databases, HTTP stacks or an RNG.
//! 2. Pure crates must not read the clock or pick randomness themselves.
//! 3. Every Rust source file starts with a `//!` module doc comment.
//! 4. No debugging or placeholder macros are left in the code.
//! 5. Every crate folder matches its package name and is described in ARCHITECTURE.md.
//! 6. Workspace crates depend on one another in the layer order of ARCHITECTURE.md ([`LAYERS`]): a crate's
//!    `[dependencies]` name only workspace crates of lower layers, and ARCHITECTURE.md states the same order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Crates holding domain logic only: no I/O, no clock, no randomness of their own.
const PURE_CRATES: &[&str] = &[
    "audit",
    "domain",
    "lending",
    "scoring",
    "policy",
    "features",
    "ingest",
    "monitor",
    "portfolio",
    "simulate",
    "text",
    "workflow",
];

/// Packages that must never be in a pure crate's normal dependency closure.
///
/// `rand` is here because randomness is injected; a seeded, deterministic RNG crate such
/// as `rand_chacha` may be allowed later by editing this list (it does not pull `rand`).
#[rustfmt::skip]
const FORBIDDEN_DEPS: &[&str] = &[
    "tokio", "async-std", "smol", "sqlx", "sqlx-core", "rusqlite", "libsqlite3-sys", "postgres",
    "tokio-postgres", "diesel", "axum", "hyper", "actix-web", "warp", "reqwest", "tower", "rand",
];

/// Calls that read the clock or an ambient RNG; pure crates get these injected instead.
const FORBIDDEN_CALLS: &[&str] = &["Utc::now", "Local::now", "SystemTime::now", "Instant::now", "thread_rng"];

/// The layers of the workspace, lowest first. A crate's `[dependencies]` may name only workspace crates of lower
/// layers, so dependencies point downwards: the pure vocabulary at the bottom, then the lending core, keys, scoring
/// and the credit workflow's rules, what is built on loans (features, the data contracts, which name the core's
/// products, the simulator), loading (which owns the record register's contract), then deciding and the store that
/// implements the registers side by side,
/// the service layer, the HTTP server and the binary on top. ARCHITECTURE.md's code map states this order in the
/// words of [`layer_sentence`]. `xtask` is tooling, outside the layers.
#[rustfmt::skip]
const LAYERS: &[&[&str]] = &[
    &["domain", "policy"],
    &["audit", "identity", "lending", "privacy", "scoring", "workflow"],
    &["features", "ingest", "simulate"],
    &["integrate", "monitor", "portfolio"],
    &["decide", "store"],
    &["app"],
    &["server"],
    &["cli"],
];

/// Workspace members that are not layered crates.
const OUTSIDE_LAYERS: &[&str] = &["xtask"];

/// Macros that must not be committed.
const FORBIDDEN_MACROS: &[&str] = &["dbg!(", "todo!("];

/// Runs every tidy check, printing a summary; fails listing all violations.
pub fn run(root: &Path) -> Result<()> {
    let violations = check(root)?;
    if violations.is_empty() {
        println!("tidy: all checks passed");
        return Ok(());
    }
    for violation in &violations {
        eprintln!("tidy: {violation}");
    }
    bail!("{} tidy violation(s) found", violations.len())
}

/// Runs every tidy check and returns all violations found (empty when tidy).
pub fn check(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    match cargo_metadata(root) {
        Ok(meta) => {
            check_dependency_boundary(&meta, &mut out);
            check_layers(&meta, &mut out);
        }
        Err(err) => out.push(format!("dependency boundary: {err:#}")),
    }
    check_layer_sentence(root, &mut out)?;
    let crates = crate_dirs(root)?;
    let mut sources = rust_files(&root.join("xtask/src"))?;
    for dir in &crates {
        let files = rust_files(&dir.join("src"))?;
        if PURE_CRATES.contains(&file_name(dir).as_str()) {
            for file in &files {
                scan_lines(root, file, FORBIDDEN_CALLS, "clock and randomness must be injected", &mut out)?;
            }
        }
        sources.extend(files);
    }
    for file in &sources {
        check_module_doc(root, file, &mut out)?;
    }
    // Everything under crates/ (tests, benches, examples too), except this file's patterns.
    let this_file = root.join("xtask/src/tidy.rs");
    let mut macro_files = rust_files(&root.join("crates"))?;
    macro_files.extend(rust_files(&root.join("xtask/src"))?);
    for file in macro_files.iter().filter(|file| **file != this_file) {
        scan_lines(root, file, FORBIDDEN_MACROS, "debugging leftover", &mut out)?;
    }
    check_crate_names(root, &crates, &mut out)?;
    Ok(out)
}

/// `cargo metadata --format-version 1` for the workspace, parsed.
fn cargo_metadata(root: &Path) -> Result<Value> {
    let output = crate::cargo_command(root)
        .args(["metadata", "--format-version", "1"])
        .output()
        .context("failed to spawn `cargo metadata`")?;
    if !output.status.success() {
        bail!("`cargo metadata` failed ({}):\n{}", output.status, String::from_utf8_lossy(&output.stderr));
    }
    serde_json::from_slice(&output.stdout).context("`cargo metadata` printed invalid JSON")
}

/// Check 1: walks each pure crate's normal dependency closure in the resolve graph.
fn check_dependency_boundary(meta: &Value, out: &mut Vec<String>) {
    let empty = Vec::new();
    let packages: HashMap<&str, &Value> =
        meta["packages"].as_array().unwrap_or(&empty).iter().filter_map(|p| Some((p["id"].as_str()?, p))).collect();
    let name_of = |id: &str| packages.get(id).and_then(|p| p["name"].as_str()).unwrap_or(id).to_owned();
    let Some(nodes) = meta["resolve"]["nodes"].as_array() else {
        out.push("dependency boundary: `cargo metadata` has no resolve graph".to_owned());
        return;
    };
    // Edges for normal dependencies only (a dep_kinds entry whose `kind` is null) that are
    // really enabled: cargo also lists optional deps only named by weak `dep?/feature`s.
    let edges: HashMap<&str, Vec<&str>> = nodes
        .iter()
        .filter_map(|node| {
            let id = node["id"].as_str()?;
            let deps = node["deps"].as_array().unwrap_or(&empty).iter();
            let normal = deps
                .filter(|dep| dep["dep_kinds"].as_array().unwrap_or(&empty).iter().any(|k| k["kind"].is_null()))
                .filter(|dep| packages.get(id).is_none_or(|pkg| edge_enabled(pkg, node, dep["name"].as_str())))
                .filter_map(|dep| dep["pkg"].as_str())
                .collect();
            Some((id, normal))
        })
        .collect();
    let members = meta["workspace_members"].as_array().unwrap_or(&empty);
    for member in members.iter().filter_map(Value::as_str) {
        let name = name_of(member);
        if !PURE_CRATES.contains(&name.as_str()) {
            continue;
        }
        // Breadth-first search, remembering each package's parent to rebuild the chain.
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut seen: HashSet<&str> = HashSet::from([member]);
        let mut reported = HashSet::new();
        let mut queue = VecDeque::from([member]);
        while let Some(id) = queue.pop_front() {
            for &dep in edges.get(id).unwrap_or(&Vec::new()) {
                if !seen.insert(dep) {
                    continue;
                }
                parent.insert(dep, id);
                queue.push_back(dep);
                let dep_name = name_of(dep);
                if FORBIDDEN_DEPS.contains(&dep_name.as_str()) && reported.insert(dep_name.clone()) {
                    let mut chain = vec![dep_name.clone()];
                    let mut cursor = dep;
                    while let Some(&up) = parent.get(cursor) {
                        chain.push(name_of(up));
                        cursor = up;
                    }
                    chain.reverse();
                    let chain = chain.join(" -> ");
                    out.push(format!("pure crate `{name}` depends on forbidden crate `{dep_name}` via {chain}"));
                }
            }
        }
    }
}

/// The layer of a workspace crate (0 is the lowest), if it has one.
fn layer_of(name: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&name))
}

/// Check 6: every workspace crate's normal dependencies on other workspace crates point to lower layers; a crate
/// missing from [`LAYERS`] is reported too, so a new crate gets its place in the order before it gets a dependency.
fn check_layers(meta: &Value, out: &mut Vec<String>) {
    let empty = Vec::new();
    let members: HashSet<&str> =
        meta["workspace_members"].as_array().unwrap_or(&empty).iter().filter_map(Value::as_str).collect();
    let packages = meta["packages"].as_array().unwrap_or(&empty).iter();
    let workspace: Vec<&Value> = packages.filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id))).collect();
    let names: HashSet<&str> = workspace.iter().filter_map(|p| p["name"].as_str()).collect();
    for package in &workspace {
        let Some(name) = package["name"].as_str() else { continue };
        if OUTSIDE_LAYERS.contains(&name) {
            continue;
        }
        let Some(layer) = layer_of(name) else {
            out.push(format!(
                "layers: crate `{name}` has no layer (add it to LAYERS in xtask/src/tidy.rs and to ARCHITECTURE.md)"
            ));
            continue;
        };
        let deps = package["dependencies"].as_array().unwrap_or(&empty).iter();
        // `[dependencies]` only: dev- and build-dependencies have a `kind`.
        for dep in deps.filter(|d| d["kind"].is_null()) {
            let Some(dep_name) = dep["name"].as_str().filter(|n| names.contains(n) && *n != name) else { continue };
            match layer_of(dep_name) {
                Some(below) if below < layer => {}
                Some(_) => out.push(format!(
                    "layers: `{name}` depends on `{dep_name}`, which is not in a lower layer (ARCHITECTURE.md: {})",
                    layer_sentence()
                )),
                None => {} // Reported above as a crate without a layer.
            }
        }
    }
}

/// The layer order as ARCHITECTURE.md's code map states it: crates of one layer side by side, `<` between layers.
fn layer_sentence() -> String {
    let layers: Vec<String> =
        LAYERS.iter().map(|layer| layer.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(" ")).collect();
    layers.join(" < ")
}

/// Check 6, the words: ARCHITECTURE.md states the layer order of [`LAYERS`] (line breaks and runs of spaces aside).
fn check_layer_sentence(root: &Path, out: &mut Vec<String>) -> Result<()> {
    let arch = root.join("ARCHITECTURE.md");
    if !arch.is_file() {
        return Ok(()); // Reported by check 5.
    }
    let text = read(&arch)?.split_whitespace().collect::<Vec<_>>().join(" ");
    if !text.contains(&layer_sentence()) {
        out.push(format!("ARCHITECTURE.md: the code map does not state the layer order {}", layer_sentence()));
    }
    Ok(())
}

/// Whether `pkg`'s resolved dependency edge `edge` (its crate name, `-` as `_`) is enabled:
/// always for a non-optional dependency; for an optional one only when an enabled feature
/// names it (implicit feature, `dep:x` or `x/feat`), not a weak `x?/feat`.
fn edge_enabled(pkg: &Value, node: &Value, edge: Option<&str>) -> bool {
    let Some(edge) = edge else { return true };
    let empty = Vec::new();
    let is_edge = |key: &str| key.replace('-', "_") == edge;
    let decls: Vec<&Value> = pkg["dependencies"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|d| d["kind"].is_null() && d["rename"].as_str().or(d["name"].as_str()).is_some_and(is_edge))
        .collect();
    if decls.is_empty() || decls.iter().any(|d| d["optional"] != Value::Bool(true)) {
        return true;
    }
    let features = node["features"].as_array().unwrap_or(&empty).iter().filter_map(Value::as_str);
    features.into_iter().any(|feature| {
        is_edge(feature)
            || pkg["features"][feature].as_array().unwrap_or(&empty).iter().filter_map(Value::as_str).any(|entry| {
                let entry = entry.strip_prefix("dep:").unwrap_or(entry);
                is_edge(entry.split_once('/').map_or(entry, |(dep, _)| dep))
            })
    })
}

/// Checks 2 and 4: reports every non-comment line of `file` containing one of `patterns`.
fn scan_lines(root: &Path, file: &Path, patterns: &[&str], why: &str, out: &mut Vec<String>) -> Result<()> {
    let text = read(file)?;
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        for pattern in patterns.iter().filter(|p| line.contains(*p)) {
            out.push(format!("{}:{}: `{pattern}` found ({why})", rel(root, file), index + 1));
        }
    }
    Ok(())
}

/// Check 3: the first non-blank line must be a `//!` module doc comment.
fn check_module_doc(root: &Path, file: &Path, out: &mut Vec<String>) -> Result<()> {
    if !starts_with_module_doc(&read(file)?) {
        out.push(format!("{}: must start with a `//!` module doc comment", rel(root, file)));
    }
    Ok(())
}

/// Whether `text` starts, after optional blank lines, with a `//!` comment.
fn starts_with_module_doc(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().find(|line| !line.trim().is_empty()).is_some_and(|line| line.trim_start().starts_with("//!"))
}

/// Check 5: folder name == package name, and each crate is mentioned in ARCHITECTURE.md.
fn check_crate_names(root: &Path, crates: &[PathBuf], out: &mut Vec<String>) -> Result<()> {
    for dir in crates {
        let folder = file_name(dir);
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            out.push(format!("{}: crate folder has no Cargo.toml", rel(root, dir)));
            continue;
        }
        match package_name(&read(&manifest)?) {
            Some(name) if name == folder => {}
            Some(name) => {
                out.push(format!("{}: package name `{name}` differs from folder name `{folder}`", rel(root, &manifest)))
            }
            None => out.push(format!("{}: no [package] name found", rel(root, &manifest))),
        }
    }
    let arch = root.join("ARCHITECTURE.md");
    if !arch.is_file() {
        out.push("ARCHITECTURE.md is missing".to_owned());
        return Ok(());
    }
    let text = read(&arch)?;
    for dir in crates {
        let folder = file_name(dir);
        // Every crate has its own code-map section, headed with its name in backticks.
        if !text.lines().any(|line| line.trim_start_matches('#').trim() == format!("`{folder}`")) {
            out.push(format!(
                "ARCHITECTURE.md: crate `{folder}` has no code-map section (a heading \"### `{folder}`\")"
            ));
        }
    }
    Ok(())
}

/// The `name` of the `[package]` table in a Cargo.toml (a minimal line-based reader).
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if let Some((key, value)) = line.split_once('=') {
            if in_package && key.trim() == "name" {
                return Some(value.trim().trim_matches(|c| c == '"' || c == '\'').to_owned());
            }
        }
    }
    None
}

/// The crate folders directly under `crates/`, sorted.
fn crate_dirs(root: &Path) -> Result<Vec<PathBuf>> {
    let dirs = entries(&root.join("crates"))?;
    Ok(dirs.into_iter().filter(|path| path.is_dir()).collect())
}

/// All `.rs` files below `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in entries(dir)? {
        if path.is_dir() {
            files.extend(rust_files(&path)?);
        } else if file_name(&path).ends_with(".rs") {
            files.push(path);
        }
    }
    Ok(files)
}

/// The sorted entries of `dir` (none if it is missing), skipping hidden ones and `target`.
fn entries(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = file_name(&path);
        if !name.starts_with('.') && name != "target" {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Enforces the tidy checks on the real workspace during `cargo test --workspace`.
    #[test]
    fn workspace_is_tidy() {
        let violations = check(&crate::workspace_root()).expect("tidy checks could not run");
        assert!(violations.is_empty(), "{} tidy violation(s):\n  {}", violations.len(), violations.join("\n  "));
    }

    #[test]
    fn dependency_chain_is_reported_and_dev_deps_ignored() {
        // `mid` has an optional `rand`, named only by a weak feature unless `dice` is on.
        let meta = |mid_features: &[&str]| {
            serde_json::json!({
                "packages": [
                    {"id": "d", "name": "domain"}, {"id": "t", "name": "tokio"}, {"id": "r", "name": "rand"},
                    {"id": "m", "name": "mid", "features": {"std": ["rand?/std"], "dice": ["dep:rand"]},
                     "dependencies": [{"name": "rand", "kind": null, "optional": true}]},
                ],
                "workspace_members": ["d"],
                "resolve": {"nodes": [
                    {"id": "d", "deps": [
                        {"name": "mid", "pkg": "m", "dep_kinds": [{"kind": null}]},
                        {"name": "rand", "pkg": "r", "dep_kinds": [{"kind": "dev"}]},
                    ]},
                    {"id": "m", "features": mid_features, "deps": [
                        {"name": "tokio", "pkg": "t", "dep_kinds": [{"kind": null}]},
                        {"name": "rand", "pkg": "r", "dep_kinds": [{"kind": null}]},
                    ]},
                    {"id": "t", "deps": []}, {"id": "r", "deps": []},
                ]},
            })
        };
        let tokio = "pure crate `domain` depends on forbidden crate `tokio` via domain -> mid -> tokio";
        let rand = "pure crate `domain` depends on forbidden crate `rand` via domain -> mid -> rand";
        let mut out = Vec::new();
        check_dependency_boundary(&meta(&["std"]), &mut out);
        assert_eq!(out, [tokio]);
        out.clear();
        check_dependency_boundary(&meta(&["std", "dice"]), &mut out);
        assert_eq!(out, [tokio, rand]);
    }

    /// Metadata of a workspace whose members and their `[dependencies]` are given as (name, deps).
    fn workspace(crates: &[(&str, &[&str])]) -> Value {
        let packages: Vec<Value> = crates
            .iter()
            .map(|(name, deps)| {
                let deps: Vec<Value> =
                    deps.iter().map(|d| serde_json::json!({"name": d, "kind": null, "path": "/w"})).collect();
                serde_json::json!({"id": name, "name": name, "dependencies": deps})
            })
            .collect();
        let members: Vec<&str> = crates.iter().map(|(name, _)| *name).collect();
        serde_json::json!({"packages": packages, "workspace_members": members})
    }

    #[test]
    fn a_dependency_upwards_or_sideways_is_reported() {
        let mut out = Vec::new();
        let tidy: &[(&str, &[&str])] =
            &[("domain", &[]), ("lending", &["domain"]), ("store", &["domain", "lending"]), ("cli", &["store"])];
        check_layers(&workspace(tidy), &mut out);
        assert_eq!(out, Vec::<String>::new());

        let upwards: &[(&str, &[&str])] = &[("lending", &["domain", "store"]), ("store", &["lending"])];
        check_layers(&workspace(upwards), &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].starts_with("layers: `lending` depends on `store`"), "{out:?}");

        out.clear();
        let sideways: &[(&str, &[&str])] = &[("lending", &["privacy"]), ("privacy", &[])];
        check_layers(&workspace(sideways), &mut out);
        assert!(out.len() == 1 && out[0].starts_with("layers: `lending` depends on `privacy`"), "{out:?}");

        out.clear();
        let below_app: &[(&str, &[&str])] = &[("store", &["app"]), ("server", &["cli"]), ("app", &[]), ("cli", &[])];
        check_layers(&workspace(below_app), &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
    }

    #[test]
    fn a_crate_without_a_layer_is_reported_and_tooling_is_not() {
        let mut out = Vec::new();
        let crates: &[(&str, &[&str])] = &[("orphan", &["domain"]), ("xtask", &[]), ("domain", &[])];
        check_layers(&workspace(crates), &mut out);
        assert!(out.len() == 1 && out[0].contains("`orphan` has no layer"), "{out:?}");
    }

    #[test]
    fn the_layer_sentence_names_every_layer_in_order() {
        let sentence = layer_sentence();
        assert!(sentence.starts_with("`domain` `policy` < `audit` `identity` `lending`"), "{sentence}");
        assert!(sentence.ends_with("< `app` < `server` < `cli`"), "{sentence}");
    }

    #[test]
    fn helpers() {
        assert!(starts_with_module_doc("\n\n//! Docs.\nfn x() {}"));
        assert!(!starts_with_module_doc("// plain\n//! Docs."));
        assert!(!starts_with_module_doc(""));
        assert_eq!(package_name("[package]\nname = \"cli\"\n").as_deref(), Some("cli"));
        assert_eq!(package_name("[workspace]\nname = \"x\"\n"), None);
    }
}
