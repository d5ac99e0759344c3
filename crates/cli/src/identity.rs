//! `agririsk init`, `agririsk user …` and `agririsk apikey …`: the first administrator, users and API keys
//! (`app::identity`), acting on the local store as the operating-system user.
//!
//! Passwords come from a file (`--password-file`, its first line) or the terminal without echo, never from an
//! argument (it would show in the process list and the shell's history) and never a default. Random salts, key
//! ids and secrets come from the operating system here, at the edge.

use std::io::IsTerminal;
use std::path::Path;

use app::ErrorCode;
use app::identity::{KeyView, NewKey, NewUser, UserView};
use domain::{Clock, Timestamp};
use identity::{Actor, Branches, Permission, Role, Username, check_password};

use crate::Place;
use crate::args::{ApiKeyCommand, Format, InitArgs, UserCommand};
use crate::error::CliError;
use crate::table::{Align, Table};
use crate::{SystemClock, emit, print_json, with_store};

/// The operating-system user running the command, as the audit trail names them.
pub fn os_actor() -> Actor {
    let name = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|n| !n.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_owned());
    Actor::Os(name)
}

fn random<const N: usize>() -> Result<[u8; N], CliError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| CliError::internal(format!("the operating system's random source: {e}")))?;
    Ok(bytes)
}

/// The password from `file` (its first line, without the line ending) or, failing that, typed twice at the terminal.
fn read_password(file: Option<&Path>) -> Result<String, CliError> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| CliError::input("password-file", format!("{}: {e}", file.display())))?;
        let first = text.lines().next().unwrap_or_default();
        return Ok(first.to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::input(
            "password-file",
            "no terminal to read the password from: give --password-file FILE",
        ));
    }
    let typed = |prompt: &str| {
        rpassword::prompt_password(prompt).map_err(|e| CliError::input("password", format!("could not be read: {e}")))
    };
    let password = typed("Password: ")?;
    if typed("Password again: ")? != password {
        return Err(CliError::input("password", "the two entries differ"));
    }
    Ok(password)
}

/// The username and password checked before anything is opened, so bad input leaves the data directory as it was.
fn checked(name: &str, password: &str) -> Result<(), CliError> {
    let name = Username::parse(name).map_err(|e| CliError::coded(ErrorCode::InvalidUsername, "username", e))?;
    check_password(&name, password).map_err(|e| CliError::coded(ErrorCode::WeakPassword, "password", e))
}

fn role(text: &str) -> Result<Role, CliError> {
    text.parse().map_err(|e| CliError::input("role", e))
}

fn branches(text: &str) -> Result<Branches, CliError> {
    Branches::parse(text).map_err(|e| CliError::input("branches", e))
}

fn permissions(text: &str) -> Result<Vec<Permission>, CliError> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<Permission>().map_err(|e| CliError::input("only", e)))
        .collect()
}

/// Days until a key expires: 1 to 400.
fn expiry(now: Timestamp, days_text: &str) -> Result<Timestamp, CliError> {
    let max = app::identity::KEY_MAX_DAYS;
    let days: i64 =
        days_text.trim().parse().ok().filter(|d| (1..=max).contains(d)).ok_or_else(|| {
            CliError::input("expires-in-days", format!("must be a whole number of days from 1 to {max}"))
        })?;
    Ok(Timestamp::from_instant(now.instant() + chrono::Duration::days(days)))
}

/// `agririsk init --admin NAME [--display-name TEXT] [--password-file FILE]`.
pub async fn init_command(at: &Place, args: InitArgs) -> Result<(), CliError> {
    Username::parse(&args.admin).map_err(|e| CliError::coded(ErrorCode::InvalidUsername, "admin", e))?;
    let password = read_password(args.password_file.as_deref())?;
    checked(&args.admin, &password)?;
    let salt = random::<16>()?;
    let display_name = args.display_name.unwrap_or_default();
    let admin = with_store(at, async |store| {
        app::identity::init(store, &args.admin, &display_name, &password, &os_actor(), SystemClock.now(), salt).await
    })
    .await?;
    emit(&format!("administrator {} created (all branches)\n", admin.username))
}

/// `agririsk user add|disable|enable|reset|list`.
pub async fn user_command(at: &Place, command: UserCommand) -> Result<(), CliError> {
    match command {
        UserCommand::Add { name, role: role_text, branches: branch_text, display_name, password_file } => {
            // Everything is parsed before the password is asked for and before the store is opened.
            let role = role(&role_text)?;
            let branches = branches(&branch_text)?;
            Username::parse(&name).map_err(|e| CliError::coded(ErrorCode::InvalidUsername, "username", e))?;
            let password = read_password(password_file.as_deref())?;
            checked(&name, &password)?;
            let salt = random::<16>()?;
            let user =
                NewUser { username: name, display_name: display_name.unwrap_or_default(), role, branches, password };
            let added = with_store(at, async |store| {
                app::identity::add_user(store, &user, &os_actor(), SystemClock.now(), salt).await
            })
            .await?;
            emit(&format!("user {} added: {} of {}\n", added.username, added.role, added.branches))
        }
        UserCommand::Disable { name } => {
            with_store(at, async |store| app::identity::disable_user(store, &name, SystemClock.now()).await).await?;
            emit(&format!("user {name} disabled; their sessions are ended\n"))
        }
        UserCommand::Enable { name } => {
            with_store(at, async |store| app::identity::enable_user(store, &name, SystemClock.now()).await).await?;
            emit(&format!("user {name} enabled\n"))
        }
        UserCommand::Reset { name, password_file } => {
            let password = read_password(password_file.as_deref())?;
            checked(&name, &password)?;
            let salt = random::<16>()?;
            with_store(at, async |store| {
                app::identity::reset_password(store, &name, &password, SystemClock.now(), salt).await
            })
            .await?;
            emit(&format!("password of {name} reset; their sessions are ended\n"))
        }
        UserCommand::List { format } => {
            let users = with_store(at, async |store| app::identity::list_users(store).await).await?;
            match format {
                Format::Json => print_json(&users),
                Format::Table => emit(&users_table(&users)),
            }
        }
    }
}

fn users_table(users: &[UserView]) -> String {
    let mut table = Table::new(&[
        ("username", Align::Left),
        ("name", Align::Left),
        ("role", Align::Left),
        ("branches", Align::Left),
        ("enabled", Align::Left),
        ("created", Align::Left),
        ("by", Align::Left),
    ]);
    for u in users {
        table.row(vec![
            u.username.clone(),
            u.display_name.clone(),
            u.role.to_string(),
            u.branches.clone(),
            if u.enabled { "yes" } else { "no" }.to_owned(),
            u.created_at.to_string(),
            u.created_by.clone(),
        ]);
    }
    table.render()
}

/// `agririsk apikey create|revoke|list`.
pub async fn apikey_command(at: &Place, command: ApiKeyCommand) -> Result<(), CliError> {
    match command {
        ApiKeyCommand::Create { name, role: role_text, only, branches: branch_text, expires_in_days } => {
            let now = SystemClock.now();
            let key = NewKey {
                name,
                role: role(&role_text)?,
                only: only.as_deref().map(permissions).transpose()?.unwrap_or_default(),
                branches: branches(&branch_text)?,
                expires_at: expiry(now, &expires_in_days)?,
            };
            let (id_bytes, secret) = (random::<6>()?, random::<32>()?);
            let created = with_store(at, async |store| {
                app::identity::create_key(store, &key, &os_actor(), now, id_bytes, secret).await
            })
            .await?;
            eprintln!("api key {} created; the token below is shown this once: keep it now", created.id);
            emit(&format!("{}\n", created.token))
        }
        ApiKeyCommand::Revoke { id } => {
            with_store(at, async |store| app::identity::revoke_key(store, &id, SystemClock.now()).await).await?;
            emit(&format!("api key {id} revoked\n"))
        }
        ApiKeyCommand::List { format } => {
            let keys = with_store(at, async |store| app::identity::list_keys(store).await).await?;
            match format {
                Format::Json => print_json(&keys),
                Format::Table => emit(&keys_table(&keys)),
            }
        }
    }
}

fn keys_table(keys: &[KeyView]) -> String {
    let mut table = Table::new(&[
        ("id", Align::Left),
        ("name", Align::Left),
        ("role", Align::Left),
        ("only", Align::Left),
        ("branches", Align::Left),
        ("expires", Align::Left),
        ("revoked", Align::Left),
        ("last used", Align::Left),
    ]);
    let when = |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.to_string());
    for k in keys {
        let only: Vec<&str> = k.only.iter().map(|p| p.code()).collect();
        table.row(vec![
            k.id.clone(),
            k.name.clone(),
            k.role.to_string(),
            if only.is_empty() { "(whole role)".to_owned() } else { only.join(",") },
            k.branches.clone(),
            k.expires_at.to_string(),
            when(k.revoked_at),
            when(k.last_used_at),
        ]);
    }
    table.render()
}
