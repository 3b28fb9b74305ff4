//! Personal data sealed at rest.
//!
//! A record kind names its personal fields ([`zhibu_core::Record::PERSONAL_FIELDS`], JSON paths in
//! the body such as `registry.id_number`). Before a body is written — and so before it is hashed
//! into the chain — the [`crate::Repository`] replaces each such value with a *sealed value*:
//!
//! ```json
//! {"sealed": "<base64 of 12-byte nonce ‖ AES-256-GCM ciphertext and tag>",
//!  "key": "<16 hex: which data key sealed it>",
//!  "index": "<32 hex: keyed HMAC-SHA-256 blind index of the clear value>"}
//! ```
//!
//! The clear value is the JSON text of the field (`"11010519491231002X"`, or `300000` for an income
//! base in fen); the field's path is the associated data, so a sealed value moved to another field
//! does not open. Fields nobody looks up by equality ([`UNINDEXED_FIELDS`]: the income base of an
//! `IncomeDeclaration`) are sealed without the `index`, which would only tell who earns the same. Neither the `records`
//! table nor the chain ever holds the clear value; the blind index lets storage find equal values
//! (duplicate ID numbers) without opening anything, and says nothing without the key.
//!
//! Reading through the repository opens the values again ([`crate::Repository::get`], `list`);
//! the engine's snapshots, the context checks and the stored-findings re-check read bodies without
//! the key: a sealed ID number or phone reads as absent, a sealed income base as
//! `zhibu_core::dues::MonthlyBase::Sealed` (the amount unknown, never zero; the engine's dues
//! checks need only whether a month was paid). Pages, reports and exports that compute dues read
//! through the repository, which opens the base.
//!
//! Old databases hold values written before a field was sealed (income bases before issue 4's
//! second part): they read as ever, and [`reseal_clear_values`] (run by `zhibu migrate` when a key
//! is configured) seals them by appending a version with the reason [`RESEAL_REASON`]. A missing or wrong key is a bilingual error
//! ([`SealingError`]), never garbage: AES-GCM authenticates every value, and the key id says which
//! key a value needs.
//!
//! Key management: one data key per database, 32 random bytes written as hex in a key file (mode
//! 0600). [`DataKey::for_database`] takes `ZHIBU_DATA_KEY_FILE` when set, or else, for a SQLite
//! file, `<database file>.key` beside it, created on first use; PostgreSQL refuses to start without
//! `ZHIBU_DATA_KEY_FILE`. Losing the key loses the personal data (nothing else): back it up apart
//! from the database.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use zhibu_core::dues::IncomeDeclaration;
use zhibu_core::{Member, RecordKind};

use crate::StorageError;
use crate::backend::RecordQuery;
use crate::context::ContextCheck;
use crate::repository::{ChangeMeta, Repository};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, Generate, Key, KeyInit, Nonce, Payload};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The environment variable naming the key file.
pub const DATA_KEY_FILE_ENV: &str = "ZHIBU_DATA_KEY_FILE";

/// Personal fields sealed without a blind index: nobody looks them up by equality, and an index
/// would tell who has the same value (who earns the same).
pub const UNINDEXED_FIELDS: &[&str] = &["monthly_base"];

/// The reason recorded on the version [`reseal_clear_values`] appends.
pub const RESEAL_REASON: &str = "个人信息改为加密存储（重新加密旧记录） / personal data sealed at rest (an older record re-sealed)";

/// What can go wrong with sealing: every message in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealingError {
    /// Personal data was to be written or read, and no data key is configured.
    #[error(
        "未配置数据密钥，无法读写加密的个人信息（{field}）。请设置 ZHIBU_DATA_KEY_FILE 指向密钥文件。 / No data key is configured, so the encrypted personal data ({field}) cannot be written or read. Set ZHIBU_DATA_KEY_FILE to the key file."
    )]
    NoKey { field: String },
    /// The value was sealed with another key.
    #[error(
        "个人信息（{field}）由另一把数据密钥加密（密钥标识 {sealed_with}），当前密钥标识为 {configured}：请使用原密钥文件。 / The personal data ({field}) was sealed with another data key (key id {sealed_with}); the configured key is {configured}: use the original key file."
    )]
    WrongKey {
        field: String,
        sealed_with: String,
        configured: String,
    },
    /// The key id matches but the value does not open: it was altered.
    #[error(
        "个人信息（{field}）无法解密：密文已被改动或损坏。 / The personal data ({field}) does not open: the sealed value was altered or damaged."
    )]
    Damaged { field: String },
    /// The key file is missing, unreadable or not 64 hex digits.
    #[error(
        "数据密钥文件 {path} 不可用：{reason_zh} / The data key file {path} is unusable: {reason_en}"
    )]
    BadKeyFile {
        path: String,
        reason_zh: String,
        reason_en: String,
    },
    /// PostgreSQL (or an in-memory database) without `ZHIBU_DATA_KEY_FILE`.
    #[error(
        "使用 PostgreSQL 时必须设置 ZHIBU_DATA_KEY_FILE（数据密钥文件的路径；文件不存在时会新建）。 / With PostgreSQL, ZHIBU_DATA_KEY_FILE must be set (the path of the data key file; it is created if missing)."
    )]
    KeyFileRequired,
}

/// The data key of one database: seals and opens personal values and computes blind indexes.
pub struct DataKey {
    cipher: Aes256Gcm,
    index_key: [u8; 32],
    id: String,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey({})", self.id)
    }
}

fn derive(master: &[u8; 32], purpose: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"zhibu data key v1\0");
    hasher.update(purpose.as_bytes());
    hasher.update([0]);
    hasher.update(master);
    let digest = hasher.finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&digest);
    out
}

fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut inner_pad = [0x36u8; 64];
    let mut outer_pad = [0x5cu8; 64];
    for (index, byte) in key.iter().enumerate() {
        inner_pad[index] ^= byte;
        outer_pad[index] ^= byte;
    }
    let mut inner = Sha256::new();
    inner.update(inner_pad);
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(outer_pad);
    outer.update(inner);
    let digest = outer.finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&digest);
    out
}

impl DataKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(master: &[u8; 32]) -> DataKey {
        let encryption = derive(master, "seal");
        let key =
            Key::<Aes256Gcm>::try_from(&encryption[..]).expect("32 bytes make an AES-256 key");
        let id = hex::encode(&derive(master, "id")[..8]);
        DataKey {
            cipher: Aes256Gcm::new(&key),
            index_key: derive(master, "index"),
            id,
        }
    }

    /// A fresh random key and its 32 bytes (to be written to a key file).
    pub fn generate() -> (DataKey, [u8; 32]) {
        let random = Key::<Aes256Gcm>::generate();
        let mut master = [0u8; 32];
        master.copy_from_slice(&random);
        (DataKey::from_bytes(&master), master)
    }

    /// The key's id: 16 hex digits, stored with every value it seals.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Reads a key file: 64 hex digits (lines starting with `#` are comments).
    pub fn load(path: &Path) -> Result<DataKey, SealingError> {
        let bad = |reason_zh: &str, reason_en: &str| SealingError::BadKeyFile {
            path: path.display().to_string(),
            reason_zh: reason_zh.to_string(),
            reason_en: reason_en.to_string(),
        };
        let text = fs::read_to_string(path).map_err(|error| {
            bad(
                &format!("无法读取（{error}）"),
                &format!("cannot be read ({error})"),
            )
        })?;
        let hex_text: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .flat_map(|line| line.chars())
            .filter(|c| !c.is_whitespace())
            .collect();
        let bytes = hex::decode(&hex_text)
            .ok()
            .filter(|bytes| bytes.len() == 32)
            .ok_or_else(|| bad("内容应为 64 位十六进制数字", "it must hold 64 hex digits"))?;
        let mut master = [0u8; 32];
        master.copy_from_slice(&bytes);
        Ok(DataKey::from_bytes(&master))
    }

    /// Reads the key file, or creates it with a fresh key (mode 0600) if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<DataKey, SealingError> {
        if path.exists() {
            return DataKey::load(path);
        }
        let (key, master) = DataKey::generate();
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let written = options.open(path).and_then(|mut file| {
            writeln!(
                file,
                "# Zhibu data key: seals personal data (ID numbers, phones, incomes). Keep it apart from the database backups; without it that data cannot be read.\n{}",
                hex::encode(master)
            )?;
            file.sync_all()
        });
        match written {
            Ok(()) => Ok(key),
            // Another process created it first: use theirs.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => DataKey::load(path),
            Err(error) => Err(SealingError::BadKeyFile {
                path: path.display().to_string(),
                reason_zh: format!("无法创建（{error}）"),
                reason_en: format!("cannot be created ({error})"),
            }),
        }
    }

    /// Where the key of the database at `url` lives: `ZHIBU_DATA_KEY_FILE` (`env_key_file`) if
    /// given, else `<file>.key` beside a SQLite file. PostgreSQL and in-memory SQLite need the
    /// variable.
    pub fn key_file_for(url: &str, env_key_file: Option<&str>) -> Result<PathBuf, SealingError> {
        if let Some(path) = env_key_file.filter(|path| !path.trim().is_empty()) {
            return Ok(PathBuf::from(path));
        }
        let file = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or(rest))
            .filter(|file| !file.is_empty() && !file.contains(":memory:"));
        match file {
            Some(file) => Ok(PathBuf::from(format!("{file}.key"))),
            None => Err(SealingError::KeyFileRequired),
        }
    }

    /// The key for the database at `url`, created on first use (see the module documentation).
    pub fn for_database(url: &str) -> Result<DataKey, SealingError> {
        let env = std::env::var(DATA_KEY_FILE_ENV).ok();
        let path = DataKey::key_file_for(url, env.as_deref())?;
        DataKey::load_or_create(&path)
    }

    /// Like [`DataKey::for_database`], but a database that needs `ZHIBU_DATA_KEY_FILE` and does
    /// not have it runs without a key: records without personal data are written and read as
    /// ever, and any personal data is refused with [`SealingError::NoKey`], which says what to set.
    pub fn configured_for(url: &str) -> Result<Option<DataKey>, SealingError> {
        match DataKey::for_database(url) {
            Ok(key) => Ok(Some(key)),
            Err(SealingError::KeyFileRequired) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// The blind index of a clear value of `field`: equal values have equal indexes under one key.
    pub fn blind_index(&self, field: &str, clear: &Value) -> String {
        let mut message = field.as_bytes().to_vec();
        message.push(0);
        message.extend_from_slice(clear.to_string().as_bytes());
        hex::encode(&hmac_sha256(&self.index_key, &message)[..16])
    }

    /// Seals one clear value of `field`.
    pub fn seal(&self, field: &str, clear: &Value) -> Value {
        let nonce = Nonce::<Aes256Gcm>::generate();
        let text = clear.to_string();
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: text.as_bytes(),
                    aad: field.as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any message this short");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        let mut object = Map::new();
        object.insert("sealed".into(), Value::String(BASE64.encode(sealed)));
        object.insert("key".into(), Value::String(self.id.clone()));
        if !UNINDEXED_FIELDS.contains(&field) {
            object.insert(
                "index".into(),
                Value::String(self.blind_index(field, clear)),
            );
        }
        Value::Object(object)
    }

    /// Opens a sealed value of `field`.
    pub fn open(&self, field: &str, sealed: &Value) -> Result<Value, SealingError> {
        let damaged = || SealingError::Damaged {
            field: field.to_string(),
        };
        let key_id = sealed.get("key").and_then(Value::as_str).unwrap_or("");
        if key_id != self.id {
            return Err(SealingError::WrongKey {
                field: field.to_string(),
                sealed_with: key_id.to_string(),
                configured: self.id.clone(),
            });
        }
        let bytes = sealed
            .get("sealed")
            .and_then(Value::as_str)
            .and_then(|text| BASE64.decode(text).ok())
            .filter(|bytes| bytes.len() > 12)
            .ok_or_else(damaged)?;
        let (nonce, ciphertext) = bytes.split_at(12);
        let nonce = Nonce::<Aes256Gcm>::try_from(nonce).map_err(|_| damaged())?;
        let clear = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: field.as_bytes(),
                },
            )
            .map_err(|_| damaged())?;
        serde_json::from_slice(&clear).map_err(|_| damaged())
    }
}

/// Whether a JSON value is a sealed value.
pub fn is_sealed(value: &Value) -> bool {
    value.as_object().is_some_and(|object| {
        object.contains_key("sealed") && object.contains_key("key") && object.len() <= 3
    })
}

/// A cheap test before parsing: can this body text hold a sealed value at all?
pub fn may_hold_sealed(body: &str) -> bool {
    body.contains("\"sealed\":")
}

fn slot<'a>(body: &'a mut Value, path: &str) -> Option<(&'a mut Map<String, Value>, String)> {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop()?.to_string();
    let mut current = body;
    for part in parts {
        current = current.get_mut(part)?;
    }
    current.as_object_mut().map(|object| (object, last))
}

/// Seals the personal `fields` of a body: each present, non-null, not yet sealed value is
/// replaced by its sealed value. Without a key, a body holding personal data is refused.
/// Returns whether anything was sealed.
pub fn seal_personal(
    body: &mut Value,
    fields: &[&str],
    key: Option<&DataKey>,
) -> Result<bool, SealingError> {
    let mut sealed = false;
    for field in fields {
        let Some((object, name)) = slot(body, field) else {
            continue;
        };
        let Some(value) = object.get_mut(&name) else {
            continue;
        };
        if value.is_null() || is_sealed(value) {
            continue;
        }
        let key = key.ok_or_else(|| SealingError::NoKey {
            field: field.to_string(),
        })?;
        *value = key.seal(field, value);
        sealed = true;
    }
    Ok(sealed)
}

/// Opens the sealed personal `fields` of a body in place.
pub fn open_personal(
    body: &mut Value,
    fields: &[&str],
    key: Option<&DataKey>,
) -> Result<(), SealingError> {
    for field in fields {
        let Some((object, name)) = slot(body, field) else {
            continue;
        };
        let Some(value) = object.get_mut(&name) else {
            continue;
        };
        if !is_sealed(value) {
            continue;
        }
        let key = key.ok_or_else(|| SealingError::NoKey {
            field: field.to_string(),
        })?;
        *value = key.open(field, value)?;
    }
    Ok(())
}

/// Removes the sealed personal `fields` of a body (for readers that never need personal data:
/// the engine's snapshots and the context checks). Returns whether anything was removed.
pub fn strip_personal(body: &mut Value, fields: &[&str]) -> bool {
    let mut removed = false;
    for field in fields {
        if let Some((object, name)) = slot(body, field)
            && object.get(&name).is_some_and(is_sealed)
        {
            object.remove(&name);
            removed = true;
        }
    }
    removed
}

/// The blind index stored with a sealed value at `field` of a body, if there is one.
pub fn stored_index(body: &Value, field: &str) -> Option<String> {
    let mut current = body;
    for part in field.split('.') {
        current = current.get(part)?;
    }
    current
        .get("index")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Whether a stored body holds one of `fields` in clear (written before the field was sealed).
pub fn holds_clear_personal(body: &Value, fields: &[&str]) -> bool {
    fields.iter().any(|field| {
        let mut current = body;
        for part in field.split('.') {
            match current.get(part) {
                Some(next) => current = next,
                None => return false,
            }
        }
        !current.is_null() && !is_sealed(current)
    })
}

/// What [`reseal_clear_values`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ResealReport {
    /// The records sealed, each with the version appended.
    pub resealed: Vec<(RecordKind, i64, i32)>,
    /// The records that could not be re-sealed and why (bilingual): they stay readable in clear
    /// until they are amended.
    pub refused: Vec<(RecordKind, i64, String)>,
}

/// Seals the personal values older records hold in clear (the income base of declarations written
/// before it was sealed; ID numbers and phones never were written in clear, but are checked too):
/// each such record gets a new version with the same content, sealed, by `actor` with the reason
/// [`RESEAL_REASON`]. Nothing is rewritten in place; the chain keeps the older versions as they
/// were written. A record the write checks now refuse is listed in [`ResealReport::refused`] and
/// left as it is. Without a data key nothing can be sealed: [`SealingError::NoKey`].
pub async fn reseal_clear_values(
    repository: &Repository,
    actor: &str,
) -> Result<ResealReport, StorageError> {
    let mut report = ResealReport::default();
    reseal_kind::<Member>(repository, actor, &mut report).await?;
    reseal_kind::<IncomeDeclaration>(repository, actor, &mut report).await?;
    Ok(report)
}

async fn reseal_kind<T: ContextCheck>(
    repository: &Repository,
    actor: &str,
    report: &mut ResealReport,
) -> Result<(), StorageError> {
    let meta = ChangeMeta {
        actor: actor.to_string(),
        reason: Some(RESEAL_REASON.to_string()),
        idempotency_key: None,
        entered_at: None,
    };
    let mut after_id = None;
    loop {
        let rows = repository
            .backend()
            .list(&RecordQuery {
                after_id,
                limit: Some(500),
                ..RecordQuery::all(T::KIND)
            })
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after_id = Some(last.id);
        for row in &rows {
            let body: Value =
                serde_json::from_str(&row.body).map_err(|error| StorageError::Corrupt {
                    id: row.id,
                    message: error.to_string(),
                })?;
            if !holds_clear_personal(&body, T::PERSONAL_FIELDS) {
                continue;
            }
            if repository.data_key().is_none() {
                return Err(SealingError::NoKey {
                    field: T::PERSONAL_FIELDS.join(", "),
                }
                .into());
            }
            let current = repository.open_row::<T>(row)?;
            match repository
                .amend::<T>(T::Id::from(row.id), row.version, current.body, &meta)
                .await
            {
                Ok(stored) => report.resealed.push((T::KIND, row.id, stored.version)),
                Err(StorageError::Invalid(errors)) => report.refused.push((
                    T::KIND,
                    row.id,
                    errors
                        .errors
                        .iter()
                        .map(|error| format!("{} / {}", error.message_zh, error.message_en))
                        .collect::<Vec<_>>()
                        .join("; "),
                )),
                Err(other) => return Err(other),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(byte: u8) -> DataKey {
        DataKey::from_bytes(&[byte; 32])
    }

    #[test]
    fn sealed_values_open_with_their_key_only() {
        let mut body = json!({"name": "张三", "registry": {"id_number": "11010519491231002X", "phone": "13812345678", "ethnicity": "汉族"}});
        let fields = ["registry.id_number", "registry.phone"];
        seal_personal(&mut body, &fields, Some(&key(1))).expect("sealed");
        let text = body.to_string();
        assert!(!text.contains("11010519491231002X"), "{text}");
        assert!(!text.contains("13812345678"), "{text}");
        assert!(text.contains("汉族"), "{text}");
        // The same key opens them.
        let mut opened = body.clone();
        open_personal(&mut opened, &fields, Some(&key(1))).expect("opened");
        assert_eq!(opened["registry"]["id_number"], "11010519491231002X");
        assert_eq!(opened["registry"]["phone"], "13812345678");
        // Another key is named as such.
        let mut wrong = body.clone();
        let error = open_personal(&mut wrong, &fields, Some(&key(2))).expect_err("wrong key");
        assert!(matches!(error, SealingError::WrongKey { .. }), "{error}");
        assert!(error.to_string().contains("另一把数据密钥"), "{error}");
        // No key at all.
        let mut none = body.clone();
        let error = open_personal(&mut none, &fields, None).expect_err("no key");
        assert!(matches!(error, SealingError::NoKey { .. }), "{error}");
        // A sealed value moved to another field does not open.
        let mut moved = body.clone();
        moved["registry"]["phone"] = body["registry"]["id_number"].clone();
        let error = open_personal(&mut moved, &fields, Some(&key(1))).expect_err("moved");
        assert!(matches!(error, SealingError::Damaged { .. }), "{error}");
        // A flipped bit does not open.
        let mut flipped = body.clone();
        let sealed = flipped["registry"]["id_number"]["sealed"]
            .as_str()
            .expect("text")
            .to_string();
        let mut bytes = BASE64.decode(sealed).expect("base64");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        flipped["registry"]["id_number"]["sealed"] = Value::String(BASE64.encode(bytes));
        let error = open_personal(&mut flipped, &fields, Some(&key(1))).expect_err("flipped");
        assert!(matches!(error, SealingError::Damaged { .. }), "{error}");
    }

    #[test]
    fn personal_data_without_a_key_is_refused_and_absent_data_needs_none() {
        let fields = ["registry.id_number"];
        let mut with = json!({"registry": {"id_number": "11010519491231002X"}});
        assert!(matches!(
            seal_personal(&mut with, &fields, None),
            Err(SealingError::NoKey { .. })
        ));
        let mut without = json!({"name": "李四"});
        seal_personal(&mut without, &fields, None).expect("nothing to seal");
        assert_eq!(without, json!({"name": "李四"}));
    }

    #[test]
    fn blind_indexes_are_equal_for_equal_values_under_one_key() {
        let a = key(1).seal("registry.id_number", &json!("11010519491231002X"));
        let b = key(1).seal("registry.id_number", &json!("11010519491231002X"));
        let c = key(2).seal("registry.id_number", &json!("11010519491231002X"));
        assert_ne!(a["sealed"], b["sealed"], "a fresh nonce every time");
        assert_eq!(a["index"], b["index"]);
        assert_ne!(a["index"], c["index"]);
    }

    #[test]
    fn key_files_are_created_once_with_owner_only_access_and_read_back() {
        let dir = std::env::temp_dir().join(format!("zhibu-key-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("z.db.key");
        let _ = fs::remove_file(&path);
        let first = DataKey::load_or_create(&path).expect("created");
        let second = DataKey::load_or_create(&path).expect("read");
        assert_eq!(first.id(), second.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        fs::write(&path, "not a key").expect("write");
        let error = DataKey::load(&path).expect_err("bad file");
        assert!(error.to_string().contains("64 位十六进制"), "{error}");
        assert_eq!(
            DataKey::key_file_for("sqlite://./data/z.db?mode=rwc", None).expect("beside"),
            PathBuf::from("./data/z.db.key")
        );
        assert_eq!(
            DataKey::key_file_for("postgres://u@h/db", None),
            Err(SealingError::KeyFileRequired)
        );
        assert_eq!(
            DataKey::key_file_for("postgres://u@h/db", Some("/etc/zhibu/key")).expect("env"),
            PathBuf::from("/etc/zhibu/key")
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
