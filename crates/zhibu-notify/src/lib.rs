//! Reminders before deadlines (issue 7), the IO half: the daily scheduler and the channels it
//! tells people through. What to tell whom, and in what words, is decided by the pure module
//! `zhibu_core::reminders`; this crate stores and sends it.
//!
//! Code map:
//! - [`settings`]: the SMTP server, the daily time (China Standard Time), lead times, retries; from
//!   a TOML file, flags and environment variables.
//! - [`channels`]: e-mail over SMTP (lettre over rustls), the 企业微信 and 钉钉 group-bot webhooks
//!   (hyper's client over rustls; 钉钉's signed URL), with their JSON message formats.
//! - [`scheduler`]: [`Reminders`] — the day's run (engine → plan → inbox items and deliveries,
//!   idempotent per account × item × day in the database), the sender with exponential back-off,
//!   the start-up check of the channels; [`spawn`] runs both inside `zhibu serve`.
//!
//! The in-app inbox is always on: every reminder is an inbox item, read on `/inbox`; e-mail and
//! group bots are what each person chooses on `/settings/notifications`.
//!
//! This crate sends HTTP requests (webhooks) but serves none: only `zhibu-web` serves HTTP.

pub mod channels;
pub mod scheduler;
pub mod settings;

pub use scheduler::{DeliverReport, NotifyError, PlannedReminder, Reminders, RunReport, spawn};
pub use settings::{NotifySettings, RetryPolicy, SmtpSettings, SmtpTls};
