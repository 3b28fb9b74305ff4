//! The behavioural storage suite that every backend must pass. Each backend crate's tests call
//! these functions with a fresh, migrated, empty store.
