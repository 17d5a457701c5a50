//! The diagnostic code table in the README matches the codes (numbers never drift).

use tailform::validate::Code;

#[test]
fn readme_lists_every_code() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    for code in Code::ALL {
        let row = format!(
            "| {} | {} | {} | {} |",
            code.id(),
            code.slug(),
            code.severity().as_str(),
            code.what()
        );
        assert!(readme.contains(&row), "README lacks: {row}");
    }
}
