//! Zhibu's end-to-end tests live in `tests/browser.rs`; this crate has no library code. It is a
//! crate of its own so that the WebDriver client is built only for these tests.
