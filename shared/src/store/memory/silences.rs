//! The in-memory store's silences: the same semantics as the
//! [`Silences`](crate::store::Silences) role documents (a new id only, the listing bound, a
//! conditional early end), with times kept to the millisecond as DynamoDB keeps them. The role
//! itself is implemented on the store (in the parent module) by these methods.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::silence::{Expired, Silence, SilenceId};
use crate::store::error::{StoreError, StoreResult};
use crate::store::invariants::{MAX_SILENCES, stored_time, too_many_silences};
use crate::store::{ExpireOutcome, SilenceListing};

/// Silences by id.
#[derive(Debug, Default)]
pub(super) struct SilenceTable {
    silences: BTreeMap<SilenceId, Silence>,
}

impl SilenceTable {
    /// Stores `silence` unless its id is taken ([`StoreError::Conflict`]).
    pub(super) fn put(&mut self, silence: &Silence) -> StoreResult<()> {
        if self.silences.contains_key(&silence.id) {
            return Err(StoreError::conflict(format!(
                "memory store: silence {} already exists",
                silence.id
            )));
        }
        let mut kept = silence.clone();
        kept.starts_at = stored_time(kept.starts_at);
        kept.ends_at = stored_time(kept.ends_at);
        kept.created_at = stored_time(kept.created_at);
        if let Some(expired) = kept.expired.as_mut() {
            expired.at = stored_time(expired.at);
        }
        self.silences.insert(kept.id.clone(), kept);
        Ok(())
    }

    /// Every silence, by start then id; more than [`MAX_SILENCES`] is an error.
    pub(super) fn list(&self) -> StoreResult<SilenceListing> {
        if self.silences.len() > MAX_SILENCES {
            return Err(too_many_silences("memory store", MAX_SILENCES));
        }
        let mut silences: Vec<Silence> = self.silences.values().cloned().collect();
        silences.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
        Ok(SilenceListing {
            silences,
            unreadable: Vec::new(),
        })
    }

    /// Ends silence `id` at `at` unless it has ended by then.
    pub(super) fn expire(
        &mut self,
        id: &SilenceId,
        at: DateTime<Utc>,
        by: Option<&str>,
    ) -> ExpireOutcome {
        let at = stored_time(at);
        let Some(silence) = self.silences.get_mut(id) else {
            return ExpireOutcome::NotFound;
        };
        if silence.expired.is_some() || silence.ends_at <= at {
            return ExpireOutcome::AlreadyEnded(silence.clone());
        }
        silence.expired = Some(Expired {
            at,
            by: by.map(str::to_string),
        });
        ExpireOutcome::Expired(silence.clone())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};

    use super::*;
    use crate::domain::silence::{MatchField, Matcher};
    use crate::store::memory::MemoryStore;
    use crate::store::roles::Silences;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 13, 0, 0).unwrap()
    }

    fn silence(n: u8, start: i64, end: i64) -> Silence {
        let id = format!(
            "sil-aaaaaaaa{}{}",
            char::from(b'a' + n / 26),
            char::from(b'a' + n % 26)
        );
        Silence::new(
            id.parse().unwrap(),
            vec![Matcher::new(MatchField::Team, "crm-ops").unwrap()],
            t0() + TimeDelta::minutes(start),
            t0() + TimeDelta::minutes(end),
            "planned work".into(),
            "dana".into(),
            t0(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn silences_are_put_once_listed_by_start_and_expired_once() {
        let store = MemoryStore::new();
        let (late, early) = (silence(0, 60, 120), silence(1, 0, 60));
        store.put_silence(&late).await.unwrap();
        store.put_silence(&early).await.unwrap();
        let again = store.put_silence(&late).await.unwrap_err();
        assert!(matches!(again, StoreError::Conflict { .. }), "{again:?}");
        assert!(again.to_string().contains("already exists"), "{again}");
        let listing = store.silences().await.unwrap();
        assert_eq!(listing.silences, vec![early.clone(), late.clone()]);

        let at = t0() + TimeDelta::minutes(30);
        let outcome = store
            .expire_silence(&early.id, at, Some("lee"))
            .await
            .unwrap();
        let ExpireOutcome::Expired(expired) = outcome else {
            panic!("expired: {outcome:?}");
        };
        assert_eq!(
            expired.expired,
            Some(Expired {
                at,
                by: Some("lee".into())
            })
        );
        assert_eq!(expired.effective_end(), at);
        // Once ended, ended: a second expire writes nothing.
        let later = at + TimeDelta::minutes(1);
        assert_eq!(
            store.expire_silence(&early.id, later, None).await.unwrap(),
            ExpireOutcome::AlreadyEnded(expired.clone())
        );
        // Run out by itself: already ended, at its very end too.
        assert_eq!(
            store
                .expire_silence(&late.id, t0() + TimeDelta::minutes(120), None)
                .await
                .unwrap(),
            ExpireOutcome::AlreadyEnded(late.clone())
        );
        // A pending one can be ended before it starts.
        let pending = silence(2, 500, 600);
        store.put_silence(&pending).await.unwrap();
        assert!(matches!(
            store.expire_silence(&pending.id, t0(), None).await.unwrap(),
            ExpireOutcome::Expired(_)
        ));
        let unknown: SilenceId = "sil-zzzzzzzzzz".parse().unwrap();
        assert_eq!(
            store.expire_silence(&unknown, t0(), None).await.unwrap(),
            ExpireOutcome::NotFound
        );
    }

    #[tokio::test]
    async fn times_are_kept_to_the_millisecond() {
        let store = MemoryStore::new();
        let s = silence(0, 0, 60);
        store.put_silence(&s).await.unwrap();
        let at = t0() + TimeDelta::nanoseconds(1_500_000);
        let ExpireOutcome::Expired(expired) = store.expire_silence(&s.id, at, None).await.unwrap()
        else {
            panic!("expired");
        };
        assert_eq!(
            expired.expired.map(|e| e.at),
            Some(t0() + TimeDelta::milliseconds(1))
        );
    }

    #[tokio::test]
    async fn past_the_bound_the_listing_is_an_error_naming_it() {
        let store = MemoryStore::new();
        let mut table = SilenceTable::default();
        let mut rng = fastrand::Rng::with_seed(3);
        while table.silences.len() < MAX_SILENCES {
            let s = Silence {
                id: SilenceId::from_rng(&mut rng),
                ..silence(0, 0, 60)
            };
            table.silences.insert(s.id.clone(), s);
        }
        assert_eq!(table.list().unwrap().silences.len(), MAX_SILENCES);
        let one_more = silence(1, 0, 60);
        table.put(&one_more).unwrap();
        let err = table.list().unwrap_err();
        assert!(matches!(err, StoreError::Permanent { .. }), "{err:?}");
        assert!(err.to_string().contains("more than 5000 silences"), "{err}");
        assert!(store.silences().await.unwrap().silences.is_empty());
    }
}
