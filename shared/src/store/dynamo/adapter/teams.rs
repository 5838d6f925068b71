//! [`Teams`] and [`HistoryReader`] on DynamoDB: plain reads and writes of one partition.

use super::super::expr::Query;
use super::super::history::decode_history;
use super::super::keys::{INVENTORY_PK, TEAM_PREFIX, history_pk, team_key};
use super::super::team::{decode_team, team_item};
use super::DynamoStore;
use crate::inventory::Team;
use crate::store::HistoryEntry;
use crate::store::error::StoreResult;
use crate::store::roles::{HistoryReader, Teams};

impl Teams for DynamoStore {
    async fn list_teams(&self) -> StoreResult<Vec<Team>> {
        let items = self
            .query(Query::partition(INVENTORY_PK).prefix(TEAM_PREFIX))
            .await?;
        Ok(self.decode_all(&items, decode_team))
    }

    async fn put_team(&self, team: &Team) -> StoreResult<()> {
        self.put(team_item(team), &team_key(&team.id)).await
    }

    async fn delete_team(&self, id: &str) -> StoreResult<()> {
        self.delete_item(&team_key(id)).await
    }
}

impl HistoryReader for DynamoStore {
    async fn history(&self, integration: &str, limit: usize) -> StoreResult<Vec<HistoryEntry>> {
        let pk = history_pk(integration);
        let items = self
            .query(Query::partition(&pk).newest_first(limit))
            .await?;
        Ok(self.decode_all(&items, decode_history))
    }
}
