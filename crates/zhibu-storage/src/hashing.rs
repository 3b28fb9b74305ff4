//! The hash chain over record versions. Every version's hash covers its own fields and the hash of
//! the version before it in the chain (in order of `seq`), so changing, removing or reordering any
//! stored version breaks every hash after it.

use sha2::{Digest, Sha256};

use crate::ChainEntry;

/// The `previous_hash` of the first version ever written.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of one chain entry: SHA-256 over a JSON array of its fields (JSON gives an unambiguous
/// encoding of strings with any content), as lowercase hex.
pub fn version_hash(entry: &ChainEntry) -> String {
    let fields = serde_json::json!([
        entry.seq,
        entry.record_id,
        entry.kind.as_str(),
        entry.version,
        entry.operation.as_str(),
        entry.org_path,
        entry.event_date.to_string(),
        entry
            .entered_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        entry.actor,
        entry.reason,
        entry.body,
        entry.previous_hash,
    ]);
    let mut hasher = Sha256::new();
    hasher.update(fields.to_string().as_bytes());
    hex::encode(hasher.finalize())
}
