//! Income bases sealed at rest on SQLite (`zhibu_storage::sealing_suite`), with the database file
//! itself read byte by byte for the amounts in clear.

use std::sync::Arc;

use zhibu_storage::Backend;
use zhibu_storage::sealing_suite;

#[tokio::test]
async fn income_bases_are_sealed_at_rest_and_still_counted() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let file =
        std::env::temp_dir().join(format!("zhibu-sealing-{}-{nanos}.db", std::process::id()));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", file.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    let pool = backend.pool().clone();
    let sealed = sealing_suite::income_bases_are_sealed_at_rest(Arc::new(backend)).await;
    // Everything written reaches the file: no clear base anywhere in it (nor in its journal).
    pool.close().await;
    let mut bytes = std::fs::read(&file).expect("the database file");
    for suffix in ["-wal", "-journal"] {
        if let Ok(more) = std::fs::read(format!("{}{suffix}", file.display())) {
            bytes.extend(more);
        }
    }
    assert!(bytes.len() > 4096, "the file holds the data");
    let text = String::from_utf8_lossy(&bytes);
    let sealed_at = text
        .match_indices("\"monthly_base\":{")
        .filter(|(at, _)| {
            text[*at..]
                .chars()
                .take(200)
                .collect::<String>()
                .contains("\"sealed\":\"")
        })
        .count();
    assert!(sealed_at >= 2, "sealed bases are in the file");
    for clear in &sealed.clear_texts {
        assert!(!text.contains(clear.as_str()), "{clear} in the SQLite file");
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}
