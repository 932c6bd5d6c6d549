//! `inkstone`: the publishing server and its administration commands.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use inkstone_core::accounts::{TokenRequest, UserInput};
use inkstone_core::apikeys::ApiKeyRequest;
use inkstone_core::model::{ItemStatus, Role};
use inkstone_core::permission::Actor;
use inkstone_core::permission::{DeleteGrant, KeyGrant};
use inkstone_core::ports::SystemClock;
use inkstone_core::{Core, settings};
use inkstone_db_sqlite::SqliteStore;
use inkstone_http::AppState;
use inkstone_server::config::Config;
use inkstone_server::import::{ImportOptions, import_markdown};
use tokio_util::sync::CancellationToken;

/// Inkstone: a self-hosted publishing server.
///
/// Configuration is read from, in order of precedence: command-line flags, environment
/// variables (INKSTONE_DATA_DIR, INKSTONE_LISTEN, INKSTONE_DATABASE_URL), the TOML file
/// given with --config (keys data_dir, listen, database_url, secure_cookies), and defaults
/// (./inkstone-data, 127.0.0.1:8080, SQLite file inkstone.db in the data directory).
/// Every command works while a server runs on the same data directory.
#[derive(Parser)]
#[command(name = "inkstone", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct GlobalArgs {
    /// Directory for the database and other data.
    #[arg(long, global = true, env = "INKSTONE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// TOML config file.
    #[arg(long, global = true, env = "INKSTONE_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL (sqlite:PATH); default: inkstone.db in the data directory.
    #[arg(long, global = true, env = "INKSTONE_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server until SIGINT or SIGTERM.
    ///
    /// On first start with no users, creates an admin: INKSTONE_ADMIN_USERNAME and
    /// INKSTONE_ADMIN_PASSWORD if both are set, otherwise `admin` with a one-time password
    /// printed to stderr.
    Serve {
        /// Address to listen on, HOST:PORT.
        #[arg(long, env = "INKSTONE_LISTEN")]
        listen: Option<String>,
        /// Milliseconds anonymous reads may be served from memory (0 turns the cache off);
        /// default 1000. Changes made through this server show at once; changes made by
        /// other processes within this time.
        #[arg(long, env = "INKSTONE_RESPONSE_CACHE_TTL_MS")]
        response_cache_ttl_ms: Option<u64>,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage personal access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage API keys: site integration credentials with ulthon's permission flags, also
    /// accepted as emlog `api_key` / signature key, Qexo `token` and Flarum `Token`.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Import content from other blog engines.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Read and change site settings (a running server applies changes within 2 s).
    #[command(subcommand)]
    Settings(SettingsCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. Without --password-stdin a password is generated and printed.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// admin, editor, author, contributor or subscriber.
        #[arg(long, default_value = "author")]
        role: String,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a personal access token; prints only the token (pat_...) on stdout.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// Days until it expires (1-3650); never when absent.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create an API key; prints only the key (isk_...) on stdout. Without flags the key
    /// may only read.
    Create {
        #[arg(long)]
        name: String,
        /// The user the key acts as; without it, the site's first active admin.
        #[arg(long)]
        username: Option<String>,
        /// 1: may create items and edit those created through API keys (origin `api`).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
        can_write_own: u8,
        /// 1: may edit items created otherwise (console, import).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
        can_write_other: u8,
        /// 0: may not delete; 1: may delete items created through API keys; 2: may delete all.
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
        can_delete: u8,
        /// Accept the key only from this address or CIDR range (repeatable).
        #[arg(long = "allow-ip")]
        allowed_ips: Vec<String>,
    },
    /// List API keys (never their secrets).
    List,
    /// Delete an API key by id.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import a directory of Markdown files (Hexo, Hugo, Jekyll, Zola, VitePress...).
    /// Re-importing the same directory updates the posts instead of duplicating them.
    Markdown {
        dir: PathBuf,
        /// Status of posts that are not marked as drafts: published or draft.
        #[arg(long, default_value = "published")]
        status: String,
        /// Username of the author; the first admin when absent.
        #[arg(long)]
        author: Option<String>,
    },
}

#[derive(Subcommand)]
enum SettingsCommand {
    /// Print every setting as KEY=VALUE.
    List,
    /// Print one setting's value.
    Get { key: String },
    /// Change a setting (validated).
    Set { key: String, value: String },
}

async fn open_core(config: &Config) -> anyhow::Result<(Arc<Core>, SqliteStore)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    let store = match &config.database_url {
        Some(url) => SqliteStore::open_url(url).await,
        None => SqliteStore::open(&config.database_path()).await,
    }
    .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    let services = inkstone_server::services_from_config(config).await?;
    let core = Core::new(Arc::new(store.clone()), Arc::new(SystemClock), services)
        .await
        .map_err(|e| anyhow::anyhow!("cannot load settings: {e}"))?;
    Ok((Arc::new(core), store))
}

async fn shutdown_signal(stop: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
    stop.cancel();
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let (core, store) = open_core(&config).await?;
    let admin_username = std::env::var("INKSTONE_ADMIN_USERNAME").ok().filter(|v| !v.is_empty());
    let admin_password = std::env::var("INKSTONE_ADMIN_PASSWORD").ok().filter(|v| !v.is_empty());
    if let Some(admin) = core
        .ensure_initial_admin(admin_username, admin_password)
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the first admin: {e}"))?
    {
        match admin.generated_password {
            Some(password) => eprintln!(
                "Created admin user `{}` with one-time setup password: {password}\n\
                 Sign in and create a token, or set INKSTONE_ADMIN_USERNAME/INKSTONE_ADMIN_PASSWORD next time.",
                admin.username
            ),
            None => eprintln!("Created admin user `{}`.", admin.username),
        }
    }
    let mut state = AppState::new(core.clone());
    let storage = config.media_storage.operator().map_err(|e| anyhow::anyhow!(e))?;
    let limits = inkstone_media::MediaLimits {
        max_upload_bytes: config.media_max_upload_bytes,
        ..inkstone_media::MediaLimits::default()
    };
    state.media = inkstone_media::MediaService::new(core.clone(), storage, limits);
    state.secure_cookies = config.secure_cookies;
    if !config.response_cache_ttl.is_zero() {
        state.response_cache = Some(inkstone_http::cache::ResponseCache::new(config.response_cache_ttl));
    }
    let theme_dir = config.data_dir.join("theme");
    let site = inkstone_site::Site::with_theme_dir(theme_dir.clone())
        .map_err(|e| anyhow::anyhow!("cannot load the theme in {}: {e}", theme_dir.display()))?;
    let app = inkstone_server::app_with_site(state, std::sync::Arc::new(site));
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let stop = CancellationToken::new();
    let jobs = tokio::spawn(inkstone_server::run_jobs(core.clone(), stop.clone()));
    let webhooks = tokio::spawn(inkstone_server::webhooks::run_webhook_worker(core.clone(), stop.clone()));
    eprintln!("Inkstone listening on http://{}", listener.local_addr()?);
    let shutdown = shutdown_signal(stop.clone());
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .context("server error")?;
    stop.cancel();
    let _ = jobs.await;
    // Attempts under way finish (each within its 10 s timeout); nothing new is claimed.
    let _ = webhooks.await;
    store.close().await;
    eprintln!("Inkstone stopped cleanly.");
    Ok(())
}

fn core_error(err: inkstone_core::CoreError) -> anyhow::Error {
    anyhow::anyhow!("{err}")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let (listen, cache_ttl) = match &cli.command {
        Command::Serve { listen, response_cache_ttl_ms } => (listen.clone(), *response_cache_ttl_ms),
        _ => (None, None),
    };
    let config = Config::resolve(
        cli.global.data_dir,
        listen,
        cli.global.database_url,
        cache_ttl,
        cli.global.config.as_deref(),
    )?;
    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::User(UserCommand::Create { username, email, role, password_stdin }) => {
            let role = Role::parse(&role).with_context(|| format!("unknown role `{role}`"))?;
            let (password, generated) = if password_stdin {
                let mut input = String::new();
                std::io::stdin().read_to_string(&mut input)?;
                (input.lines().next().unwrap_or("").to_string(), false)
            } else {
                (inkstone_core::secrets::new_password(), true)
            };
            let (core, store) = open_core(&config).await?;
            let user = core
                .create_user(
                    &Actor::System,
                    UserInput { username, email, display_name: None, role, password: password.clone() },
                )
                .await
                .map_err(core_error)?;
            store.close().await;
            eprintln!("Created {} `{}` (id {}).", user.role, user.username, user.id);
            if generated {
                println!("{password}");
            }
            Ok(())
        }
        Command::Token(TokenCommand::Create { username, name, expires_in_days }) => {
            let (core, store) = open_core(&config).await?;
            let user =
                core.user_by_login(&username).await.map_err(|_| anyhow::anyhow!("no user `{username}`"))?;
            let request = TokenRequest { expires_in_days, ..TokenRequest::personal(user.id, name) };
            let (_, secret) = core.create_token(&Actor::System, request).await.map_err(core_error)?;
            store.close().await;
            println!("{secret}");
            Ok(())
        }
        Command::ApiKey(command) => {
            let (core, store) = open_core(&config).await?;
            match command {
                ApiKeyCommand::Create {
                    name,
                    username,
                    can_write_own,
                    can_write_other,
                    can_delete,
                    allowed_ips,
                } => {
                    let user_id = match username {
                        Some(name) => Some(
                            core.user_by_login(&name)
                                .await
                                .map_err(|_| anyhow::anyhow!("no user `{name}`"))?
                                .id,
                        ),
                        None => None,
                    };
                    let grant = KeyGrant {
                        can_write_own: can_write_own == 1,
                        can_write_other: can_write_other == 1,
                        can_delete: DeleteGrant::from_level(can_delete).unwrap_or_default(),
                    };
                    let request = ApiKeyRequest { name, user_id, grant, allowed_ips };
                    let (key, secret) =
                        core.create_api_key(&Actor::System, request).await.map_err(core_error)?;
                    eprintln!(
                        "Created API key {} `{}` (can_write_own={}, can_write_other={}, can_delete={}).",
                        key.id,
                        key.name,
                        u8::from(key.grant.can_write_own),
                        u8::from(key.grant.can_write_other),
                        key.grant.can_delete.level()
                    );
                    println!("{secret}");
                }
                ApiKeyCommand::List => {
                    for key in core.api_keys(&Actor::System).await.map_err(core_error)? {
                        println!(
                            "{}\t{}...\t{}\tuser={}\tcan_write_own={} can_write_other={} can_delete={}\t{}",
                            key.id,
                            key.prefix,
                            key.name,
                            key.user_id.map_or_else(|| "-".to_string(), |id| id.to_string()),
                            u8::from(key.grant.can_write_own),
                            u8::from(key.grant.can_write_other),
                            key.grant.can_delete.level(),
                            if key.enabled { "enabled" } else { "disabled" },
                        );
                    }
                }
                ApiKeyCommand::Revoke { id } => {
                    core.revoke_api_key(&Actor::System, id).await.map_err(core_error)?;
                    eprintln!("Revoked API key {id}.");
                }
            }
            store.close().await;
            Ok(())
        }
        Command::Import(ImportCommand::Markdown { dir, status, author }) => {
            let status = match status.as_str() {
                "published" => ItemStatus::Published,
                "draft" => ItemStatus::Draft,
                other => bail!("--status must be published or draft, not `{other}`"),
            };
            if !dir.is_dir() {
                bail!("{} is not a directory", dir.display());
            }
            let (core, store) = open_core(&config).await?;
            let author = match author {
                Some(name) => {
                    core.user_by_login(&name).await.map_err(|_| anyhow::anyhow!("no user `{name}`"))?
                }
                None => core.first_admin().await.map_err(|_| {
                    anyhow::anyhow!("no admin exists yet: start the server once or pass --author")
                })?,
            };
            let bar = indicatif::ProgressBar::new(0);
            if !std::io::stderr().is_terminal() {
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let options = ImportOptions { status, author_id: author.id };
            let report = import_markdown(&core, &dir, &options, |path, done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(path.to_string());
            })
            .await
            .map_err(core_error)?;
            bar.finish_and_clear();
            store.close().await;
            println!("{}", report.summary());
            Ok(())
        }
        Command::Settings(command) => {
            let (core, store) = open_core(&config).await?;
            match command {
                SettingsCommand::List => {
                    for (key, value) in core.settings().iter() {
                        println!("{key}={value}");
                    }
                }
                SettingsCommand::Get { key } => {
                    if settings::definition(&key).is_none() {
                        settings::validate(&key, "").map_err(core_error)?;
                    }
                    println!("{}", core.settings().get(&key).unwrap_or_default());
                }
                SettingsCommand::Set { key, value } => {
                    let value = core.set_setting(&Actor::System, &key, &value).await.map_err(core_error)?;
                    eprintln!("{key}={value}");
                }
            }
            store.close().await;
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("INKSTONE_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
