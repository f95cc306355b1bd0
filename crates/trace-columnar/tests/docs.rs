//! The crate's documentation gives every table's columns as the schema has them.

use trace_columnar::TABLES;

#[test]
fn docs_list_every_column_of_every_table() {
    let docs = include_str!("../src/lib.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    for table in TABLES {
        let heading = format!("### `{}`: {}", table.name, table.doc);
        assert!(
            docs.contains(&heading),
            "no heading {heading:?} in the docs"
        );
        let md = table.markdown();
        assert!(
            docs.contains(&md),
            "the docs' table of {} differs from the schema; it is:\n\n{heading}\n\n{md}",
            table.name
        );
    }
}

/// `cargo test -p trace-columnar --test docs -- --ignored --nocapture` prints the docs' tables.
#[test]
#[ignore]
fn print_tables() {
    for table in TABLES {
        println!(
            "### `{}`: {}\n\n{}",
            table.name,
            table.doc,
            table.markdown()
        );
    }
}
