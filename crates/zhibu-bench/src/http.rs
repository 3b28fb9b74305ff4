//! A small closed-loop HTTP load generator: each client keeps one HTTP/1.1 connection and sends
//! its next request as soon as the previous answer has been read in full, for a fixed time.
//! Latency is measured from sending the request to the last byte of the body.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// What a load run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Latencies of the successful requests, sorted.
    pub latencies: Vec<Duration>,
    pub errors: u64,
    /// The first error seen, to say what went wrong.
    pub first_error: Option<String>,
    pub bytes: u64,
    pub elapsed: Duration,
}

impl LoadReport {
    pub fn requests(&self) -> u64 {
        self.latencies.len() as u64
    }

    pub fn throughput(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at `share` (0.5 for the median) of the sorted list.
    pub fn percentile(&self, share: f64) -> Duration {
        percentile(&self.latencies, share)
    }
}

/// The value at `share` of a sorted list (nearest rank); zero for an empty list.
pub fn percentile(sorted: &[Duration], share: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (share * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A connection to the server under test.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    pub async fn open(address: SocketAddr) -> Result<Connection, String> {
        let stream = TcpStream::connect(address)
            .await
            .map_err(|error| format!("connect to {address}: {error}"))?;
        stream
            .set_nodelay(true)
            .map_err(|error| format!("TCP_NODELAY: {error}"))?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| format!("HTTP handshake: {error}"))?;
        tokio::spawn(async move {
            // The connection ends when the client drops its sender; an error here is seen by the
            // request that was in flight.
            let _ended = connection.await;
        });
        Ok(Connection {
            sender,
            host: address.to_string(),
        })
    }

    /// Sends one request and reads the whole answer: status, headers and body.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        json: Option<String>,
    ) -> Result<(StatusCode, hyper::HeaderMap, Bytes), String> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.host.as_str());
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let body = match json {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(json))
            }
            None => Full::new(Bytes::new()),
        };
        let request = request
            .body(body)
            .map_err(|error| format!("build the request: {error}"))?;
        self.sender
            .ready()
            .await
            .map_err(|error| format!("connection not ready: {error}"))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|error| format!("{method} {path}: {error}"))?;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map_err(|error| format!("{method} {path}: body: {error}"))?
            .to_bytes();
        Ok((parts.status, parts.headers, bytes))
    }
}

/// Signs in through the JSON API and returns the session cookie (`name=value`).
pub async fn sign_in(address: SocketAddr, login: &str, password: &str) -> Result<String, String> {
    let mut connection = Connection::open(address).await?;
    let body = serde_json::json!({ "login": login, "password": password }).to_string();
    let (status, headers, answer) = connection
        .send("POST", "/api/v1/session", None, Some(body))
        .await?;
    if status != StatusCode::OK {
        return Err(format!(
            "sign-in answered {status}: {}",
            String::from_utf8_lossy(&answer)
        ));
    }
    let cookie = headers
        .get(header::SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .ok_or("sign-in set no cookie")?;
    Ok(cookie.to_string())
}

/// Runs `clients` clients for `duration`; client `c` sends its `n`-th request to `pick(c, n)`.
pub async fn drive(
    address: SocketAddr,
    cookie: &str,
    clients: usize,
    duration: Duration,
    pick: Arc<dyn Fn(usize, u64) -> String + Send + Sync>,
) -> LoadReport {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let cookie = cookie.to_string();
        let pick = pick.clone();
        tasks.push(tokio::spawn(async move {
            let mut report = LoadReport::default();
            let mut connection = match Connection::open(address).await {
                Ok(connection) => connection,
                Err(error) => {
                    report.errors += 1;
                    report.first_error = Some(error);
                    return report;
                }
            };
            let mut sent = 0_u64;
            while Instant::now() < deadline {
                let path = pick(client, sent);
                sent += 1;
                let begun = Instant::now();
                match connection.send("GET", &path, Some(&cookie), None).await {
                    Ok((StatusCode::OK, _, body)) => {
                        report.latencies.push(begun.elapsed());
                        report.bytes += body.len() as u64;
                    }
                    Ok((status, _, body)) => {
                        report.errors += 1;
                        report.first_error.get_or_insert_with(|| {
                            format!(
                                "GET {path} answered {status}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(300)])
                            )
                        });
                    }
                    Err(error) => {
                        report.errors += 1;
                        report.first_error.get_or_insert(error);
                        match Connection::open(address).await {
                            Ok(fresh) => connection = fresh,
                            Err(_) => break,
                        }
                    }
                }
            }
            report
        }));
    }
    let mut total = LoadReport::default();
    for task in tasks {
        match task.await {
            Ok(report) => {
                total.latencies.extend(report.latencies);
                total.errors += report.errors;
                total.bytes += report.bytes;
                if total.first_error.is_none() {
                    total.first_error = report.first_error;
                }
            }
            Err(error) => {
                total.errors += 1;
                total
                    .first_error
                    .get_or_insert_with(|| format!("a client task failed: {error}"));
            }
        }
    }
    total.elapsed = started.elapsed();
    total.latencies.sort();
    total
}
