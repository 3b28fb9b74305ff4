//! Architecture invariants checked by machine: the pure core depends on no storage, web or async
//! runtime crate, and only the web crate depends on HTTP crates.

use std::process::Command;

/// The normal (non-dev) dependency tree of a workspace crate, one package name per line.
fn dependencies_of(package: &str) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "--offline",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_core_does_no_io_so_it_depends_on_no_storage_web_or_runtime_crate() {
    let forbidden = [
        "sqlx",
        "axum",
        "hyper",
        "tokio",
        "tower",
        "zhibu-storage",
        "zhibu-web",
        "utoipa",
        "reqwest",
    ];
    let dependencies = dependencies_of("zhibu-core");
    for name in forbidden {
        assert!(
            !dependencies.iter().any(|dependency| dependency == name),
            "zhibu-core must not depend on {name}"
        );
    }
}

#[test]
fn only_the_web_crate_knows_http() {
    for package in [
        "zhibu-core",
        "zhibu-storage",
        "zhibu-storage-sqlite",
        "zhibu-storage-postgres",
        "zhibu-demo",
    ] {
        let dependencies = dependencies_of(package);
        for name in ["axum", "hyper", "tower-http"] {
            assert!(
                !dependencies.iter().any(|dependency| dependency == name),
                "{package} must not depend on {name}"
            );
        }
    }
}

#[test]
fn storage_knows_no_particular_database() {
    let dependencies = dependencies_of("zhibu-storage");
    assert!(
        !dependencies.iter().any(|dependency| dependency == "sqlx"),
        "zhibu-storage is database-neutral"
    );
}
