//! Text from elsewhere (SFMC's words, an incident's message) made safe to send: the SFMC
//! sanitizer (known-secret forms, token-like words, `Bearer x`, control characters, length),
//! then chat and paging webhook URLs, which are credentials in themselves (anyone holding a
//! Slack incoming-webhook URL can post to the channel) and which the sanitizer keeps, as it
//! keeps every `https://` link.

use crate::sfmc::sanitize::sanitize_uncapped;
use crate::text::printable::cap;

/// Longest text kept of one scrubbed field, in characters (then marked `…`): the renderer's own
/// limit for words ([`crate::notify::render::trim::Trim::FULL`]), which shortens further only when
/// a publish is over SNS's size. Not SFMC's 300 ([`crate::sfmc::sanitize::MAX_SFMC_TEXT_CHARS`]):
/// credwatch's own incident messages run longer (a passive incident's evidence, then what the
/// probe sees of the same credential), and their last sentence is the one that says what to do.
pub const MAX_SCRUBBED_CHARS: usize = 2_000;

/// What a webhook URL is replaced by.
pub const REDACTED_WEBHOOK: &str = "[redacted webhook URL]";

/// `text` through the SFMC sanitizer (with no known secrets: they were redacted where first
/// read), then every webhook URL (see [`is_webhook_url`]) replaced by [`REDACTED_WEBHOOK`], cut
/// to [`MAX_SCRUBBED_CHARS`].
pub fn scrub(text: &str) -> String {
    let words = sanitize_uncapped(text, &[])
        .split(' ')
        .map(|word| {
            if is_webhook_url(word) {
                REDACTED_WEBHOOK
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    cap(&words, MAX_SCRUBBED_CHARS).into_owned()
}

/// Whether `word` holds a webhook URL: a host such as `hooks.slack.com`,
/// `hooks.chime.aws`, `*.webhook.office.com` or `events.pagerduty.com`, or a path with a
/// `webhook` segment (Discord's `/api/webhooks/`, Teams' `/webhookb2/`, most others).
///
/// The URL is recognised however it is written: JSON-escaped slashes (`https:\/\/hooks...`),
/// percent-encoded (`https%3A%2F%2Fhooks...`, a query parameter), or without its scheme
/// (`hooks.slack.com/services/...`, by its host only).
pub fn is_webhook_url(word: &str) -> bool {
    let lower = word
        .to_ascii_lowercase()
        .replace("\\/", "/")
        .replace("%3a", ":")
        .replace("%2f", "/");
    let webhook_host = |host: &str| {
        let host = host.rsplit('@').next().unwrap_or(host);
        host.starts_with("hooks.") || host.contains("webhook") || host == "events.pagerduty.com"
    };
    let Some(start) = lower.find("://") else {
        // No scheme: a host and a path, the host after any leading punctuation.
        let rest = lower.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
        return rest
            .split_once('/')
            .is_some_and(|(host, _)| host.contains('.') && webhook_host(host));
    };
    let rest = &lower[start + 3..];
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    webhook_host(host)
        || path
            .split('/')
            .any(|segment| segment.starts_with("webhook"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_redacted_and_other_links_kept() {
        for url in [
            "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "(https://hooks.slack.com/workflows/T1/A2/3/abc)",
            "https://example.webhook.office.com/webhookb2/abc@def/IncomingWebhook/x/y",
            "https://discord.com/api/webhooks/123/abc",
            "https://hooks.chime.aws/incomingwebhooks/abc?token=def",
            "https://events.pagerduty.com/v2/enqueue",
            "HTTPS://HOOKS.SLACK.COM/services/T/B/X",
            "https://user@hooks.slack.com/services/T/B/X",
        ] {
            let text = format!("posted to {url} and failed");
            assert_eq!(
                scrub(&text),
                format!("posted to {REDACTED_WEBHOOK} and failed"),
                "{url}"
            );
        }
        for kept in [
            "see https://status.salesforce.com/ now",
            "https://wiki.example.com/sfmc/hooks",
            "hooks.slack.com without a scheme",
        ] {
            assert_eq!(scrub(kept), kept);
        }
    }

    #[test]
    fn webhook_urls_in_other_encodings_are_redacted() {
        // The path of a Slack incoming webhook is the credential, however it is written: a
        // JSON body echoed with escaped slashes, a percent-encoded query parameter, no scheme.
        for (text, secret) in [
            (
                r#"body {"url":"https:\/\/hooks.slack.com\/services\/T0A1\/B0A2\/abcdEFGH1234"}"#,
                "abcdEFGH1234",
            ),
            (
                "callback=https%3A%2F%2Fhooks.slack.com%2Fservices%2FT0A1%2FB0A2%2FabcdEFGH1234 failed",
                "abcdEFGH1234",
            ),
            (
                "posted to hooks.slack.com/services/T0A1/B0A2/abcdEFGH1234 and failed",
                "abcdEFGH1234",
            ),
        ] {
            let scrubbed = scrub(text);
            assert!(!scrubbed.contains(secret), "{text} -> {scrubbed}");
        }
    }

    #[test]
    fn credwatchs_own_long_messages_are_kept_whole_up_to_the_renderers_limit() {
        // A passive incident's message: evidence, then what the probe sees (its last words say
        // what to do). SFMC's 300-character cap cut it before "outdated secret".
        let message = format!(
            "The integration itself reported 6 failed token requests since 2026-11-30 14:32 UTC: \
             SFMC refused the credential (client_auth_failed, SFMC code invalid_client), over 2 \
             minutes with no success. {}credwatch's own probe of this credential succeeds (last at \
             2026-11-30 14:30 UTC): the integration likely uses an outdated secret or another package.",
            "More evidence. ".repeat(20)
        );
        assert!(message.chars().count() > 600);
        assert_eq!(scrub(&message), message);
        let long = "word ".repeat(1_000);
        let cut = scrub(&long);
        assert_eq!(cut.chars().count(), MAX_SCRUBBED_CHARS + 1, "{cut}");
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn the_sfmc_sanitizer_runs_first() {
        let text = scrub("Bearer abcdefghij0123456789klmnop and \u{1b}[2J");
        assert!(text.starts_with("Bearer [redacted]"), "{text}");
        assert!(!text.contains('\u{1b}'));
    }
}
