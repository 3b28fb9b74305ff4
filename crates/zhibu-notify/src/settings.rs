//! How reminders are sent: the SMTP server, the daily time, lead times and retries. Read from a
//! TOML file (`--notify-config`), then overridden by flags and environment variables in the
//! binary. Secrets (the SMTP password) never appear in `Debug` output or logs.

use std::fmt;
use std::time::Duration;

use chrono::NaiveTime;
use serde::Deserialize;
use zhibu_core::reminders::ReminderSettings;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the same host or a test server on loopback).
    None,
    /// STARTTLS, required (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

impl SmtpTls {
    pub fn parse(text: &str) -> Option<SmtpTls> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Some(SmtpTls::None),
            "starttls" => Some(SmtpTls::Starttls),
            "tls" | "smtps" | "wrapper" => Some(SmtpTls::Tls),
            _ => None,
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

/// The SMTP server reminders are sent through.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The sender, `支部提醒 <zhibu@example.org>` or a bare address.
    pub from: String,
}

impl SmtpSettings {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.tls.default_port())
    }
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port())
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish()
    }
}

/// Retries of a failed delivery: the n-th retry waits `first_delay × 2ⁿ⁻¹`, at most `max_delay`;
/// after `max_attempts` attempts the delivery is marked failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub max_attempts: u32,
    /// How long a claimed delivery is held by its sender before another may try it (a sender
    /// that dies mid-send does not hold it for ever).
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(60 * 60),
            max_attempts: 6,
            lease: Duration::from_secs(5 * 60),
        }
    }
}

impl RetryPolicy {
    /// How long to wait after the `attempts`-th failed attempt (1-based); `None` when no attempt
    /// is left.
    pub fn delay_after(&self, attempts: u32) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        let factor = 1u32
            .checked_shl(attempts.saturating_sub(1))
            .unwrap_or(u32::MAX);
        Some(
            self.first_delay
                .checked_mul(factor)
                .unwrap_or(self.max_delay)
                .min(self.max_delay),
        )
    }
}

/// Everything the reminders need to know.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifySettings {
    /// `None`: no e-mail is sent (e-mail deliveries fail with a message saying so).
    pub smtp: Option<SmtpSettings>,
    /// When the daily run happens, in China Standard Time.
    pub daily_at: NaiveTime,
    pub reminders: ReminderSettings,
    pub retry: RetryPolicy,
    /// The address people open Zhibu at (`https://zhibu.example.org`), for links in messages.
    pub public_url: Option<String>,
    /// How long one e-mail or webhook call may take.
    pub send_timeout: Duration,
    /// How often the server looks for deliveries due for a (re)try.
    pub poll_interval: Duration,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            smtp: None,
            daily_at: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            reminders: ReminderSettings::default(),
            retry: RetryPolicy::default(),
            public_url: None,
            send_timeout: Duration::from_secs(15),
            poll_interval: Duration::from_secs(30),
        }
    }
}

/// The configuration file (`--notify-config`), all optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyFile {
    pub smtp: Option<SmtpSettings>,
    /// `HH:MM`, China Standard Time.
    pub daily_at: Option<String>,
    pub public_url: Option<String>,
    pub reminders: Option<ReminderSettings>,
    pub retry: Option<RetryFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryFile {
    pub first_delay_seconds: Option<u64>,
    pub max_delay_seconds: Option<u64>,
    pub max_attempts: Option<u32>,
}

/// A configuration that cannot be used, named by its field, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}：{message_zh} / {field}: {message_en}")]
pub struct SettingsError {
    pub field: String,
    pub message_zh: String,
    pub message_en: String,
}

/// Parses `HH:MM` (China Standard Time).
pub fn parse_daily_at(field: &str, text: &str) -> Result<NaiveTime, SettingsError> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| SettingsError {
        field: field.to_string(),
        message_zh: format!("“{text}”不是时间，请写作 HH:MM（北京时间），如 08:00"),
        message_en: format!("{text:?} is not a time: write HH:MM (China time), e.g. 08:00"),
    })
}

impl NotifySettings {
    /// Reads a configuration file's text over the defaults. Line and column of a TOML error are
    /// in the message.
    pub fn from_toml(text: &str) -> Result<NotifySettings, SettingsError> {
        let file: NotifyFile = toml::from_str(text).map_err(|error| SettingsError {
            field: "notify-config".into(),
            message_zh: format!("配置文件有误：{error}"),
            message_en: format!("the configuration file is not valid: {error}"),
        })?;
        let mut settings = NotifySettings {
            smtp: file.smtp,
            ..NotifySettings::default()
        };
        if let Some(text) = file.daily_at {
            settings.daily_at = parse_daily_at("daily_at", &text)?;
        }
        settings.public_url = file.public_url;
        if let Some(reminders) = file.reminders {
            settings.reminders = reminders;
        }
        if let Some(retry) = file.retry {
            if let Some(seconds) = retry.first_delay_seconds {
                settings.retry.first_delay = Duration::from_secs(seconds);
            }
            if let Some(seconds) = retry.max_delay_seconds {
                settings.retry.max_delay = Duration::from_secs(seconds);
            }
            if let Some(attempts) = retry.max_attempts {
                if attempts == 0 {
                    return Err(SettingsError {
                        field: "retry.max_attempts".into(),
                        message_zh: "至少须尝试1次".into(),
                        message_en: "at least one attempt is needed".into(),
                    });
                }
                settings.retry.max_attempts = attempts;
            }
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_cap_and_stops_after_the_last_attempt() {
        let policy = RetryPolicy {
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(300),
            max_attempts: 5,
            lease: Duration::from_secs(60),
        };
        let delays: Vec<Option<u64>> = (1..=6)
            .map(|attempt| policy.delay_after(attempt).map(|delay| delay.as_secs()))
            .collect();
        assert_eq!(
            delays,
            vec![Some(60), Some(120), Some(240), Some(300), None, None]
        );
    }

    #[test]
    fn a_configuration_file_is_read_and_its_mistakes_are_named() {
        let settings = NotifySettings::from_toml(
            r#"
daily_at = "07:30"
public_url = "https://zhibu.example.org"
[smtp]
host = "smtp.example.org"
tls = "starttls"
username = "zhibu"
password = "secret"
from = "支部提醒 <zhibu@example.org>"
[reminders]
period_end_days = [10, 3]
[retry]
max_attempts = 3
"#,
        )
        .expect("valid");
        assert_eq!(
            settings.daily_at,
            NaiveTime::from_hms_opt(7, 30, 0).expect("time")
        );
        let smtp = settings.smtp.expect("smtp");
        assert_eq!(smtp.port(), 587);
        assert!(!format!("{smtp:?}").contains("secret"));
        assert_eq!(settings.reminders.period_end_days, vec![10, 3]);
        assert_eq!(settings.reminders.term_end_months, vec![6, 1]);
        assert_eq!(settings.retry.max_attempts, 3);

        let error = NotifySettings::from_toml("daily_at = \"8 o'clock\"").expect_err("bad time");
        assert_eq!(error.field, "daily_at");
        let error =
            NotifySettings::from_toml("[smtp]\nhost = \"h\"\ntls = \"ssl3\"\nfrom = \"a@b\"")
                .expect_err("bad tls");
        assert!(error.message_en.contains("line 3"), "{}", error.message_en);
    }
}
