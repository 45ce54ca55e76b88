"""Delivery channels (DESIGN §8): inbox (written by the fan-out), FCM push, SMS, webhooks.
Each takes claimed notifications (raw documents) and returns one `base.Outcome` per
notification; none of them touches the case or the notification's state —
`notifications.delivery` does that. `registry.enabled()` builds the configured ones."""
