//! The channels besides the inbox: e-mail over SMTP (lettre, rustls) and the 企业微信 and 钉钉
//! group-bot webhooks (hyper's client, rustls). Each send either succeeds or returns the reason in
//! words an administrator can act on; nothing here panics or retries (the scheduler retries).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::settings::{SmtpSettings, SmtpTls};

/// What is sent: the words of one inbox item, for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The person told (group messages name them).
    pub recipient_name: String,
    pub subject_zh: String,
    pub subject_en: String,
    pub body_zh: String,
    pub body_en: String,
    /// The full link to the page, when the server's public address is configured.
    pub link: Option<String>,
}

impl Outgoing {
    /// The e-mail subject: Chinese first, English second.
    pub fn email_subject(&self) -> String {
        format!("{} / {}", self.subject_zh, self.subject_en)
    }

    /// The e-mail body: the Chinese text, then the English.
    pub fn email_body(&self) -> String {
        let link = self
            .link
            .as_ref()
            .map(|link| format!("\n{link}\n"))
            .unwrap_or_default();
        format!(
            "{}同志：\n\n{}\n{link}\n—— English ——\n\nDear {},\n\n{}\n{link}",
            self.recipient_name, self.body_zh, self.recipient_name, self.body_en
        )
    }

    /// Markdown for the group bots (both accept a small Markdown subset).
    fn markdown(&self) -> String {
        let link = self
            .link
            .as_ref()
            .map(|link| format!("\n\n[打开 / open]({link})"))
            .unwrap_or_default();
        let text = format!(
            "**{}**\n\n致 {}：\n\n{}\n\n{}{link}",
            self.subject_zh,
            self.recipient_name,
            self.body_zh.replace('\n', "\n\n"),
            self.subject_en,
        );
        // 企业微信 takes at most 4096 bytes of Markdown, 钉钉 a little more: cut on a character
        // boundary, never in the middle of one.
        truncate_bytes(&text, 4000)
    }
}

fn truncate_bytes(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Sends e-mail through one SMTP server, over a pooled connection.
#[derive(Clone)]
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl EmailChannel {
    /// Builds the transport (no connection yet). Must be called inside the Tokio runtime.
    pub fn new(settings: &SmtpSettings, timeout: Duration) -> Result<EmailChannel, String> {
        let from: Mailbox = settings.from.parse().map_err(|error| {
            format!(
                "发件人地址“{}”无效 / the sender address {:?} is not valid: {error}",
                settings.from, settings.from
            )
        })?;
        if settings.host.trim().is_empty() {
            return Err("未填写SMTP服务器 / the SMTP host is empty".into());
        }
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.trim())
                .port(settings.port())
                .timeout(Some(timeout));
        let tls = || {
            TlsParameters::new(settings.host.trim().to_string()).map_err(|error| {
                format!(
                    "TLS设置有误 / cannot set up TLS for {}: {error}",
                    settings.host
                )
            })
        };
        builder = match settings.tls {
            SmtpTls::None => builder.tls(Tls::None),
            SmtpTls::Starttls => builder.tls(Tls::Required(tls()?)),
            SmtpTls::Tls => builder.tls(Tls::Wrapper(tls()?)),
        };
        if let Some(username) = &settings.username {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                settings.password.clone().unwrap_or_default(),
            ));
        }
        Ok(EmailChannel {
            transport: builder.build(),
            from,
        })
    }

    /// Connects and says hello, without sending anything: the start-up check.
    pub async fn check(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("SMTP服务器未应答 / the SMTP server did not answer".into()),
            Err(error) => Err(format!(
                "无法连接SMTP服务器 / cannot reach the SMTP server: {error}"
            )),
        }
    }

    pub async fn send(&self, to: &str, message: &Outgoing) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|error| {
            format!("收件地址“{to}”无效 / the address {to:?} is not valid: {error}")
        })?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.email_subject())
            .header(ContentType::TEXT_PLAIN)
            .body(message.email_body())
            .map_err(|error| format!("邮件无法生成 / cannot build the e-mail: {error}"))?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|error| format!("SMTP发送失败 / SMTP refused or failed: {error}"))
    }
}

/// The JSON a 企业微信 group bot takes: a Markdown message.
pub fn wecom_payload(message: &Outgoing) -> Value {
    json!({ "msgtype": "markdown", "markdown": { "content": message.markdown() } })
}

/// The JSON a 钉钉 group bot takes: a Markdown message with its title.
pub fn dingtalk_payload(message: &Outgoing) -> Value {
    json!({
        "msgtype": "markdown",
        "markdown": { "title": message.subject_zh, "text": message.markdown() }
    })
}

/// 钉钉's signature: HMAC-SHA256 over `timestamp + "\n" + secret` keyed with the secret, in
/// Base64 (not yet URL-encoded).
pub fn dingtalk_signature(timestamp_ms: i64, secret: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

/// The signed URL 钉钉 wants: the webhook with `&timestamp=…&sign=…` (the signature URL-encoded).
pub fn dingtalk_signed_url(webhook_url: &str, secret: &str, timestamp_ms: i64) -> String {
    let signature: String =
        form_urlencoded::byte_serialize(dingtalk_signature(timestamp_ms, secret).as_bytes())
            .collect();
    let separator = if webhook_url.contains('?') { '&' } else { '?' };
    format!("{webhook_url}{separator}timestamp={timestamp_ms}&sign={signature}")
}

/// Why a webhook URL cannot be used, or `None` when it can: `http` or `https` with a host.
pub fn webhook_url_problem(url: &str) -> Option<(String, String)> {
    let Ok(uri) = url.trim().parse::<hyper::Uri>() else {
        return Some((
            format!("“{url}”不是有效的网址"),
            format!("{url:?} is not a valid URL"),
        ));
    };
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => None,
        (Some("http" | "https"), _) => Some((
            format!("网址“{url}”缺少主机名"),
            format!("the URL {url:?} has no host"),
        )),
        _ => Some((
            format!("网址“{url}”须以 https:// 或 http:// 开头"),
            format!("the URL {url:?} must start with https:// or http://"),
        )),
    }
}

/// Posts JSON to group-bot webhooks over HTTP or HTTPS (rustls, bundled web PKI roots).
#[derive(Clone)]
pub struct WebhookClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl WebhookClient {
    pub fn new(timeout: Duration) -> Result<WebhookClient, String> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|error| format!("TLS设置有误 / cannot set up TLS: {error}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(WebhookClient {
            client: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
        })
    }

    /// Posts `payload` and checks the answer: HTTP 2xx and, as both bots answer, `errcode` 0.
    pub async fn post(&self, url: &str, payload: &Value) -> Result<(), String> {
        if let Some((_, english)) = webhook_url_problem(url) {
            return Err(english);
        }
        let request = hyper::Request::post(url.trim())
            .header(
                hyper::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(Full::new(Bytes::from(payload.to_string())))
            .map_err(|error| format!("请求无法生成 / cannot build the request: {error}"))?;
        let call = async {
            let response =
                self.client.request(request).await.map_err(|error| {
                    format!("无法连接 / cannot connect: {}", error_chain(&error))
                })?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|error| format!("读取应答失败 / cannot read the answer: {error}"))?
                .to_bytes();
            Ok::<_, String>((status, body))
        };
        let (status, body) = tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| {
                format!(
                    "{} 秒内无应答 / no answer within {} s",
                    self.timeout.as_secs(),
                    self.timeout.as_secs()
                )
            })??;
        let text = String::from_utf8_lossy(&body);
        if !status.is_success() {
            return Err(format!("HTTP {status}: {}", truncate_bytes(&text, 300)));
        }
        // Both bots answer 200 with {"errcode":0,"errmsg":"ok"}; another code is a refusal (a
        // bad key, a bad signature, a keyword the bot requires).
        match serde_json::from_slice::<Value>(&body) {
            Ok(answer) => match answer.get("errcode").and_then(Value::as_i64) {
                Some(0) | None => Ok(()),
                Some(code) => Err(format!(
                    "机器人拒绝了消息 / the bot refused the message: errcode {code}, {}",
                    answer.get("errmsg").and_then(Value::as_str).unwrap_or("")
                )),
            },
            Err(_) => Ok(()),
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dingtalk_signature_matches_the_documented_recipe() {
        // Recomputed by hand with the same recipe: HMAC-SHA256("1700000000000\nSECabc") keyed
        // with "SECabc", Base64. The URL form escapes '+', '/' and '='.
        let signature = dingtalk_signature(1_700_000_000_000, "SECabc");
        assert_eq!(BASE64.decode(&signature).expect("base64").len(), 32);
        let url = dingtalk_signed_url(
            "https://oapi.dingtalk.com/robot/send?access_token=t",
            "SECabc",
            1_700_000_000_000,
        );
        let encoded: String = form_urlencoded::byte_serialize(signature.as_bytes()).collect();
        assert_eq!(
            url,
            format!(
                "https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign={encoded}"
            )
        );
        assert!(!encoded.contains('+') && !encoded.contains('/') && !encoded.contains('='));
    }

    #[test]
    fn webhook_urls_are_checked_before_use() {
        assert!(
            webhook_url_problem("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k").is_none()
        );
        assert!(webhook_url_problem("ftp://example.org/x").is_some());
        assert!(webhook_url_problem("not a url").is_some());
        assert!(webhook_url_problem("https://").is_some());
    }

    #[test]
    fn long_markdown_is_cut_on_a_character_boundary() {
        let text = "党".repeat(2000);
        let cut = truncate_bytes(&text, 4000);
        assert!(cut.len() <= 4003 + 3);
        assert!(cut.ends_with('…'));
    }
}
