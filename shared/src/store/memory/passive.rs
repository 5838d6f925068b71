//! CONTRACT STUB on p13-base: H2 replaces every body.
#![allow(unused_variables)]

use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::domain::passive::{IngestToken, MinuteCounts, PassiveCommit, PassiveState, SfmcCall};
use crate::store::error::StoreResult;
use crate::store::roles::{IngestTokens, PassiveRecords};
use crate::store::{CommitOutcome, PassiveListing, RecordedCalls};

impl PassiveRecords for MemoryStore {
    async fn record_calls(&self, calls: &[SfmcCall]) -> StoreResult<RecordedCalls> {
        unimplemented!("H2")
    }
    async fn minutes(
        &self,
        integration: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<MinuteCounts>> {
        unimplemented!("H2")
    }
    async fn failed_calls(
        &self,
        integration: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<SfmcCall>> {
        unimplemented!("H2")
    }
    async fn passive_state(&self, integration: &str) -> StoreResult<Option<PassiveState>> {
        unimplemented!("H2")
    }
    async fn passive_states(&self) -> StoreResult<PassiveListing> {
        unimplemented!("H2")
    }
    async fn commit_passive(&self, commit: &PassiveCommit) -> StoreResult<CommitOutcome> {
        unimplemented!("H2")
    }
    async fn probe_soon(&self, integration: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        unimplemented!("H2")
    }
}

impl IngestTokens for MemoryStore {
    async fn put_ingest_token(&self, token: &IngestToken) -> StoreResult<()> {
        unimplemented!("H2")
    }
    async fn ingest_token(&self, hash: &str) -> StoreResult<Option<IngestToken>> {
        unimplemented!("H2")
    }
    async fn ingest_tokens_of(&self, integration: &str) -> StoreResult<Vec<IngestToken>> {
        unimplemented!("H2")
    }
    async fn revoke_ingest_tokens(&self, integration: &str) -> StoreResult<usize> {
        unimplemented!("H2")
    }
    async fn take_ingest_quota(
        &self,
        integration: &str,
        minute: DateTime<Utc>,
        events: u32,
        limit: u32,
    ) -> StoreResult<bool> {
        unimplemented!("H2")
    }
}
