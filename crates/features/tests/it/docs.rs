//! `docs/features.md` lists exactly the catalogue's features, in catalogue order, so the document cannot drift from
//! the code.

use features::CATALOGUE;

#[test]
fn docs_features_md_lists_exactly_the_catalogue() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/features.md");
    let text = std::fs::read_to_string(path).expect("docs/features.md exists");
    // Catalogue rows are table rows whose first cell is a code span: | `name` | ...
    let documented: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(name, _)| name))
        .collect();
    let names: Vec<&str> = CATALOGUE.iter().map(|f| f.name).collect();
    assert_eq!(documented, names);
}
