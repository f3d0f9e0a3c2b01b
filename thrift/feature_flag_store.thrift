// Wire-compatible with the Python flipper-client's IDL: names, field ids and
// types are fixed (see the wire contract). Additions only as new methods, new
// optional fields with new ids, or new enum values.

namespace py flipper_thrift.python.feature_flag_store
namespace js flipper

enum ErrorCode {
  NOT_FOUND = 0,
  // Added by this project: the request itself is wrong (bad name, bad JSON, ...).
  INVALID_ARGUMENT = 1,
  // Added by this project: the store behind the server failed.
  INTERNAL = 2,
  // Added by this project: a conditional write (one carrying expected_revision) found the flag
  // changed since the writer read it; nothing was written. Read again and retry.
  CONFLICT = 3,
  // Added by this project: the store did not answer a write in time after it may have received it;
  // the write may have been applied, or not.
  OUTCOME_UNKNOWN = 4,
  // Added by this project: the flag is stored but cannot be read or sent (its stored JSON does not
  // parse, or a value does not fit the wire, such as a created_date beyond i64). Delete still works.
  INVALID_ITEM = 5,
  // Added by this project: the caller's identity (its TLS client certificate, or the listener it
  // called) may not make this call, under the server's --authz policy or --read-only; nothing was
  // written. (6, not 5: 5 is INVALID_ITEM.)
  PERMISSION_DENIED = 6,
}

exception FlipperException {
  1: optional ErrorCode code,
  2: optional string message = "",
}

typedef string JSON

struct ConditionOperator {
  // Unset for equality; otherwise one of gt gte lt lte ne in not_in.
  1: optional string symbol,
}

struct ConditionCheck {
  1: optional string variable,
  2: optional JSON value,
  3: optional ConditionOperator operator,
}

typedef map<string, list<ConditionCheck>> Condition

struct FeatureFlagStoreMeta {
  1: optional i64 created_date,
  2: optional JSON client_data,
  3: optional list<Condition> conditions,
  4: optional JSON bucketer,
}

struct FeatureFlagStoreItem {
  1: optional string feature_name,
  2: optional bool is_enabled,
  3: optional FeatureFlagStoreMeta meta,
  // Added by this project: the revision of the stored flag this item was read from (a digest of
  // its stored JSON text), for conditional writes. Set by our server on replies; never sent by the
  // Python library, which ignores it.
  4: optional string revision,
}

// Added by this project: one page of `ListPage`.
struct FeatureFlagStoreListPage {
  1: optional list<FeatureFlagStoreItem> items,
  // Pass it to the next `ListPage` call; absent or empty when this page is the last.
  2: optional string next_cursor,
}

// Added by this project (the change feed): where a replica stands. `store_id` names the backend's
// version sequence (a Redis, a PostgreSQL table, or one server process over memory/SQLite);
// `version` grows with every change of that store. A cursor of another store_id cannot be continued.
struct StoreVersion {
  1: optional string store_id,
  2: optional i64 version,
}

// Added by this project: every flag and the version it is current at.
struct Snapshot {
  1: optional StoreVersion version,
  2: optional list<FeatureFlagStoreItem> items,
}

// Added by this project: what changed after a cursor. `version` is the cursor to ask from next.
// `snapshot_required`: the cursor cannot be served (another store_id, or history no longer kept);
// call GetSnapshot and follow from its version.
struct Changes {
  1: optional StoreVersion version,
  2: optional list<FeatureFlagStoreItem> changed,
  3: optional list<string> deleted,
  4: optional bool snapshot_required,
}

// Added by this project (history, issue 14): who makes a write and why, as the writer declares it
// (`SetWriteContext`, `Rollback`); the server records it beside the caller's address and, under
// mutual TLS, the certificate identity (kept beside a declared actor, never replaced by it).
struct WriteContext {
  1: optional string actor,
  2: optional string reason,
}

// Added by this project: one recorded change of one flag.
struct HistoryEntry {
  1: optional string feature_name,
  // Orders a flag's changes and names the state after this one for `Rollback`.
  2: optional i64 version,
  // When it was recorded, in ms since the epoch.
  3: optional i64 time_ms,
  // The server call that made it (Create, Set, SetIf, SetMeta, SetMetaIf, Delete, Rollback);
  // absent when it was made outside any flag server (a direct write to the backend, detected).
  4: optional string operation,
  5: optional string actor,
  6: optional string reason,
  // The caller's verified TLS client certificate identity.
  7: optional string identity,
  // The caller's address, host:port.
  8: optional string peer,
  // The flag's stored JSON before and after; absent before: it did not exist; absent after: deleted.
  9: optional JSON before,
  10: optional JSON after,
  // True when the state before this change was not recorded.
  11: optional bool before_unknown,
  // For a Rollback: the version restored.
  12: optional i64 rollback_to,
}

// Added by this project: a page of a flag's history, newest first.
struct HistoryPage {
  1: optional list<HistoryEntry> entries,
  // Pass it as `before_version` for the next (older) page; absent when this page is the last.
  2: optional i64 next_before_version,
}

service FeatureFlagStore {
  FeatureFlagStoreItem Create(1: string feature_name, 2: bool is_enabled, 3: JSON client_data)
    throws (1: FlipperException error),
  FeatureFlagStoreItem Get(1: string feature_name) throws (1: FlipperException error),
  void Set(1: string feature_name, 2: bool is_enabled) throws (1: FlipperException error),
  void Delete(1: string feature_name) throws (1: FlipperException error),
  list<FeatureFlagStoreItem> List(1: i64 limit, 2: i64 offset) throws (1: FlipperException error),
  void SetMeta(1: string feature_name, 2: FeatureFlagStoreMeta meta)
    throws (1: FlipperException error),

  // Added by this project: conditional writes. Each writes only if the flag's revision (the
  // `revision` of the item the caller read) is still `expected_revision`: CONFLICT otherwise
  // (nothing written; read again and retry), NOT_FOUND when the flag is gone. An absent or empty
  // `expected_revision` makes them Set and SetMeta.
  void SetIf(1: string feature_name, 2: bool is_enabled, 3: string expected_revision)
    throws (1: FlipperException error),
  void SetMetaIf(1: string feature_name, 2: FeatureFlagStoreMeta meta, 3: string expected_revision)
    throws (1: FlipperException error),

  // Added by this project: `List` in pages. At most `limit` flags (absent: the server's page size;
  // the server also ends a page at its page byte budget, never before the first flag), in name
  // order, starting at `offset` (absent: 0) when `cursor` is absent or empty, otherwise where the
  // page that returned `cursor` ended. The cursor is opaque. `List` still returns everything asked.
  FeatureFlagStoreListPage ListPage(1: i64 limit, 2: i64 offset, 3: string cursor)
    throws (1: FlipperException error),
  // Added by this project: the change feed (see docs/architecture.md, "Versions and the change feed").
  Snapshot GetSnapshot() throws (1: FlipperException error),
  // A long poll: answers at once when something changed after `since`, else at the first change,
  // else empty (same version) after `timeout_ms` (capped by the server).
  Changes WaitForChanges(1: StoreVersion since, 2: i32 timeout_ms) throws (1: FlipperException error),

  // Added by this project (history, issue 14). Declares who makes this connection's later writes
  // and why, until declared again (an empty context clears it): Thrift has no request headers, and
  // a new argument on the six methods would change the signatures of stubs generated from this IDL.
  // The server records it with each write the connection makes (beside the peer address and the
  // certificate identity). The Python library never calls it.
  void SetWriteContext(1: WriteContext context) throws (1: FlipperException error),
  // A flag's recorded changes, newest first: at most `limit` (absent: 50; capped by the server),
  // only those older than `before_version` when given.
  HistoryPage History(1: string feature_name, 2: i32 limit, 3: i64 before_version)
    throws (1: FlipperException error),
  // Restores the flag as it was after the change recorded at `to_version` (deletes it when that
  // change deleted it), as a new recorded change. Conditional: when `expected_revision` is given
  // and the flag moved past it, or when the flag changed after its newest recorded entry, CONFLICT
  // and nothing is written. NOT_FOUND when the flag has no entry at `to_version`. Returns the flag's
  // newest entry afterwards: the rollback's own, or the current one when nothing needed to change.
  HistoryEntry Rollback(1: string feature_name, 2: i64 to_version, 3: WriteContext context,
    4: string expected_revision) throws (1: FlipperException error),
}
