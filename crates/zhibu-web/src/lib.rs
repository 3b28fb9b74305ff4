//! Zhibu's HTTP layer: the JSON API under `/api/v1`, its OpenAPI document and the health check.
//!
//! Architecture invariant: this is the only crate that knows HTTP. Handlers read the request,
//! call the [`Repository`] or the engine, and write the answer; rules live in `zhibu-core`,
//! validation and versioning in `zhibu-storage`. Every error goes through [`ApiError`], the one
//! place that chooses a status code and writes a bilingual body.
//!
//! Code map:
//! - [`areas`]: one module per kind of record, each with its `router()`; the operations they share
//!   are written once in `records`.
//! - `findings`, `catalogue`, `health`: the compliance report, the rule catalogue, `/healthz`.
//! - `extract`: request extractors whose errors name the field at fault.
//! - [`error`]: [`ApiError`] and [`ErrorBody`].
//! - [`auth`]: accounts, sessions, roles scoped to the org tree, CSRF and the audit log. Every
//!   route but sign-in, `/healthz` and the OpenAPI document needs a signed-in [`auth::Principal`].

pub mod areas;
pub mod auth;
pub mod catalogue;
pub mod error;
pub mod extract;
pub mod findings;
pub mod health;
pub mod pages;
pub mod records;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use utoipa::OpenApi;
use zhibu_storage::Repository;

pub use error::{ApiError, ErrorBody};
pub use records::API_PREFIX;

/// How sessions are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSettings {
    /// Mark the session cookie `Secure` (the server is reached over TLS, directly or behind a
    /// proxy): `--secure-cookies` / `ZHIBU_SECURE_COOKIES=1`.
    pub secure_cookies: bool,
    /// How long a session lasts after sign-in.
    pub session_lifetime: chrono::Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        // A working day: long enough not to interrupt a clerk, short enough that a forgotten
        // session on a shared office PC does not last until tomorrow.
        AuthSettings {
            secure_cookies: false,
            session_lifetime: chrono::Duration::hours(10),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub repository: Repository,
    /// Today's date in China Standard Time. The engine never reads the clock; this is where the
    /// date it is given comes from, so tests can fix it. Instants (session expiry, the audit log)
    /// come from the repository's clock.
    pub today: Arc<dyn Fn() -> NaiveDate + Send + Sync>,
    pub auth: AuthSettings,
    /// Failed sign-ins of logins that have no account (see `auth::handlers`).
    pub(crate) unknown_logins: Arc<Mutex<auth::handlers::UnknownLoginFailures>>,
    /// Reminder channels found misconfigured or unreachable (SMTP, group bots), shared with the
    /// scheduler of `zhibu-notify`; shown on `/healthz` and `/admin/deliveries`.
    pub channel_problems: zhibu_storage::notify::ChannelProblems,
    /// The thresholds of the regularity (常态化) facts, above all the late-entry threshold: a
    /// server setting (`zhibu serve --late-entry-days`, default 30), the same for every org, so
    /// that a committee's branches are read alike (issue 7; see ARCHITECTURE.md).
    pub regularity: zhibu_core::regularity::RegularityParameters,
}

impl AppState {
    pub fn new(
        repository: Repository,
        today: Arc<dyn Fn() -> NaiveDate + Send + Sync>,
    ) -> AppState {
        AppState {
            repository,
            today,
            auth: AuthSettings::default(),
            unknown_logins: Arc::new(Mutex::new(auth::handlers::UnknownLoginFailures::default())),
            channel_problems: zhibu_storage::notify::ChannelProblems::default(),
            regularity: zhibu_core::regularity::RegularityParameters::default(),
        }
    }

    /// The thresholds of the regularity facts (`zhibu serve --late-entry-days`).
    pub fn with_regularity(
        mut self,
        regularity: zhibu_core::regularity::RegularityParameters,
    ) -> AppState {
        self.regularity = regularity;
        self
    }

    pub fn with_auth(mut self, auth: AuthSettings) -> AppState {
        self.auth = auth;
        self
    }

    /// Shares the reminder scheduler's channel problems with the pages and `/healthz`.
    pub fn with_channel_problems(
        mut self,
        problems: zhibu_storage::notify::ChannelProblems,
    ) -> AppState {
        self.channel_problems = problems;
        self
    }

    /// A state whose "today" is the current date in China.
    pub fn with_china_today(repository: Repository) -> AppState {
        AppState::new(
            repository,
            Arc::new(|| zhibu_core::calendar::china_date(Utc::now())),
        )
    }

    /// A state whose "today" is always `today`, for tests and demonstrations.
    pub fn with_fixed_today(repository: Repository, today: NaiveDate) -> AppState {
        AppState::new(repository, Arc::new(move || today))
    }
}

/// The whole application: `/healthz`, the API under `/api/v1`, and the sign-in forms.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(areas::router())
        .route("/findings", get(findings::findings))
        .route("/rules", get(catalogue::list_rules))
        .route("/rules/{id}", get(catalogue::read_rule))
        .route(
            "/session",
            get(auth::handlers::read_session)
                .post(auth::handlers::api_sign_in)
                .delete(auth::handlers::api_sign_out),
        )
        .route(
            "/accounts",
            get(auth::handlers::list_accounts).post(auth::handlers::api_create_account),
        )
        .route(
            "/accounts/{id}/reset",
            post(auth::handlers::api_reset_password),
        )
        .route("/audit", get(auth::audit::search))
        .route("/openapi.json", get(openapi_json));
    form_routes()
        .into_router()
        .merge(pages::router())
        .nest(API_PREFIX, api)
        .fallback(no_such_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// The routes outside the API and the pages: the health check and the sign-in and account forms.
fn form_routes() -> auth::routes::RecordingRouter {
    auth::routes::RecordingRouter::new()
        .get("/healthz", health::healthz)
        .get("/login", auth::handlers::login_form)
        .post("/login", auth::handlers::login_submit)
        .post("/logout", auth::handlers::logout)
        .get("/account/password", auth::handlers::password_form)
        .post("/account/password", auth::handlers::password_submit)
        .post(
            "/admin/accounts/{id}/reset",
            auth::handlers::admin_reset_password,
        )
}

/// The method and path of every route served outside the JSON API, as the routers recorded them
/// while being built. A test holds `auth::routes::outside_the_api()` equal to this list.
pub fn served_outside_the_api() -> Vec<(&'static str, &'static str)> {
    let mut served = form_routes().served().to_vec();
    served.extend_from_slice(pages::routes().served());
    served
}

async fn no_such_route() -> ApiError {
    ApiError::NoSuchRoute
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed {
        message_zh: "此地址不支持这种请求方法；请查看 /api/v1/openapi.json。".into(),
        message_en: "This address does not take that method; see /api/v1/openapi.json.".into(),
        allow: None,
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Zhibu API",
        description = "The JSON API of Zhibu, record-keeping and compliance for grassroots Party branches. Every error answers with the same body: a code, a message in Chinese and in English, and the fields at fault. Every route but `POST /session` needs a session: sign in with `POST /api/v1/session` (or the `/login` form) and send the `zhibu_session` cookie; every write also sends the session's CSRF token (from `GET /api/v1/session`) in the `X-CSRF-Token` header. What each role may read and write, and where, is in docs/AUTHORIZATION.md; records outside the account's subtree answer 404."
    ),
    paths(health::healthz)
)]
struct RootApi;

#[derive(OpenApi)]
#[openapi(paths(
    findings::findings,
    catalogue::list_rules,
    catalogue::read_rule,
    auth::handlers::read_session,
    auth::handlers::api_sign_in,
    auth::handlers::api_sign_out,
    auth::handlers::list_accounts,
    auth::handlers::api_create_account,
    auth::handlers::api_reset_password,
    auth::audit::search,
    openapi_json
))]
struct VersionOneApi;

/// The OpenAPI document of the whole service, generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut version_one = VersionOneApi::openapi();
    version_one.merge(areas::openapi());
    RootApi::openapi().nest(API_PREFIX, version_one)
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    operation_id = "openapi",
    summary = "接口说明 / this OpenAPI document",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")),
)]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

/// Serves the application on `listener` until Ctrl-C (or, on Unix, SIGTERM), then lets requests
/// in flight finish.
pub async fn serve(listener: TcpListener, state: AppState) -> io::Result<()> {
    serve_until(listener, state, shutdown_signal()).await
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve_until(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // Connection info gives the audit log the client's address.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            // Without a handler we cannot be asked to stop this way; keep serving rather than stop
            // at once, and say so.
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// The application running on a port of its own, for end-to-end tests.
pub struct RunningApp {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

impl RunningApp {
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The full URL of `path` (which starts with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Stops the server after the requests in flight, and returns how serving ended.
    pub async fn stop(self) -> io::Result<()> {
        // The server may already have stopped on an error, in which case nobody listens; its
        // result is in the task either way.
        let _already_stopped = self.stop.send(());
        match self.task.await {
            Ok(result) => result,
            Err(error) => Err(io::Error::other(error)),
        }
    }
}

/// Starts the application on `127.0.0.1` at a port the system chooses, in the background.
pub async fn spawn(state: AppState) -> io::Result<RunningApp> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        // A dropped sender means the `RunningApp` is gone: stop too.
        let _sent_or_dropped = stopped.await;
    };
    let task = tokio::spawn(serve_until(listener, state, shutdown));
    Ok(RunningApp {
        address,
        stop,
        task,
    })
}
