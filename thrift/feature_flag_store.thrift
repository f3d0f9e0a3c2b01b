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
}
