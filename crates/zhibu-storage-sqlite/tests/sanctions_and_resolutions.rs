//! Lesser sanctions and the resolution to admit on SQLite (`zhibu_storage::admission_suite`).

use std::sync::Arc;

use zhibu_storage::Backend;
use zhibu_storage::admission_suite;

#[tokio::test]
async fn sanctions_and_the_resolution_to_admit_are_stored_checked_and_reported() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let path =
        std::env::temp_dir().join(format!("zhibu-sanctions-{}-{nanos}.db", std::process::id()));
    let backend = zhibu_storage_sqlite::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    backend.migrate().await.expect("migrate");
    admission_suite::sanctions_and_resolutions(Arc::new(backend) as Arc<dyn Backend>).await;
}
