//! Domain events: what happened to content, comments, media and friend links, told to
//! webhooks and notifications after the change is committed.
//!
//! [`Core::emit`] never fails the request that caused the event: a failure to queue a
//! webhook delivery or write a notification is logged and dropped.

use serde::Serialize;

use crate::Core;

/// What happened. The wire names (`item.published`, ...) are what webhook subscribers
/// choose from and what the `X-Inkstone-Event` header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub enum EventKind {
    #[serde(rename = "item.published")]
    ItemPublished,
    #[serde(rename = "item.updated")]
    ItemUpdated,
    #[serde(rename = "item.deleted")]
    ItemDeleted,
    #[serde(rename = "comment.created")]
    CommentCreated,
    #[serde(rename = "media.uploaded")]
    MediaUploaded,
    #[serde(rename = "friend_link.applied")]
    FriendLinkApplied,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: &'static [EventKind] = &[
        EventKind::ItemPublished,
        EventKind::ItemUpdated,
        EventKind::ItemDeleted,
        EventKind::CommentCreated,
        EventKind::MediaUploaded,
        EventKind::FriendLinkApplied,
    ];

    /// The wire name, e.g. `item.published`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ItemPublished => "item.published",
            EventKind::ItemUpdated => "item.updated",
            EventKind::ItemDeleted => "item.deleted",
            EventKind::CommentCreated => "comment.created",
            EventKind::MediaUploaded => "media.uploaded",
            EventKind::FriendLinkApplied => "friend_link.applied",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.as_str() == text)
    }
}

/// One event: its kind, the id of what it is about, who caused it (`None`: a visitor or
/// the system) and a JSON summary of the subject for subscribers (never secrets, never a
/// commenter's e-mail or IP).
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    pub kind: EventKind,
    pub subject_id: i64,
    pub actor_id: Option<i64>,
    pub data: serde_json::Value,
}

impl DomainEvent {
    pub fn new(kind: EventKind, subject_id: i64, actor_id: Option<i64>, data: serde_json::Value) -> Self {
        DomainEvent { kind, subject_id, actor_id, data }
    }
}

impl Core {
    /// Tells subscribers about a committed change: queues a delivery for every webhook
    /// that wants `event.kind` and writes the notifications the event calls for. Call it
    /// after the write has committed. Never fails and never waits on the network.
    pub async fn emit(&self, event: DomainEvent) {
        if let Err(err) = self.queue_webhook_deliveries(&event).await {
            tracing::warn!(event = event.kind.as_str(), error = %err, "could not queue webhook deliveries");
        }
        if let Err(err) = self.notify_on(&event).await {
            tracing::warn!(event = event.kind.as_str(), error = %err, "could not write notifications");
        }
    }
}
