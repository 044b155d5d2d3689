//! Every fixed statement of the SQL adapters, written once with `$n` parameters and `{token}`s and rendered
//! per dialect ([`Dialect::render`]) when a store opens. Record tables, whose columns follow the schema,
//! are in [`super::compile`]; tables are in [`super::ddl`].

use super::Dialect;

macro_rules! statements {
    ($($(#[$doc:meta])* $name:ident = $text:expr;)*) => {
        /// The fixed statements, rendered for one dialect.
        pub(crate) struct Statements {
            $($(#[$doc])* pub(crate) $name: String,)*
        }

        impl Statements {
            /// Renders every statement for `d`.
            pub(crate) fn new(d: &dyn Dialect) -> Statements {
                Statements { $($name: d.render($text),)* }
            }
        }
    };
}

statements! {
    // Records
    /// The entity row of a new record.
    insert_entity = "INSERT INTO crm_entity (id, module, label, label_key, deleted, version) VALUES ($1, $2, $3, $4, $5, $6)";
    /// A record's entity row, only when its stored version is the expected one.
    update_entity = "UPDATE crm_entity SET label = $1, label_key = $2, deleted = $3, version = $4 WHERE id = $5 AND version = $6";
    /// A record's stored version.
    entity_version = "SELECT version FROM crm_entity WHERE id = $1";
    /// A record's module and recycle-bin flag.
    entity = "SELECT module, deleted FROM crm_entity WHERE id = $1";
    /// Live records of a module with a given folded label.
    find_by_label = "SELECT id FROM crm_entity WHERE module = $1 AND label_key = $2 AND deleted = {false} ORDER BY id";
    /// A record's recycle-bin flag and stored version.
    entity_state = "SELECT deleted, version FROM crm_entity WHERE id = $1";
    /// Removes a record's entity row (its module row goes with it: ON DELETE CASCADE), only while it is in
    /// the recycle bin at the expected version: never a record another handle restored or changed.
    purge_entity = "DELETE FROM crm_entity WHERE id = $1 AND deleted = {true} AND version = $2";
    /// What goes with a purged record: the change log with its details, stage history, links and
    /// comments. One statement per table, in order.
    purge = "DELETE FROM crm_history WHERE record_id = $1;
             DELETE FROM crm_stage_history WHERE record_id = $1;
             DELETE FROM crm_relations WHERE record_id = $1 OR related_id = $1;
             DELETE FROM crm_comments WHERE record_id = $1;
             DELETE FROM crm_dedupe_keys WHERE record_id = $1;
             DELETE FROM crm_merges WHERE record_id = $1";
    /// Gives a record a new version (a schema edit rewrote it).
    bump_version = "UPDATE crm_entity SET version = version + 1 WHERE id = $1";
    /// A change-log entry (its id comes from [`Db::insert_id`](super::db::Db::insert_id)).
    insert_history = "INSERT INTO crm_history (record_id, module, actor, at, kind, related_id) VALUES ($1, $2, $3, $4, $5, $6)";
    /// One field of a change-log entry.
    insert_history_detail = "INSERT INTO crm_history_detail (history_id, field, before, after) VALUES ($1, $2, $3, $4)";
    /// A record's change log, oldest first.
    history = "SELECT id, record_id, module, actor, at, kind, related_id FROM crm_history WHERE record_id = $1 ORDER BY id";
    /// The fields of a record's change log, entry by entry in order.
    history_details = "SELECT d.history_id, d.field, d.before, d.after FROM crm_history_detail d JOIN crm_history h ON h.id = d.history_id
                       WHERE h.record_id = $1 ORDER BY d.history_id, d.{rowid}";
    /// One page of a record's change log: the entries after id `$2`, oldest first, at most `$3`.
    history_page = "SELECT id, record_id, module, actor, at, kind, related_id FROM crm_history WHERE record_id = $1 AND id > $2
                    ORDER BY id LIMIT $3";
    /// The fields of the change-log entries `$2 < id <= $3` of a record, entry by entry in order.
    history_details_page = "SELECT d.history_id, d.field, d.before, d.after FROM crm_history_detail d JOIN crm_history h ON h.id = d.history_id
                            WHERE h.record_id = $1 AND h.id > $2 AND h.id <= $3 ORDER BY d.history_id, d.{rowid}";
    /// A stage-history row.
    insert_stage = "INSERT INTO crm_stage_history (record_id, stage, amount, probability, forecast_amount, closingdate, at, actor)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    /// An opportunity's stage history, oldest first.
    stage_history = "SELECT record_id, stage, amount, probability, forecast_amount, closingdate, at, actor
                     FROM crm_stage_history WHERE record_id = $1 ORDER BY id";
    /// The auto-number state of a module (locked until the transaction ends where the engine locks rows).
    auto_number = "SELECT prefix, next FROM crm_autonum WHERE module = $1";
    /// Like `auto_number`, locking the row where the engine locks rows.
    auto_number_locked = "SELECT prefix, next FROM crm_autonum WHERE module = $1 {for_update}";
    /// Creates a module's auto-number row when missing.
    auto_number_start = "INSERT INTO crm_autonum (module, prefix, next) VALUES ($1, $2, '1') ON CONFLICT (module) DO NOTHING";
    /// Moves a module's auto-number on.
    auto_number_next = "UPDATE crm_autonum SET next = $2 WHERE module = $1";
    /// Sets a module's auto-number state.
    set_auto_number = "INSERT INTO crm_autonum (module, prefix, next) VALUES ($1, $2, $3)
                       ON CONFLICT (module) DO UPDATE SET prefix = excluded.prefix, next = excluded.next";

    // Schema
    /// The stored schema (JSON).
    schema = "SELECT value FROM crm_meta WHERE key = 'schema'";
    /// The stored schema version.
    schema_version = "SELECT value FROM crm_meta WHERE key = 'schema_version'";
    /// The stored schema version, locked until the transaction ends where the engine locks rows (concurrent
    /// schema changes take turns; the loser sees the new version).
    schema_version_locked = "SELECT value FROM crm_meta WHERE key = 'schema_version' {for_update}";
    /// Sets a `crm_meta` value.
    put_meta = "INSERT INTO crm_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    /// A schema change-log entry.
    insert_schema_change = "INSERT INTO crm_schema_changes (version, op, actor, at, change) VALUES ($1, $2, $3, $4, $5)";
    /// The schema change log, oldest first.
    schema_changes = "SELECT version, actor, at, change FROM crm_schema_changes ORDER BY version";
    /// One page of the schema change log: the changes after version `$1`, oldest first, at most `$2`.
    schema_changes_page = "SELECT version, actor, at, change FROM crm_schema_changes WHERE version > $1 ORDER BY version LIMIT $2";

    // Users
    /// Creates or replaces a user.
    put_user = "INSERT INTO crm_users (id, user_name, full_name, email, role, active) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (id) DO UPDATE SET user_name = excluded.user_name, full_name = excluded.full_name,
                email = excluded.email, role = excluded.role, active = excluded.active";
    /// Every user.
    users = "SELECT id, user_name, full_name, email, role, active FROM crm_users ORDER BY id";
    /// Creates or renames a group.
    put_group = "INSERT INTO crm_groups (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name";
    /// Empties a group.
    clear_group = "DELETE FROM crm_group_members WHERE group_id = $1";
    /// Adds a member to a group.
    add_member = "INSERT INTO crm_group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    /// Every group.
    groups = "SELECT id, name FROM crm_groups ORDER BY id";
    /// Every group membership.
    members = "SELECT group_id, user_id FROM crm_group_members ORDER BY group_id, user_id";

    // Access control
    /// The access version.
    access_version = "SELECT value FROM crm_meta WHERE key = 'access_version'";
    /// The access version, locked until the transaction ends where the engine locks rows.
    access_version_locked = "SELECT value FROM crm_meta WHERE key = 'access_version' {for_update}";
    /// Moves the access version on by one.
    bump_access_version = "INSERT INTO crm_meta (key, value) VALUES ('access_version', '1')
                           ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(crm_meta.value AS BIGINT) + 1 AS TEXT)";
    /// The stored access model (JSON).
    access_model = "SELECT value FROM crm_meta WHERE key = 'access'";
    /// An access change-log entry.
    insert_access_change = "INSERT INTO crm_access_changes (version, actor, at, change) VALUES ($1, $2, $3, $4)";
    /// The access change log, oldest first.
    access_changes = "SELECT version, actor, at, change FROM crm_access_changes ORDER BY version";

    // Imports
    /// Creates or updates an import's journal.
    put_import = "INSERT INTO crm_imports (id, module, kind, actor, at, status, rows, created, updated, merged, skipped, failed)
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                  ON CONFLICT (id) DO UPDATE SET status = excluded.status, rows = excluded.rows, created = excluded.created,
                  updated = excluded.updated, merged = excluded.merged, skipped = excluded.skipped, failed = excluded.failed";
    /// What an import did to one record.
    insert_import_row = "INSERT INTO crm_import_rows (import_id, line, record_id, action, previous, version) VALUES ($1, $2, $3, $4, $5, $6)";
    /// Every import, oldest first.
    imports = "SELECT id, module, kind, actor, at, status, rows, created, updated, merged, skipped, failed FROM crm_imports ORDER BY id";
    /// The records an import touched, in file order.
    import_rows = "SELECT import_id, line, record_id, action, previous, version FROM crm_import_rows WHERE import_id = $1 ORDER BY {rowid}";
    /// One page of what an import did, in file order: at most `$2` rows after skipping `$3`.
    import_rows_page = "SELECT import_id, line, record_id, action, previous, version FROM crm_import_rows WHERE import_id = $1
                        ORDER BY {rowid} LIMIT $2 OFFSET $3";
    /// Creates or replaces a saved mapping (names compare ignoring case).
    put_mapping = "INSERT INTO crm_import_maps (module, name, mapping) VALUES ($1, $2, $3)
                   ON CONFLICT ({maps_key}) DO UPDATE SET name = excluded.name, mapping = excluded.mapping";
    /// Deletes a saved mapping.
    delete_mapping = "DELETE FROM crm_import_maps WHERE module = $1 AND {maps_name_eq}";
    /// The saved mappings of a module, by name.
    mappings = "SELECT module, name, mapping FROM crm_import_maps WHERE module = $1 ORDER BY {maps_order}";

    // Views
    /// Creates or replaces a filter.
    put_filter = "INSERT INTO crm_filters (id, module, name, visibility, owner, is_default, definition) VALUES ($1, $2, $3, $4, $5, $6, $7)
                  ON CONFLICT (id) DO UPDATE SET module = excluded.module, name = excluded.name, visibility = excluded.visibility,
                  owner = excluded.owner, is_default = excluded.is_default, definition = excluded.definition";
    /// Deletes a filter.
    delete_filter = "DELETE FROM crm_filters WHERE id = $1";
    /// The filters of a module.
    filters = "SELECT definition FROM crm_filters WHERE module = $1 ORDER BY id";
    /// Sets a setting.
    put_setting = "INSERT INTO crm_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    /// A setting.
    setting = "SELECT value FROM crm_settings WHERE key = $1";

    // Relations
    /// A new comment.
    add_comment = "INSERT INTO crm_comments (id, record_id, parent_id, author, at, body) VALUES ($1, $2, $3, $4, $5, $6)";
    /// The comments on a record, newest first.
    comments = "SELECT id, record_id, parent_id, author, at, body FROM crm_comments WHERE record_id = $1 ORDER BY at DESC, id DESC";
    /// One comment.
    comment = "SELECT id, record_id, parent_id, author, at, body FROM crm_comments WHERE id = $1";
    /// Moves every comment of a record to another.
    move_comments = "UPDATE crm_comments SET record_id = $2 WHERE record_id = $1";
    /// Removes the link between two records, whichever side it was made on.
    unlink = "DELETE FROM crm_relations WHERE (record_id = $1 AND related_id = $2) OR (record_id = $2 AND related_id = $1)";
    /// A new link.
    link = "INSERT INTO crm_relations (record_id, related_id, module, role, quantity, price, at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    /// The links of a record (either side) to records of a module (`$2`, or every module when NULL), paged.
    relations = "SELECT e.id, e.module, r.role, r.quantity, r.price, r.at FROM crm_relations r
                 JOIN crm_entity e ON e.id = CASE WHEN r.record_id = $1 THEN r.related_id ELSE r.record_id END
                 WHERE (r.record_id = $1 OR r.related_id = $1) AND (CAST($2 AS TEXT) IS NULL OR e.module = $2)
                 ORDER BY r.id LIMIT $3 OFFSET $4";
    /// How many links `relations` would list without a page.
    count_relations = "SELECT count(*) FROM crm_relations r
                       JOIN crm_entity e ON e.id = CASE WHEN r.record_id = $1 THEN r.related_id ELSE r.record_id END
                       WHERE (r.record_id = $1 OR r.related_id = $1) AND (CAST($2 AS TEXT) IS NULL OR e.module = $2)";

    // Workflows
    /// Creates or replaces a workflow.
    put_workflow = "INSERT INTO crm_workflows (id, module, name, description, active, execution_condition, trigger_def, conditions, tasks,
                    next_trigger, is_default) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                    ON CONFLICT (id) DO UPDATE SET module = excluded.module, name = excluded.name, description = excluded.description,
                    active = excluded.active, execution_condition = excluded.execution_condition, trigger_def = excluded.trigger_def,
                    conditions = excluded.conditions, tasks = excluded.tasks, next_trigger = excluded.next_trigger,
                    is_default = excluded.is_default";
    /// Deletes a workflow with its once-pairs and queued tasks.
    delete_workflow = "DELETE FROM crm_workflows WHERE id = $1;
                       DELETE FROM crm_workflow_once WHERE workflow_id = $1;
                       DELETE FROM crm_workflow_queue WHERE workflow_id = $1";
    /// Every workflow.
    workflows = "SELECT id, module, name, description, active, trigger_def, conditions, tasks, next_trigger, is_default
                 FROM crm_workflows ORDER BY id";
    /// Creates or replaces an outbox mail.
    put_mail = "INSERT INTO crm_outbox (id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject, body,
                status, error, created_at, sent_at, attempts, next_attempt_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                ON CONFLICT (id) DO UPDATE SET record_id = excluded.record_id, workflow_id = excluded.workflow_id,
                from_addr = excluded.from_addr, reply_to = excluded.reply_to, to_addrs = excluded.to_addrs, cc_addrs = excluded.cc_addrs,
                bcc_addrs = excluded.bcc_addrs, subject = excluded.subject, body = excluded.body, status = excluded.status,
                error = excluded.error, created_at = excluded.created_at, sent_at = excluded.sent_at,
                attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at";
    /// Removes an outbox mail.
    delete_mail = "DELETE FROM crm_outbox WHERE id = $1";
    /// Every outbox mail.
    outbox = "SELECT id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject, body, status, error,
              created_at, sent_at, attempts, next_attempt_at FROM crm_outbox ORDER BY id";
    /// One outbox mail by id.
    mail = "SELECT id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject, body, status, error,
              created_at, sent_at, attempts, next_attempt_at FROM crm_outbox WHERE id = $1";
    /// A page of the outbox (keyset on id).
    outbox_page = "SELECT id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject, body, status, error,
              created_at, sent_at, attempts, next_attempt_at FROM crm_outbox WHERE id > $1 ORDER BY id LIMIT $2";
    /// A page of the outbox mails with one status (keyset on the `(status, id)` index).
    outbox_page_status = "SELECT id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject, body, status, error,
              created_at, sent_at, attempts, next_attempt_at FROM crm_outbox WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3";
    /// A page of the mail due for delivery: queued, or failed with a next attempt at or before `$2`.
    due_mail = "SELECT id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject, body, status, error,
              created_at, sent_at, attempts, next_attempt_at FROM crm_outbox
                WHERE id > $1 AND (status = 'queued' OR (status = 'failed' AND next_attempt_at <= $2)) ORDER BY id LIMIT $3";
    /// Ids of sent mail sent before `$1`.
    sent_before = "SELECT id FROM crm_outbox WHERE status = 'sent' AND sent_at < $1 ORDER BY id LIMIT $2";
    /// Notes that a once-workflow fired for a record.
    activated_once = "INSERT INTO crm_workflow_once (workflow_id, record_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    /// Whether a once-workflow fired for a record.
    was_activated = "SELECT 1 FROM crm_workflow_once WHERE workflow_id = $1 AND record_id = $2";
    /// Queues a delayed task.
    put_queued_task = "INSERT INTO crm_workflow_queue (id, workflow_id, task_index, record_id, due) VALUES ($1, $2, $3, $4, $5)
                       ON CONFLICT (id) DO UPDATE SET workflow_id = excluded.workflow_id, task_index = excluded.task_index,
                       record_id = excluded.record_id, due = excluded.due";
    /// Removes a queued task.
    delete_queued_task = "DELETE FROM crm_workflow_queue WHERE id = $1";
    /// Every queued task, by due time.
    queued_tasks = "SELECT id, workflow_id, task_index, record_id, due FROM crm_workflow_queue ORDER BY due, id";
}

/// The statements of a multi-statement text (`;`-separated), for engines that prepare one at a time.
pub(crate) fn each(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(';').map(str::trim).filter(|s| !s.is_empty())
}
