//! Teams and their members, and which team a silence or an integration belongs to. Like
//! every change a person makes, each write here commits together with its audit entry.

use std::collections::HashMap;

use hinomi_core::TeamRole;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::access::append_audit;
use crate::{AuditEntry, Result, Store, StoreError, WriteTx};

/// A group of people who answer for some alerts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamRecord {
    pub id: String,
    /// Unique; what people type.
    pub name: String,
    pub description: String,
    pub created_at: i64,
}

impl TeamRecord {
    fn from_row(row: &AnyRow) -> Result<TeamRecord> {
        Ok(TeamRecord {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// One person in one team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamMember {
    pub team_id: String,
    pub user_id: String,
    pub username: String,
    pub role: TeamRole,
    pub added_at: i64,
}

fn team_role_from_db(text: &str) -> Result<TeamRole> {
    TeamRole::parse(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl WriteTx {
    /// Appends an audit entry inside this transaction, so the change it records and the
    /// entry commit (or roll back) together.
    pub async fn append_audit(&mut self, entry: &AuditEntry) -> Result<()> {
        append_audit(&mut *self.tx, entry).await
    }

    /// Puts a silence just written in this transaction in a team.
    pub async fn set_silence_team(&mut self, silence_id: &str, team_id: &str) -> Result<()> {
        sqlx::query("UPDATE silences SET team_id = $1 WHERE id = $2")
            .bind(team_id)
            .bind(silence_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Gives silence `to` the team of silence `from`: an edit that replaces a silence with a
    /// new one keeps it in its team.
    pub async fn copy_silence_team(&mut self, from: &str, to: &str) -> Result<()> {
        sqlx::query(
            "UPDATE silences SET team_id = (SELECT s.team_id FROM silences s WHERE s.id = $1) \
             WHERE id = $2",
        )
        .bind(from)
        .bind(to)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// Creates a team; answers false (and writes nothing) when the name is taken.
    pub async fn create_team(&self, t: &TeamRecord, audit: &AuditEntry) -> Result<bool> {
        self.change_audited(
            sqlx::query(
                "INSERT INTO teams (id, name, description, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(&t.id)
            .bind(&t.name)
            .bind(&t.description)
            .bind(t.created_at),
            audit,
        )
        .await
    }

    /// Every team, by name.
    pub async fn teams(&self) -> Result<Vec<TeamRecord>> {
        let rows = sqlx::query("SELECT id, name, description, created_at FROM teams ORDER BY name")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(TeamRecord::from_row).collect()
    }

    /// The team with this id or, failing that, this name.
    pub async fn team(&self, id_or_name: &str) -> Result<Option<TeamRecord>> {
        let row = self
            .by_id_or_name("teams", "id, name, description, created_at", id_or_name)
            .await?;
        row.as_ref().map(TeamRecord::from_row).transpose()
    }

    /// Renames a team or changes its description; answers false when it does not exist or
    /// the new name is taken by another team.
    pub async fn update_team(&self, t: &TeamRecord, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let taken = sqlx::query("SELECT id FROM teams WHERE name = $1 AND id <> $2")
            .bind(&t.name)
            .bind(&t.id)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Ok(false);
        }
        let done = sqlx::query("UPDATE teams SET name = $2, description = $3 WHERE id = $1")
            .bind(&t.id)
            .bind(&t.name)
            .bind(&t.description)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Removes a team and its memberships; its silences, integrations and schedules stay,
    /// belonging to no team. Answers whether the team existed.
    pub async fn delete_team(&self, id: &str, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM team_members WHERE team_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for table in ["silences", "integrations", "schedules"] {
            sqlx::query(&format!(
                "UPDATE {table} SET team_id = NULL WHERE team_id = $1"
            ))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query("DELETE FROM teams WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Adds a user to a team, or changes their team role.
    pub async fn set_team_member(
        &self,
        team_id: &str,
        user_id: &str,
        role: TeamRole,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO team_members (team_id, user_id, role, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(team_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes a user out of a team; answers whether they were in it.
    pub async fn remove_team_member(
        &self,
        team_id: &str,
        user_id: &str,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.change_audited(
            sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
                .bind(team_id)
                .bind(user_id),
            audit,
        )
        .await
    }

    /// The members of a team, by username. Memberships of removed users are not listed.
    pub async fn team_members(&self, team_id: &str) -> Result<Vec<TeamMember>> {
        let rows = sqlx::query(
            "SELECT m.team_id, m.user_id, u.username, m.role, m.added_at FROM team_members m \
             JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 ORDER BY u.username",
        )
        .bind(team_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TeamMember {
                    team_id: row.try_get("team_id")?,
                    user_id: row.try_get("user_id")?,
                    username: row.try_get("username")?,
                    role: team_role_from_db(&row.try_get::<String, _>("role")?)?,
                    added_at: row.try_get("added_at")?,
                })
            })
            .collect()
    }

    /// A user's role in a team, if they are in it.
    pub async fn team_role(&self, team_id: &str, user_id: &str) -> Result<Option<TeamRole>> {
        let row = sqlx::query("SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team_id)
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| team_role_from_db(&r.try_get::<String, _>("role")?))
            .transpose()
    }

    /// The team a silence belongs to, if any.
    pub async fn silence_team(&self, silence_id: &str) -> Result<Option<String>> {
        self.owner_team("silences", "id", silence_id).await
    }

    /// Every silence that belongs to a team, by id, with the team's id.
    pub async fn silence_teams(&self) -> Result<HashMap<String, String>> {
        self.owner_teams("silences", "id").await
    }

    /// Every integration that belongs to a team, by name, with the team's id.
    pub async fn integration_teams(&self) -> Result<HashMap<String, String>> {
        self.owner_teams("integrations", "name").await
    }

    async fn owner_teams(&self, table: &str, key: &str) -> Result<HashMap<String, String>> {
        let rows = sqlx::query(&format!(
            "SELECT {key} AS owner, team_id FROM {table} WHERE team_id IS NOT NULL"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("owner")?, r.try_get("team_id")?)))
            .collect()
    }

    /// The team an integration belongs to, if any.
    pub async fn integration_team(&self, name: &str) -> Result<Option<String>> {
        self.owner_team("integrations", "name", name).await
    }

    async fn owner_team(&self, table: &str, key: &str, value: &str) -> Result<Option<String>> {
        let row = sqlx::query(&format!("SELECT team_id FROM {table} WHERE {key} = $1"))
            .bind(value)
            .fetch_optional(&self.read)
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<Option<String>, _>("team_id")?,
            None => None,
        })
    }

    /// Puts a silence in a team (or in none); answers whether the silence exists.
    pub async fn set_silence_team(
        &self,
        silence_id: &str,
        team_id: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.set_owner_team("silences", "id", silence_id, team_id, audit)
            .await
    }

    /// Puts an integration in a team (or in none); answers whether the integration exists.
    pub async fn set_integration_team(
        &self,
        name: &str,
        team_id: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.set_owner_team("integrations", "name", name, team_id, audit)
            .await
    }

    async fn set_owner_team(
        &self,
        table: &str,
        key: &str,
        value: &str,
        team_id: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.change_audited(
            sqlx::query(&format!("UPDATE {table} SET team_id = $1 WHERE {key} = $2"))
                .bind(team_id)
                .bind(value),
            audit,
        )
        .await
    }
}
