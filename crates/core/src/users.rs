//! People: registration (open, closed or by invitation), invitations, profiles, password
//! change and reset by e-mailed code, and account administration (roles, disabling).

use std::net::IpAddr;

use chrono::Duration;
use rand::Rng;
use serde_json::json;

use crate::abuse::{CaptchaAnswer, ip_subject, limits};
use crate::accounts::{check_email, check_username, hash_password};
use crate::audit::{AuditFacts, events};
use crate::content::check_url;
use crate::error::{CoreError, CoreResult, ErrorCode};
use crate::locale::Locale;
use crate::model::{RegistrationMode, Role, User, UserStatus};
use crate::permission::{Action, Actor, Resource, authorize};
use crate::ports::{Invite, NewInvite, NewUser, OutgoingMail, PasswordReset, UserPatch, UserQuery};
use crate::{Core, secrets};

/// How long an e-mailed password reset code works.
pub const RESET_CODE_LIFETIME: Duration = Duration::minutes(30);
/// Wrong codes allowed before a reset must be requested again.
pub const RESET_CODE_ATTEMPTS: i64 = 5;
/// Default lifetime of an invitation.
pub const DEFAULT_INVITE_DAYS: i64 = 7;
/// Largest page of users.
pub const MAX_USERS_PAGE: i64 = 100;

/// A sign-up request.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    /// Required when `auth.registration` is `invite`; optional when `open` (then its role
    /// applies).
    pub invite: Option<String>,
    pub captcha: CaptchaAnswer,
}

/// Changes people make to their own profile; `None` leaves a field as it is, an empty
/// string clears `avatar` and `bio`.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub avatar: Option<String>,
    pub bio: Option<String>,
}

/// Changes an admin makes to an account: the profile fields plus role and status.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    pub profile: ProfilePatch,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

fn check_display_name(name: &str) -> CoreResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(CoreError::invalid("display_name", "needs 1 to 64 characters", "需要 1 到 64 个字符"));
    }
    Ok(name.to_string())
}

fn profile_patch(patch: ProfilePatch) -> CoreResult<UserPatch> {
    let bio = match patch.bio {
        Some(bio) if bio.chars().count() > 2000 => {
            return Err(CoreError::invalid("bio", "at most 2000 characters", "最多 2000 个字符"));
        }
        Some(bio) => Some(Some(bio.trim().to_string()).filter(|b| !b.is_empty())),
        None => None,
    };
    Ok(UserPatch {
        email: patch.email.as_deref().map(check_email).transpose()?,
        display_name: patch.display_name.as_deref().map(check_display_name).transpose()?,
        avatar: match patch.avatar {
            Some(avatar) => Some(check_url("avatar", Some(avatar))?),
            None => None,
        },
        bio,
        role: None,
        status: None,
    })
}

fn reset_code() -> String {
    let mut rng = rand::thread_rng();
    (0..8).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

fn reset_code_hash(user_id: i64, code: &str) -> String {
    secrets::digest(&format!("{user_id}:{}", code.trim()))
}

fn reset_failed() -> CoreError {
    CoreError::invalid("code", "the code is wrong or has expired", "验证码错误或已过期")
}

impl Core {
    /// Creates an account for a visitor, as the `auth.registration` setting allows.
    ///
    /// Errors: `forbidden` when registration is closed (or needs an invitation that was
    /// not given); `rate_limited` (5 an hour per address); `captcha_failed` when
    /// `auth.registration_captcha` is on; `invalid_input` (fields, a bad invitation);
    /// `conflict` (username or e-mail taken).
    pub async fn register(&self, input: Registration, client: Option<IpAddr>) -> CoreResult<User> {
        let settings = self.settings();
        let mode = settings.registration();
        let invite = input.invite.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if mode == RegistrationMode::Closed || (mode == RegistrationMode::Invite && invite.is_none()) {
            let (en, zh) = if mode == RegistrationMode::Closed {
                ("registration is closed", "本站已关闭注册")
            } else {
                ("registration needs an invitation code", "注册需要邀请码")
            };
            return Err(CoreError::forbidden().with_detail(en, zh));
        }
        if let Some(ip) = client {
            self.rate_limit(&limits::REGISTRATIONS_PER_IP, &ip_subject(ip)).await?;
        }
        if settings.registration_captcha() {
            self.verify_captcha(&input.captcha, client).await?;
        }
        let username = check_username(&input.username)?;
        let email = check_email(&input.email)?;
        secrets::check_new_password(&input.password)?;
        let display_name = match input.display_name.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(name) => check_display_name(name)?,
            None => username.clone(),
        };
        let invite = match invite {
            Some(code) => match self.repo.invite_by_hash(&secrets::digest(code)).await? {
                Some(invite) if invite.used_at.is_none() && invite.expires_at > self.now() => Some(invite),
                _ => {
                    return Err(CoreError::invalid(
                        "invite",
                        "the invitation code is unknown, used or expired",
                        "邀请码无效、已使用或已过期",
                    ));
                }
            },
            None => None,
        };
        let user = NewUser {
            username,
            email,
            display_name,
            role: invite.as_ref().map_or(settings.default_role(), |i| i.role),
            status: UserStatus::Active,
            password_hash: hash_password(input.password).await?,
            created_at: self.now(),
        };
        let user = match &invite {
            Some(invite) => self.repo.insert_invited_user(user, &invite.code_hash).await?,
            None => self.repo.insert_user(user).await?,
        };
        let facts = AuditFacts::default().user(user.id).ip(client).target(format!("user:{}", user.id)).detail(
            json!({ "username": user.username, "role": user.role.as_str(), "invite": invite.map(|i| i.id) }),
        );
        self.audit(events::USER_REGISTERED, facts).await;
        Ok(user)
    }

    /// Makes an invitation code for `role` (not admin), valid for `expires_in_days`
    /// (1..=90, default 7). Returns it with the code, shown only now.
    ///
    /// Errors: `invalid_input`, permission (admins only).
    pub async fn create_invite(
        &self,
        actor: &Actor,
        role: Option<Role>,
        expires_in_days: Option<i64>,
    ) -> CoreResult<(Invite, String)> {
        self.require(actor, Action::ManageUsers, Resource::Site).await?;
        let role = role.unwrap_or(self.settings().default_role());
        if role == Role::Admin {
            return Err(CoreError::invalid("role", "admins cannot be invited", "不能邀请管理员"));
        }
        let days = expires_in_days.unwrap_or(DEFAULT_INVITE_DAYS);
        if !(1..=90).contains(&days) {
            return Err(CoreError::invalid("expires_in_days", "must be from 1 to 90", "必须在 1 到 90 之间"));
        }
        let code = secrets::new_secret("inv_");
        let now = self.now();
        let invite = self
            .repo
            .insert_invite(NewInvite {
                code_hash: secrets::digest(&code),
                role,
                created_by: actor.user_id(),
                created_at: now,
                expires_at: now + Duration::days(days),
            })
            .await?;
        let facts = AuditFacts::of(actor)
            .target(format!("invite:{}", invite.id))
            .detail(json!({ "role": role.as_str(), "expires_in_days": days }));
        self.audit(events::INVITE_CREATED, facts).await;
        Ok((invite, code))
    }

    /// Every invitation, newest first. Admins only.
    pub async fn invites(&self, actor: &Actor) -> CoreResult<Vec<Invite>> {
        self.require(actor, Action::ManageUsers, Resource::Site).await?;
        self.repo.invites().await
    }

    /// Withdraws an invitation. Errors: `not_found`, permission.
    pub async fn revoke_invite(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        self.require(actor, Action::ManageUsers, Resource::Site).await?;
        if self.repo.delete_invite(id).await? { Ok(()) } else { Err(CoreError::not_found()) }
    }

    /// Sends a password reset code to the account's e-mail. Succeeds whether or not the
    /// account exists, so accounts cannot be probed; at most 3 e-mails an hour go to one
    /// account (more requests succeed silently).
    ///
    /// Errors: `rate_limited` (10 requests an hour per address); `internal` if the mail
    /// cannot be handed over.
    pub async fn request_password_reset(&self, login: &str, client: Option<IpAddr>) -> CoreResult<()> {
        if let Some(ip) = client {
            self.rate_limit(&limits::RESET_REQUESTS_PER_IP, &ip_subject(ip)).await?;
        }
        let login = login.trim();
        let facts = AuditFacts::default().ip(client).target(format!("account:{}", login.to_lowercase()));
        let Some(user) = self.repo.user_by_login(login).await?.filter(|u| u.status == UserStatus::Active)
        else {
            self.audit(events::PASSWORD_RESET_REQUESTED, facts.detail(json!({ "known_account": false })))
                .await;
            return Ok(());
        };
        let facts = facts.user(user.id);
        if self.rate_limit(&limits::RESET_REQUESTS_PER_ACCOUNT, &user.id.to_string()).await.is_err() {
            self.audit(events::PASSWORD_RESET_REQUESTED, facts.detail(json!({ "sent": false }))).await;
            return Ok(());
        }
        let code = reset_code();
        self.repo
            .put_password_reset(PasswordReset {
                user_id: user.id,
                code_hash: reset_code_hash(user.id, &code),
                expires_at: self.now() + RESET_CODE_LIFETIME,
                attempts: 0,
            })
            .await?;
        let settings = self.settings();
        let minutes = RESET_CODE_LIFETIME.num_minutes();
        let site = settings.site_title();
        let (subject, text) = match settings.language() {
            Locale::ZhCn => (
                format!("{site} 密码重置验证码"),
                format!(
                    "{}，你好：\n\n你的密码重置验证码是 {code}，{minutes} 分钟内有效。\n\n如果不是你本人操作，请忽略这封邮件，你的密码不会改变。\n",
                    user.display_name
                ),
            ),
            Locale::En => (
                format!("Your {site} password reset code"),
                format!(
                    "Hello {},\n\nYour password reset code is {code}. It works for {minutes} minutes.\n\nIf you did not ask for it, ignore this message; your password stays the same.\n",
                    user.display_name
                ),
            ),
        };
        self.services.mailer.send(OutgoingMail { to: user.email.clone(), subject, text }).await?;
        self.audit(events::PASSWORD_RESET_REQUESTED, facts.detail(json!({ "sent": true }))).await;
        Ok(())
    }

    /// Sets a new password with an e-mailed code. Every session and login-made token of
    /// the account ends. A code works once; after 5 wrong codes a new one must be asked
    /// for.
    ///
    /// Errors: `invalid_input` (field `code`: wrong, used or expired; or the new password);
    /// `rate_limited` (per address, as reset requests).
    pub async fn complete_password_reset(
        &self,
        login: &str,
        code: &str,
        new_password: &str,
        client: Option<IpAddr>,
    ) -> CoreResult<()> {
        if let Some(ip) = client {
            self.rate_limit(&limits::RESET_REQUESTS_PER_IP, &ip_subject(ip)).await?;
        }
        secrets::check_new_password(new_password)?;
        let Some(user) =
            self.repo.user_by_login(login.trim()).await?.filter(|u| u.status == UserStatus::Active)
        else {
            return Err(reset_failed());
        };
        let facts = AuditFacts::default().user(user.id).ip(client);
        let Some(reset) = self.repo.password_reset(user.id).await? else { return Err(reset_failed()) };
        if reset.expires_at <= self.now() || reset.attempts >= RESET_CODE_ATTEMPTS {
            self.repo.delete_password_reset(user.id).await?;
            return Err(reset_failed());
        }
        if !secrets::constant_time_eq(&reset_code_hash(user.id, code), &reset.code_hash) {
            // A concurrent success may have removed the reset; the code is wrong either way.
            let attempts =
                self.repo.count_password_reset_attempt(user.id).await.unwrap_or(RESET_CODE_ATTEMPTS);
            self.audit(events::PASSWORD_RESET_FAILED, facts.detail(json!({ "attempts": attempts }))).await;
            return Err(reset_failed());
        }
        let hash = hash_password(new_password.to_string()).await?;
        self.repo.set_password_hash(user.id, &hash, None).await?;
        self.audit(events::PASSWORD_RESET_COMPLETED, facts).await;
        Ok(())
    }

    /// Changes the actor's password after checking the current one. Their other sessions
    /// and login-made tokens end; the session whose id hash is `keep_session` (the current
    /// one) stays.
    ///
    /// Errors: `invalid_credentials` (wrong current password, counted like a failed
    /// sign-in), `rate_limited`, `invalid_input` (new password), permission (needs an
    /// interactive sign-in).
    pub async fn change_password(
        &self,
        actor: &Actor,
        current: &str,
        new_password: &str,
        keep_session: Option<&str>,
    ) -> CoreResult<()> {
        self.require(actor, Action::ManageOwnCredentials, Resource::Site).await?;
        let me = self.me(actor).await?;
        secrets::check_new_password(new_password)?;
        let client = actor.principal().and_then(|p| p.client);
        self.check_password(&me.username, current, client).await?;
        let hash = hash_password(new_password.to_string()).await?;
        self.repo.set_password_hash(me.id, &hash, keep_session).await?;
        self.audit(events::PASSWORD_CHANGED, AuditFacts::of(actor)).await;
        Ok(())
    }

    /// Changes the actor's own profile.
    ///
    /// Errors: `invalid_input`, `conflict` (e-mail taken), `unauthenticated`.
    pub async fn update_profile(&self, actor: &Actor, patch: ProfilePatch) -> CoreResult<User> {
        let me = self.me(actor).await?;
        let patch = profile_patch(patch)?;
        self.repo.update_user(me.id, patch).await
    }

    /// Whether `actor` may see a user's private fields (e-mail, status, last seen): their
    /// own, or anyone's for those who manage users.
    pub fn may_see_private(&self, actor: &Actor, user_id: i64) -> bool {
        actor.user_id() == Some(user_id) || authorize(actor, Action::ManageUsers, Resource::Site).is_ok()
    }

    /// A user by id: anyone may look up a profile; callers render private fields only
    /// when [`Core::may_see_private`] says so.
    ///
    /// Errors: `not_found`.
    pub async fn user(&self, id: i64) -> CoreResult<User> {
        self.repo.user_by_id(id).await?.ok_or_else(CoreError::not_found)
    }

    /// A page of users with the total. Admins only.
    ///
    /// Errors: `invalid_input` (page size outside 1..=100), permission.
    pub async fn users(&self, actor: &Actor, query: UserQuery) -> CoreResult<(Vec<User>, i64)> {
        self.require(actor, Action::ManageUsers, Resource::Site).await?;
        crate::paging::check_per_page(query.limit, MAX_USERS_PAGE)?;
        self.repo.list_users(&query).await
    }

    /// Changes an account: profile, role, status. Disabling ends every session and token
    /// of the user at once, and their API keys stop working. The last active admin cannot
    /// be demoted or disabled.
    ///
    /// Errors: `not_found`, `invalid_input`, `conflict`, `invalid_state` (last admin),
    /// permission (admins only).
    pub async fn update_account(&self, actor: &Actor, id: i64, patch: AccountPatch) -> CoreResult<User> {
        self.require(actor, Action::ManageUsers, Resource::Site).await?;
        let user = self.user(id).await?;
        let mut changes = profile_patch(patch.profile)?;
        changes.role = patch.role;
        changes.status = patch.status;
        let stays_admin = changes.role.unwrap_or(user.role) == Role::Admin
            && changes.status.unwrap_or(user.status) == UserStatus::Active;
        if user.role == Role::Admin && user.status == UserStatus::Active && !stays_admin {
            let admins = UserQuery {
                role: Some(Role::Admin),
                status: Some(UserStatus::Active),
                limit: 2,
                ..UserQuery::default()
            };
            if self.repo.list_users(&admins).await?.1 <= 1 {
                return Err(CoreError::new(ErrorCode::InvalidState).with_detail(
                    "this is the last active admin; make another admin first",
                    "这是最后一个可用的管理员，请先设置另一位管理员",
                ));
            }
        }
        let detail = json!({
            "role": changes.role.map(Role::as_str),
            "status": changes.status.map(UserStatus::as_str),
        });
        let updated = self.repo.update_user(id, changes).await?;
        self.audit(events::USER_UPDATED, AuditFacts::of(actor).target(format!("user:{id}")).detail(detail))
            .await;
        Ok(updated)
    }
}
